"""Shapes of course import (its report and content errors) and of course analytics."""

from rest_framework import serializers

from courseware.versions.serializers import PublishImpactFieldsSerializer


# --- Courses as code ----------------------------------------------------------------------------------
class CourseImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A zip of a course folder (docs/content-format.md).")
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Report what would change and save nothing."
    )


class ItemChangeSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    learners = serializers.IntegerField(help_text="Enrolled learners the change touches.")


class ItemChangesSerializer(serializers.Serializer):
    added = ItemChangeSerializer(many=True)
    changed = ItemChangeSerializer(many=True)
    removed = ItemChangeSerializer(many=True)
    unchanged = serializers.ListField(child=serializers.CharField(), help_text="Slugs.")


class ImportReportOutputSerializer(serializers.Serializer):
    course_slug = serializers.CharField()
    dry_run = serializers.BooleanField()
    course_id = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField()
    course_fields = serializers.ListField(child=serializers.CharField())
    instructors_added = serializers.ListField(child=serializers.CharField())
    instructors_ignored = serializers.ListField(
        child=serializers.CharField(),
        help_text="Named in the file but not added: only an admin adds other instructors.",
    )
    enrolled = serializers.IntegerField()
    content_version_bumped = serializers.BooleanField(
        help_text="The draft's structure changed: the next publish recomputes enrolled learners' progress."
    )
    publish_impact = PublishImpactFieldsSerializer(
        help_text="What publishing the imported draft does (a folder that says published) or would do, "
        "as `POST /courses/{slug}/publish/` with `dry_run` answers it."
    )
    version = serializers.IntegerField(help_text="The version learners read after the import (0: none yet).")
    published = serializers.BooleanField(help_text="This import published a new version.")
    modules = ItemChangesSerializer()
    lessons = ItemChangesSerializer()
    quizzes = ItemChangesSerializer()
    has_changes = serializers.BooleanField()
    text = serializers.CharField(help_text="The same report as `manage.py import_course` prints.")


class ContentErrorSerializer(serializers.Serializer):
    file = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class CourseContentInvalidSerializer(serializers.Serializer):
    """Invalid content (``detail``, ``code``, ``errors``), or a form error (``{"file": ["..."]}``)."""

    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    errors = ContentErrorSerializer(many=True, required=False)


# --- Analytics ----------------------------------------------------------------------------------------
class EnrollmentCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    completed = serializers.IntegerField()
    dropped = serializers.IntegerField()


class LessonFunnelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    module = serializers.IntegerField()
    module_position = serializers.IntegerField()
    position = serializers.IntegerField()
    completions = serializers.IntegerField(help_text="Learners who completed the lesson.")
    completion_rate = serializers.FloatField(allow_null=True, help_text="% of all enrollments; null with none.")


class ChoicePickSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    is_correct = serializers.BooleanField()
    picks = serializers.IntegerField(help_text="First attempts that picked it.")
    pick_rate = serializers.FloatField(allow_null=True, help_text="% of first attempts answering the question.")
    strong_pick_rate = serializers.FloatField(allow_null=True, help_text="The same among strong learners.")


class QuestionStatsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    quiz_title = serializers.CharField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField()
    first_attempts = serializers.IntegerField(help_text="First attempts (attempt number 1) graded on it.")
    first_attempts_right = serializers.IntegerField()
    first_attempt_right_rate = serializers.FloatField(allow_null=True, help_text="%; null before any attempt.")
    points = serializers.IntegerField()
    difficulty = serializers.FloatField(
        allow_null=True, help_text="Share (0–1) of first attempts with full credit on it; null before any."
    )
    discrimination = serializers.FloatField(
        allow_null=True,
        help_text="Point-biserial correlation (−1…1) between full credit on it and the rest of the quiz's points, "
        "over first attempts; null when undefined (fewer than 2, or no spread).",
    )
    choices = ChoicePickSerializer(many=True, help_text="Choice questions: how often each choice was picked.")
    key_suspect = serializers.BooleanField(
        help_text="Most strong learners (top third by score, at least 5) picked one wrong choice: check the key."
    )
    suspect_choice = serializers.IntegerField(allow_null=True, help_text="The choice they picked.")


class QuizStalenessSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    stale_attempts = serializers.IntegerField(help_text="Submitted attempts graded on an older key.")
    stale = serializers.BooleanField(help_text="The key changed since some attempts were graded: regrade them.")


class CourseAnalyticsOutputSerializer(serializers.Serializer):
    course = serializers.CharField()
    enrollments = EnrollmentCountsSerializer(help_text="Enrollments by status.")
    completion_rate = serializers.FloatField(
        allow_null=True,
        help_text="% of enrollments that reached completion (dropped ones included); null with none.",
    )
    median_days_to_complete = serializers.FloatField(
        allow_null=True, help_text="From enrollment to completion, over completed enrollments."
    )
    lessons = LessonFunnelSerializer(many=True, help_text="In course order.")
    questions = QuestionStatsSerializer(many=True, help_text="In course order, with item analysis.")
    quizzes = QuizStalenessSerializer(many=True, help_text="In course order.")
