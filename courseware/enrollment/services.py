"""Writes for enrollments: enrolling (one learner or in bulk), dropping, the enrollment's history, and
numbering a learner's activity."""

import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError
from courseware import signals
from courseware.models import Course, Enrollment, EnrollmentEvent
from events.services import event_record
from notifications.services import email_queue

logger = logging.getLogger(__name__)


# --- Enrollment ---------------------------------------------------------------------------------
def enrollment_event_record(enrollment: Enrollment, action: str, actor: User | None) -> None:
    EnrollmentEvent.objects.create(enrollment=enrollment, action=action, actor=actor)


def _check_enrollment_open(course: Course) -> None:
    now = timezone.now()
    if course.enrollment_opens_at and now < course.enrollment_opens_at:
        raise ApplicationError(
            f"Enrollment opens at {course.enrollment_opens_at.isoformat()}.", code="enrollment_not_open"
        )
    if course.enrollment_closes_at and now >= course.enrollment_closes_at:
        raise ApplicationError(
            f"Enrollment closed at {course.enrollment_closes_at.isoformat()}.", code="enrollment_closed"
        )


def _check_capacity(course: Course) -> None:
    if course.capacity is None:
        return
    taken = Enrollment.objects.filter(course=course).exclude(status=Enrollment.Status.DROPPED).count()
    if taken >= course.capacity:
        raise ApplicationError(f"The course is full ({course.capacity} places).", code="course_full")


@transaction.atomic
def enrollment_create(
    *, learner: User, course: Course, actor: User | None = None, enforce_limits: bool = True
) -> tuple[Enrollment, bool]:
    """Enroll ``learner`` (idempotent). Returns ``(enrollment, changed)``: ``changed`` is False when
    the learner already held an active or completed enrollment. A dropped enrollment is restored,
    with its progress. Window and capacity apply to self-enrollment (``enforce_limits``); admins
    enrolling a class bypass them."""
    if not course.is_published and enforce_limits:
        raise ApplicationError("This course is not open for enrollment.", code="not_published")
    existing = Enrollment.objects.select_for_update(no_key=True).filter(learner=learner, course=course).first()
    if existing and existing.status != Enrollment.Status.DROPPED:
        return existing, False
    if enforce_limits:
        _check_enrollment_open(course)
        if course.capacity is not None:
            # Serialise enrollments of a capped course so two last-place requests cannot both win.
            Course.objects.select_for_update(no_key=True).filter(pk=course.pk).first()
            _check_capacity(course)
    actor = actor or learner
    if existing:  # dropped: restore, progress kept
        existing.status = Enrollment.Status.ACTIVE
        existing.dropped_at = None
        existing.save(update_fields=["status", "dropped_at", "updated_at"])
        enrollment_event_record(existing, EnrollmentEvent.Action.REENROLLED, actor)
        _enrollment_created_event(existing, course, restored=True)
        # Its stored progress may predate content changes made while it was dropped: the progress
        # pipeline brings it up to date now, inside this transaction (``courseware.signals``).
        signals.enrollment_restored.send(sender=Enrollment, enrollment_id=existing.pk)
        existing.refresh_from_db()
        return existing, True
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(learner=learner, course=course, last_activity_at=timezone.now())
    except IntegrityError:
        # A concurrent request enrolled the same learner first: that enrollment is the answer.
        return Enrollment.objects.get(learner=learner, course=course), False
    enrollment_event_record(enrollment, EnrollmentEvent.Action.ENROLLED, actor)
    _enrollment_created_event(enrollment, course, restored=False)
    _queue_welcome_email(enrollment)
    return enrollment, True


def _enrollment_created_event(enrollment: Enrollment, course: Course, *, restored: bool) -> None:
    event_record(
        type="enrollment.created",
        course_id=course.pk,
        course_slug=course.slug,
        learner_id=enrollment.learner_id,
        data={"enrollment": enrollment.pk, "restored": restored},
    )


def _queue_welcome_email(enrollment: Enrollment) -> None:
    email_queue(
        kind="welcome",
        key=f"welcome:{enrollment.pk}",
        user=enrollment.learner,
        context={"enrollment_id": enrollment.pk, "course_id": enrollment.course_id},
    )


