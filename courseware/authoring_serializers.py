"""Input and output shapes of the authoring and enrollment-management endpoints of courses: modules,
co-instructors, courses as code (zip import/export), the roster and analytics.

Input serializers list the writable fields only: anything else in a body (``id``, ``course``,
``created_at``...) is ignored, never applied."""

import csv
import io

from rest_framework import serializers

from courseware.models import Enrollment, EnrollmentEvent, Module
from courseware.services import POSITION_MAX

# --- Modules ------------------------------------------------------------------------------------------
_position = {"min_value": 1, "max_value": POSITION_MAX}


class ModuleCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    position = serializers.IntegerField(
        **_position, required=False, allow_null=True, help_text="Default: after the last module."
    )
    slug = serializers.CharField(max_length=100, required=False, help_text="Default: made from the title.")
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ModuleUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    slug = serializers.CharField(max_length=100, required=False)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class MoveInputSerializer(serializers.Serializer):
    position = serializers.IntegerField(**_position, help_text="The new position; the others shift to make room.")


class ModuleOutputSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Module
        fields = ["id", "course", "slug", "title", "summary", "position", "created_at", "updated_at"]


# --- Instructors --------------------------------------------------------------------------------------
class CourseInstructorOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.EmailField()


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
    content_version_bumped = serializers.BooleanField()
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


# --- Roster -------------------------------------------------------------------------------------------
class RosterEnrollmentOutputSerializer(serializers.ModelSerializer):
    learner = serializers.CharField(source="learner.username", help_text="The learner's username.")
    learner_email = serializers.EmailField(source="learner.email")
    learner_name = serializers.CharField(source="learner.display_name")

    class Meta:
        model = Enrollment
        fields = [
            "id", "learner", "learner_email", "learner_name", "status", "progress", "enrolled_at", "completed_at",
            "dropped_at", "last_activity_at",
        ]  # fmt: skip


ROSTER_CSV_COLUMNS = [
    "id", "username", "email", "name", "status", "progress", "enrolled_at", "completed_at", "dropped_at",
    "last_activity_at",
]  # fmt: skip


def roster_csv_row(enrollment: Enrollment) -> list:
    learner = enrollment.learner
    return [
        enrollment.pk, learner.username, learner.email, learner.display_name, enrollment.status, enrollment.progress,
        enrollment.enrolled_at.isoformat(),
        enrollment.completed_at.isoformat() if enrollment.completed_at else "",
        enrollment.dropped_at.isoformat() if enrollment.dropped_at else "",
        enrollment.last_activity_at.isoformat() if enrollment.last_activity_at else "",
    ]  # fmt: skip


class EnrollmentEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", allow_null=True, help_text="Who made the change; null for the system."
    )

    class Meta:
        model = EnrollmentEvent
        fields = ["id", "action", "actor", "at"]


BULK_MAX_LEARNERS = 5000
BULK_CSV_MAX_BYTES = 1024 * 1024
_HEADER_WORDS = {"username", "email", "learner", "learners", "user", "login", "e-mail"}


def _csv_identifiers(upload) -> list[str]:
    """Usernames or emails from an uploaded CSV: the ``username`` column (``email`` where it is empty),
    or the ``email`` column, or the only column (a header line naming it is skipped)."""
    if upload.size > BULK_CSV_MAX_BYTES:
        raise serializers.ValidationError({"file": [f"At most {BULK_CSV_MAX_BYTES} bytes."]})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise serializers.ValidationError({"file": ["Must be a UTF-8 CSV file."]})
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect) if any(row)]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    header = [cell.lower() for cell in rows[0]]
    if "username" in header or "email" in header:
        u = header.index("username") if "username" in header else None
        e = header.index("email") if "email" in header else None
        found = []
        for row in rows[1:]:
            value = row[u] if u is not None and u < len(row) else ""
            if not value and e is not None and e < len(row):
                value = row[e]
            if value:
                found.append(value)
        return found
    if max(len(row) for row in rows) == 1:
        start = 1 if header[0] in _HEADER_WORDS else 0
        return [row[0] for row in rows[start:]]
    raise serializers.ValidationError(
        {"file": ["The CSV needs a column named username or email, or a single column of usernames or emails."]}
    )


class BulkEnrollJSONInputSerializer(serializers.Serializer):
    learners = serializers.ListField(
        child=serializers.CharField(max_length=254),
        max_length=BULK_MAX_LEARNERS,
        help_text="Usernames or emails (case-insensitive).",
    )


class BulkEnrollCSVInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with a `username` or `email` column, or a single column of usernames or emails."
    )


class BulkEnrollInputSerializer(serializers.Serializer):
    """``learners`` (JSON) or ``file`` (a CSV upload), or both."""

    learners = serializers.ListField(
        child=serializers.CharField(max_length=254), max_length=BULK_MAX_LEARNERS, required=False
    )
    file = serializers.FileField(required=False)

    def validate(self, attrs: dict) -> dict:
        learners = list(attrs.get("learners", []))
        if attrs.get("file") is not None:
            learners += _csv_identifiers(attrs["file"])
        if not learners:
            raise serializers.ValidationError({"learners": ["Name at least one learner, or upload a CSV file."]})
        if len(learners) > BULK_MAX_LEARNERS:
            raise serializers.ValidationError({"learners": [f"At most {BULK_MAX_LEARNERS} learners per request."]})
        return {"learners": learners}


class BulkEnrollOutputSerializer(serializers.Serializer):
    enrolled = serializers.ListField(child=serializers.CharField(), help_text="Newly enrolled (or re-enrolled).")
    already_enrolled = serializers.ListField(child=serializers.CharField())
    unknown = serializers.ListField(child=serializers.CharField(), help_text="No active user by that name or email.")


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
    questions = QuestionStatsSerializer(many=True, help_text="In course order.")
