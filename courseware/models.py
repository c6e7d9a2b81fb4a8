import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F, Q, Value


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# The catalog's full-text search language (PostgreSQL text search configuration).
SEARCH_CONFIG = "english"


class CourseSearchDocument(models.Func):
    """What the catalog's ``?search=`` matches on PostgreSQL: the title (weight A), the summary (B)
    and the description (C), stemmed. Stored as a generated column, so every write of a course (a
    service, the admin, a bulk ``COPY``) keeps it exact. Other databases have no text search: there
    the column is always NULL and the catalog searches with ``LIKE`` (``learning.catalog.filters``)."""

    template = "%(expressions)s"
    output_field = SearchVectorField(null=True)

    def __init__(self):
        config = Value(SEARCH_CONFIG)
        super().__init__(
            SearchVector("title", weight="A", config=config)
            + SearchVector("summary", weight="B", config=config)
            + SearchVector("description", weight="C", config=config)
        )

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, **extra_context)


class LiveQuerySet(models.QuerySet):
    """Content rows of the draft. ``delete()`` retires them instead of deleting: published versions,
    completions and attempts keep pointing at them, and a restore brings them back."""

    def delete(self):
        retired = 0
        for row in self:
            row.delete()
            retired += 1
        return retired, {self.model._meta.label: retired}


class LiveManager(models.Manager.from_queryset(LiveQuerySet)):
    """The draft: rows not retired. Forward relations (``completion.lesson``) use the base manager and
    still reach a retired row."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


class Retirable(models.Model):
    """Course content (modules, lessons, quizzes, questions) that is retired, never deleted, when the
    draft drops it: its id stays the identity versions, completions and attempts refer to."""

    removed_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    objects = LiveManager()
    all_objects = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True

    def delete(self, using=None, keep_parents=False):
        from django.utils import timezone

        if self.removed_at is None:
            self.removed_at = timezone.now()
            type(self).all_objects.filter(pk=self.pk).update(removed_at=self.removed_at)
            self.retire_children()
        return 1, {self._meta.label: 1}

    def retire_children(self) -> None:
        """Retire what belongs to this row (a module's lessons and quizzes)."""


class Course(TimeStamped):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    description = models.TextField(blank=True, help_text="Markdown")
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="taught_courses", blank=True)
    estimated_hours = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    sequential = models.BooleanField(
        default=False, help_text="Lessons of a later module stay locked until earlier modules are complete."
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Maximum active enrollments.")
    enrollment_opens_at = models.DateTimeField(null=True, blank=True)
    enrollment_closes_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change to the course's structure (lessons or quizzes added, removed, moved):
    # progress computed at an older version is stale, and cached outlines are invalid.
    content_version = models.PositiveIntegerField(default=1)
    # What the catalog shows, kept on the row (``courseware.structure.counts``) instead of counted
    # per request: set whenever the course's modules, lessons or quizzes change.
    module_count = models.PositiveIntegerField(default=0)
    lesson_count = models.PositiveIntegerField(default=0)
    quiz_count = models.PositiveIntegerField(default=0)
    search_document = models.GeneratedField(
        expression=CourseSearchDocument(), output_field=SearchVectorField(null=True), db_persist=True
    )

    # The number of the version learners read (0: never published, only a draft). See CourseVersion.
    published_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(estimated_hours__gte=0), name="course_hours_non_negative"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="course_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(enrollment_opens_at__isnull=True)
                | Q(enrollment_closes_at__isnull=True)
                | Q(enrollment_closes_at__gt=F("enrollment_opens_at")),
                name="course_enrollment_window_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "title"], name="course_published_title_idx"),
            GinIndex(fields=["search_document"], name="course_search_document_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Module(Retirable, TimeStamped):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "position"], condition=Q(removed_at__isnull=True), name="module_position_unique"
            ),
            models.UniqueConstraint(
                fields=["course", "slug"], condition=Q(removed_at__isnull=True), name="module_slug_unique"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="module_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.course.slug} / {self.title}"

    def retire_children(self) -> None:
        for related in ("lessons", "quizzes"):
            for item in getattr(self, related).all():
                item.delete()


class Enrollment(TimeStamped):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DROPPED = "dropped", "Dropped"

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    # Derived progress, recomputed by the progress task from LessonCompletion and QuizAttempt rows.
    progress = models.PositiveSmallIntegerField(default=0)
    completed_items = models.PositiveIntegerField(default=0)
    progress_version = models.PositiveIntegerField(default=0, help_text="Course content_version it was computed at.")
    progress_computed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # Bumped in the transaction of every lesson completion and submitted quiz attempt; the progress
    # task carries the number its event got. ``progress_seq`` is the number the stored progress was
    # computed from (read under the row lock): a task whose number it already covers has nothing to do.
    activity_seq = models.PositiveBigIntegerField(default=0, db_default=0)
    progress_seq = models.PositiveBigIntegerField(default=0, db_default=0)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="enrollment_unique"),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="enrollment_progress_range"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "completed", "dropped"]), name="enrollment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress_seq__lte=F("activity_seq")), name="enrollment_progress_seq_not_ahead"
            ),
        ]
        indexes = [
            models.Index(fields=["course", "status"], name="enrollment_course_status_idx"),
            models.Index(fields=["learner", "status"], name="enrollment_learner_status_idx"),
            models.Index(fields=["status", "last_activity_at"], name="enrollment_activity_idx"),
            # The progress drain's scan: only enrollments whose stored progress lags their activity
            # (a row enters on a completion or attempt and leaves when the drain counts it).
            models.Index(fields=["id"], condition=Q(progress_seq__lt=F("activity_seq")), name="enrollment_stale_idx"),
            # The reconcile sweep's "completed without certificate" window (recent completions only).
            models.Index(fields=["completed_at"], condition=Q(status="completed"), name="enrollment_completed_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.course.slug} ({self.status})"


class EnrollmentEvent(models.Model):
    """Audit trail: every enrollment change, who made it and when."""

    class Action(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        REENROLLED = "reenrolled", "Re-enrolled"
        DROPPED = "dropped", "Dropped"
        COMPLETED = "completed", "Completed"
        REOPENED = "reopened", "Reopened"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["enrollment", "at"], name="enrollment_event_idx")]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"


# Certificate codes are read off paper: Crockford's base32 alphabet (no I, L, O or U), 25 characters
# (125 random bits) in five groups of five, stored upper case with dashes: ``7KQ2M-…``. Lookups take any
# case, with or without dashes, and read I/L as 1 and O as 0. Codes issued before (URL-safe base64,
# ``secrets.token_urlsafe(16)``: 22 characters, case-sensitive) keep working as they are.
CERTIFICATE_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CERTIFICATE_CODE_GROUPS, CERTIFICATE_CODE_GROUP_SIZE = 5, 5
_CODE_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_certificate_code() -> str:
    """125 random bits in Crockford base32, grouped: unguessable, and easy to read aloud or type."""
    size = CERTIFICATE_CODE_GROUPS * CERTIFICATE_CODE_GROUP_SIZE
    chars = "".join(secrets.choice(CERTIFICATE_CODE_ALPHABET) for _ in range(size))
    return "-".join(chars[i : i + CERTIFICATE_CODE_GROUP_SIZE] for i in range(0, size, CERTIFICATE_CODE_GROUP_SIZE))


def certificate_code_candidates(code: str) -> list[str]:
    """The stored codes ``code`` may mean: itself (codes issued before, exact), and the canonical form
    of a grouped code typed in any case, with or without dashes or spaces, with look-alikes."""
    candidates = [code]
    compact = code.replace("-", "").replace(" ", "").upper().translate(_CODE_LOOKALIKES)
    size = CERTIFICATE_CODE_GROUPS * CERTIFICATE_CODE_GROUP_SIZE
    if len(compact) == size and all(c in CERTIFICATE_CODE_ALPHABET for c in compact):
        step = CERTIFICATE_CODE_GROUP_SIZE
        canonical = "-".join(compact[i : i + step] for i in range(0, size, step))
        if canonical != code:
            candidates.append(canonical)
    return candidates


class Certificate(models.Model):
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="certificates")
    code = models.CharField(max_length=32, unique=True, default=new_certificate_code, editable=False)
    # Frozen at issue time so the certificate reads the same if the course or learner is renamed.
    learner_name = models.CharField(max_length=300)
    course_title = models.CharField(max_length=200)
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["learner", "course"], name="certificate_unique")]
        # The reconcile sweep's "certificate without email" window (recent certificates only).
        indexes = [models.Index(fields=["issued_at"], name="certificate_issued_at_idx")]

    def __str__(self) -> str:
        return f"{self.code} ({self.learner_name}, {self.course_title})"