@transaction.atomic
def enrollment_drop(*, enrollment: Enrollment, actor: User) -> Enrollment:
    """Drop an enrollment (idempotent). Completions, attempts and any certificate are kept."""
    enrollment = Enrollment.objects.select_for_update(no_key=True).get(pk=enrollment.pk)
    if enrollment.status == Enrollment.Status.DROPPED:
        return enrollment
    enrollment.status = Enrollment.Status.DROPPED
    enrollment.dropped_at = timezone.now()
    enrollment.save(update_fields=["status", "dropped_at", "updated_at"])
    enrollment_event_record(enrollment, EnrollmentEvent.Action.DROPPED, actor)
    event_record(
        type="enrollment.dropped",
        course_id=enrollment.course_id,
        learner_id=enrollment.learner_id,
        data={"enrollment": enrollment.pk},
    )
    return enrollment


@dataclass
class BulkEnrollmentReport:
    enrolled: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def enrollments_bulk_create(*, course: Course, identifiers: list[str], actor: User) -> BulkEnrollmentReport:
    """Enroll learners named by username or email (case-insensitive). Each is enrolled in its own
    transaction, so overlapping bulk requests never conflict; the report names each identifier once."""
    from django.db.models import Q
    from django.db.models.functions import Lower

    report = BulkEnrollmentReport()
    wanted: dict[str, str] = {}
    for raw in identifiers:
        ident = raw.strip()
        if ident and ident.lower() not in wanted:
            wanted[ident.lower()] = ident
    keys = list(wanted)
    users = (
        User.objects.annotate(u=Lower("username"), e=Lower("email"))
        .filter(Q(u__in=keys) | Q(e__in=keys))
        .filter(is_active=True)
    )
    by_key: dict[str, User] = {}
    for user in users:
        by_key.setdefault(user.username.lower(), user)
        if user.email:
            by_key.setdefault(user.email.lower(), user)
    seen_users: set[int] = set()
    for key, ident in wanted.items():
        user = by_key.get(key)
        if user is None:
            report.unknown.append(ident)
            continue
        if user.pk in seen_users:
            report.already_enrolled.append(ident)
            continue
        seen_users.add(user.pk)
        _, changed = enrollment_create(learner=user, course=course, actor=actor, enforce_limits=False)
        (report.enrolled if changed else report.already_enrolled).append(ident)
    return report


# --- Progress and certificates ------------------------------------------------------------------
def enrollment_activity_record_many(*, course_id: int, learner_ids: list[int]) -> dict[int, int]:
    """``enrollment_activity_record`` for many learners of one course at once (a regrade changed their
    grades): one UPDATE that bumps ``activity_seq`` (not ``last_activity_at``: the learners did
    nothing), then the signal once per enrollment, so the progress pipeline recomputes each after
    commit. Returns ``{enrollment_id: activity_seq}``; learners without an enrollment are skipped."""
    from django.db import connection

    if not learner_ids:
        return {}
    table = Enrollment._meta.db_table
    placeholders = ", ".join(["%s"] * len(learner_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" SET "activity_seq" = "activity_seq" + 1 '  # noqa: S608
            f'WHERE "course_id" = %s AND "learner_id" IN ({placeholders}) RETURNING "id", "activity_seq"',
            [course_id, *learner_ids],
        )
        numbered = dict(cursor.fetchall())
    for enrollment_id, activity_seq in sorted(numbered.items()):
        signals.learner_activity_recorded.send(
            sender=Enrollment, enrollment_id=enrollment_id, activity_seq=activity_seq
        )
    return numbered


def enrollment_activity_record(*, enrollment_id: int) -> int:
    """Note a learner's activity in the caller's transaction (a lesson completed, a quiz attempt
    submitted): stamp ``last_activity_at`` and bump ``activity_seq``. Returns the new sequence number,
    which the progress task carries.

    The UPDATE holds the enrollment's row lock until the caller commits, so a recompute that reads the
    sequence under that lock also sees every completion and attempt numbered up to it."""
    from django.db import connection

    table = Enrollment._meta.db_table
    with connection.cursor() as cursor:  # one round trip (UPDATE ... RETURNING: PostgreSQL, SQLite 3.35+)
        cursor.execute(
            f'UPDATE "{table}" SET "activity_seq" = "activity_seq" + 1, "last_activity_at" = %s '  # noqa: S608
            'WHERE "id" = %s RETURNING "activity_seq"',
            [timezone.now(), enrollment_id],
        )
        activity_seq = cursor.fetchone()[0]
    # The progress pipeline queues its recompute for this number on commit (``courseware.signals``).
    signals.learner_activity_recorded.send(sender=Enrollment, enrollment_id=enrollment_id, activity_seq=activity_seq)
    return activity_seq
