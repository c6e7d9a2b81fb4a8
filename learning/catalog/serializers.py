"""Shapes of the catalog, the course page (with the learner's state), enrollments and progress."""

from rest_framework import serializers

from courseware.models import Course, Enrollment
from courseware.versions.serializers import (
    PublishImpactFieldsSerializer,
)
from learning.catalog.selectors import instructor_names
from learning.certificates.serializers import CertificateBriefSerializer


# --- Courses ----------------------------------------------------------------------------------
class CourseListOutputSerializer(serializers.ModelSerializer):
    instructors = serializers.SerializerMethodField(
        help_text="The instructors' names (the name each chose, else their full name, else their username)."
    )
    module_count = serializers.IntegerField(read_only=True)
    lesson_count = serializers.IntegerField(read_only=True)
    quiz_count = serializers.IntegerField(read_only=True)
    estimated_hours = serializers.FloatField()

    class Meta:
        model = Course
        fields = [
            "slug", "title", "summary", "is_published", "published_at", "estimated_hours", "sequential",
            "capacity", "enrollment_opens_at", "enrollment_closes_at", "instructors", "module_count",
            "lesson_count", "quiz_count", "created_at", "updated_at",
        ]  # fmt: skip

    def get_instructors(self, course) -> list[str]:
        return instructor_names(course)


class CoursePublishInputSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="Only say what publishing would do (the impact on enrolled learners); nothing changes."
    )
    note = serializers.CharField(
        max_length=300, required=False, default="", allow_blank=True, help_text="Kept with the version."
    )


class CoursePublishOutputSerializer(CourseListOutputSerializer, PublishImpactFieldsSerializer):
    """The course as v1 answered it, with the version and the impact on enrolled learners (as they
    stood before the publish)."""

    instructors = serializers.ListField(child=serializers.CharField())  # from the course's own answer
    dry_run = serializers.BooleanField(help_text="True: nothing was published.")

    class Meta(CourseListOutputSerializer.Meta):
        fields = [*CourseListOutputSerializer.Meta.fields, "dry_run", *PublishImpactFieldsSerializer._declared_fields]


class OutlineLessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField()
    completed = serializers.BooleanField(allow_null=True, help_text="For an enrolled learner; null otherwise.")


class OutlineQuizSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    pass_percent = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    question_count = serializers.IntegerField()
    passed = serializers.BooleanField(allow_null=True, help_text="For an enrolled learner; null otherwise.")
    best_score = serializers.FloatField(allow_null=True)


class OutlineModuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    position = serializers.IntegerField()
    locked = serializers.BooleanField(help_text="Sequential courses: earlier modules are not complete yet.")
    lessons = OutlineLessonSerializer(many=True)
    quizzes = OutlineQuizSerializer(many=True)


class EnrollmentOutputSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id", "course", "course_title", "status", "progress", "enrolled_at", "completed_at", "dropped_at",
            "last_activity_at",
        ]  # fmt: skip

    def to_representation(self, instance: Enrollment) -> dict:
        # The same fields, without building a field per value: this shape is on the hot course
        # page of every enrolled learner. Datetimes are rendered by the JSON renderer, as DRF's
        # own fields would (RFC 3339, UTC, "Z").
        return {
            "id": instance.pk,
            "course": instance.course.slug,
            "course_title": instance.course.title,
            "status": instance.status,
            "progress": instance.progress,
            "enrolled_at": instance.enrolled_at,
            "completed_at": instance.completed_at,
            "dropped_at": instance.dropped_at,
            "last_activity_at": instance.last_activity_at,
        }


class CourseDetailOutputSerializer(CourseListOutputSerializer):
    description = serializers.CharField()
    modules = OutlineModuleSerializer(many=True)
    enrollment = EnrollmentOutputSerializer(allow_null=True, help_text="The caller's enrollment, if any.")

    class Meta(CourseListOutputSerializer.Meta):
        fields = [*CourseListOutputSerializer.Meta.fields, "description", "modules", "enrollment"]


class CourseCreateInputSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=100)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    estimated_hours = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, required=False)
    sequential = serializers.BooleanField(required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    enrollment_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    enrollment_closes_at = serializers.DateTimeField(required=False, allow_null=True)


class CourseUpdateInputSerializer(CourseCreateInputSerializer):
    slug = serializers.SlugField(max_length=100, required=False)
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(max_length=500, required=False)


# --- Progress ---------------------------------------------------------------------------------
class QuizProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    best_score = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(help_text="Passed by any attempt; later attempts never undo it.")
    attempts = serializers.IntegerField(help_text="Attempts used.")
    max_attempts = serializers.IntegerField()
    attempts_left = serializers.IntegerField(
        help_text="Attempts the learner may still take (allowed after passing too: the best score counts)."
    )


class NextLessonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    module = serializers.IntegerField()


NEXT_STEP_KINDS = [("lesson", "lesson"), ("quiz", "quiz")]


class NextStepSerializer(NextLessonSerializer):
    kind = serializers.ChoiceField(choices=NEXT_STEP_KINDS, help_text="Whether `id` is a lesson's or a quiz's.")


class ProgressOutputSerializer(serializers.Serializer):
    course = serializers.CharField(help_text="The course's slug.")
    progress = serializers.IntegerField(min_value=0, max_value=100)
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    completed_lessons = serializers.IntegerField()
    total_lessons = serializers.IntegerField()
    passed_quizzes = serializers.IntegerField()
    total_quizzes = serializers.IntegerField()
    quizzes = QuizProgressSerializer(many=True)
    next_lesson = NextLessonSerializer(
        allow_null=True,
        help_text="The first lesson not completed that the learner may open now (sequential courses: none in a "
        "locked module); null when there is none.",
    )
    next_step = NextStepSerializer(
        allow_null=True,
        help_text="What completes the course next, in course order: an open module's first lesson not completed, "
        "else its first quiz not passed with attempts left; null when nothing open is left to do.",
    )
    enrolled_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    last_activity_at = serializers.DateTimeField(allow_null=True)
    certificate = CertificateBriefSerializer(allow_null=True)