# --- Versions ----------------------------------------------------------------------------------------
class ContentBlob(models.Model):
    """One piece of published content (a module's, lesson's or quiz's fields, a quiz with its questions
    and keys), stored once by the SHA-256 of its canonical JSON: versions share every blob that did
    not change."""

    digest = models.CharField(max_length=64, primary_key=True)
    payload = models.JSONField()
    size = models.PositiveIntegerField(help_text="Bytes of the canonical JSON.")

    def __str__(self) -> str:
        return self.digest[:12]


class CourseVersion(models.Model):
    """A publish of a course: immutable, numbered from 1 per course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    items_added = models.PositiveIntegerField(default=0)
    items_changed = models.PositiveIntegerField(default=0)
    items_removed = models.PositiveIntegerField(default=0)
    # What changed, item by item: [{"kind", "id", "slug", "title", "change"}]
    changes = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["course", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="course_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="course_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.course.slug} v{self.number}"


class VersionItem(models.Model):
    """A module, lesson or quiz as it stood in versions ``since`` up to (not including) ``until``;
    copy-on-write: a publish closes the rows of what changed and adds rows for the new state, so
    storage grows with the change, not with the course. The rows with ``until`` null are the
    published version."""

    class Kind(models.TextChoices):
        MODULE = "module", "Module"
        LESSON = "lesson", "Lesson"
        QUIZ = "quiz", "Quiz"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="version_items")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    item_id = models.PositiveIntegerField()
    module_id = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField()
    meta = models.JSONField(help_text="The item's outline fields.")
    blob = models.ForeignKey(ContentBlob, on_delete=models.PROTECT, related_name="+")
    since = models.PositiveIntegerField()
    until = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "kind", "item_id", "since"], name="version_item_unique"),
            models.UniqueConstraint(
                fields=["kind", "item_id"], condition=Q(until__isnull=True), name="version_item_published_unique"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=F("since")), name="version_item_span_ordered"
            ),
        ]
        indexes = [models.Index(fields=["course", "until"], name="version_item_course_until_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} v{self.since}-{self.until or ''}"
