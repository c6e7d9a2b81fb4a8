"""Shapes of the roster (JSON and CSV rows), an enrollment's history, and bulk enrollment input."""

import csv
import io

from rest_framework import serializers

from courseware.models import Enrollment, EnrollmentEvent


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
