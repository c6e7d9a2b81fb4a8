import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


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
        indexes = [models.Index(fields=["is_published", "title"], name="course_published_title_idx")]

    def __str__(self) -> str:
        return self.title


class Module(TimeStamped):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="module_position_unique"),
            models.UniqueConstraint(fields=["course", "slug"], name="module_slug_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="module_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.course.slug} / {self.title}"


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
