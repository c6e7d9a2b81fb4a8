"""The progress pipeline's periodic sweeps.

``reconcile_run`` finds work whose task message was lost (the broker was down when it was published, a
worker died before acknowledging it, a publish failed) and does it again: stale progress, completed
enrollments without a certificate, certificates without their email, emails left pending. Every
finder is one bounded query; the redo goes through the idempotent services and tasks, so finding
something that is merely still in flight costs a duplicate message, never a duplicate certificate
or email.

``inactivity_reminders_queue`` queues at most one reminder per enrollment and period."""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from config.tasks import enqueue_on_commit
from courseware.models import Certificate, Enrollment
from notifications.models import OutboundEmail

logger = logging.getLogger(__name__)

# A pending email untouched for this long has lost its send message.
LOST_AFTER = timedelta(minutes=1)
REMINDER_EPOCH = date(2000, 1, 3)  # a Monday: reminder periods are counted from here


def reconcile_batch_size() -> int:
    return max(1, int(getattr(settings, "RECONCILE_BATCH_SIZE", 500)))


# --- Finding --------------------------------------------------------------------------------------
def enrollments_with_stale_progress(*, limit: int) -> list[int]:
    """Live enrollments whose stored progress is out of date: it counts fewer of the learner's
    activity numbers than the enrollment holds (a completion or submission whose task message was
    lost: each numbers the activity in its own transaction, and a recompute records the number it
    counted up to), or it was computed at an older content version of the course.

    Both are compared on the enrollment row, so a sweep is one pass over enrollments with no lookup
    per row (at 100,000 enrollments and 1,000,000 completions: 20 ms, where looking for completions
    newer than each recompute took 600 ms). No index serves it, on purpose: an index on either
    number would add index writes to every completion and every recompute (the hot path) to speed up
    a sweep that runs once a minute."""
    behind = Q(progress_seq__lt=F("activity_seq"))
    outdated = Q(progress_computed_at__isnull=False, progress_version__lt=F("course__content_version"))
    stale = Enrollment.objects.exclude(status=Enrollment.Status.DROPPED).filter(behind | outdated)
    # Oldest first: a backlog longer than one batch is worked through in the order it fell behind.
    oldest_first = stale.order_by(F("progress_computed_at").asc(nulls_first=True), "pk")
    return list(oldest_first.values_list("pk", flat=True)[:limit])


def enrollments_completed_without_certificate(*, limit: int) -> list[int]:
    certificates = Certificate.objects.filter(learner_id=OuterRef("learner_id"), course_id=OuterRef("course_id"))
    missing = Enrollment.objects.filter(status=Enrollment.Status.COMPLETED).exclude(Exists(certificates))
    return list(missing.order_by("pk").values_list("pk", flat=True)[:limit])


def certificates_without_email(*, limit: int) -> QuerySet[Certificate]:
    """Valid certificates of learners with an address but no certificate email row at all."""
    emails = OutboundEmail.objects.filter(key=Concat(Value("certificate:"), OuterRef("code"), output_field=CharField()))
    return (
        Certificate.objects.filter(revoked=False)
        .exclude(learner__email="")
        .exclude(Exists(emails))
        .select_related("learner")
        .order_by("pk")[:limit]
    )


def emails_lost_pending(*, now: datetime, limit: int) -> list[int]:
    """Pending emails whose send message is gone: untouched for a minute, or, for one waiting for a
    retry, for a minute past the longest retry countdown."""
    from notifications.services import email_max_attempts
    from notifications.tasks import email_retry_countdown

    longest_wait = timedelta(seconds=email_retry_countdown(retries=max(0, email_max_attempts() - 2)))
    lost = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).filter(
        Q(last_error="", updated_at__lt=now - LOST_AFTER) | Q(updated_at__lt=now - LOST_AFTER - longest_wait)
    )
    return list(lost.order_by("pk").values_list("pk", flat=True)[:limit])


# --- Redoing --------------------------------------------------------------------------------------
def reconcile_run(*, batch_size: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """One sweep; each kind of lost work is handled up to ``batch_size`` items (the rest next time).
    Returns how many of each were found."""
    from courseware import tasks
    from courseware.services import certificate_email_queue
    from notifications.tasks import send_email

    limit = batch_size or reconcile_batch_size()
    now = now or timezone.now()
    stale = enrollments_with_stale_progress(limit=limit)
    uncertified = enrollments_completed_without_certificate(limit=limit)
    for enrollment_id in dict.fromkeys(stale + uncertified):
        enqueue_on_commit(tasks.recompute_enrollment_progress, enrollment_id)
    # Pending emails are listed before new ones are queued: a row queued just now is not "lost".
    lost = emails_lost_pending(now=now, limit=limit)
    unsent = list(certificates_without_email(limit=limit))
    for certificate in unsent:
        certificate_email_queue(certificate=certificate)
    for email_id in lost:
        enqueue_on_commit(send_email, email_id)
    found = {
        "stale_progress": len(stale),
        "completed_without_certificate": len(uncertified),
        "certificates_without_email": len(unsent),
        "pending_emails": len(lost),
    }
    if any(found.values()):
        logger.info("reconcile: %s", ", ".join(f"{name}={count}" for name, count in found.items()))
    return found


# --- Inactivity reminders -------------------------------------------------------------------------
def reminder_inactive_days() -> int:
    return max(1, int(getattr(settings, "REMINDER_INACTIVE_DAYS", 7)))


def reminder_period_start(*, now: datetime, days: int) -> date:
    """The first day of the ``days``-long period ``now`` falls in (periods are counted from a fixed
    epoch, so every run in one period names the same period)."""
    today = timezone.localdate(now)
    return REMINDER_EPOCH + timedelta(days=((today - REMINDER_EPOCH).days // days) * days)


def enrollments_due_for_reminder(*, now: datetime) -> QuerySet[Enrollment]:
    """Active enrollments of learners who take reminders, idle for ``REMINDER_INACTIVE_DAYS`` days and
    not reminded within as many days."""
    cutoff = now - timedelta(days=reminder_inactive_days())
    return (
        Enrollment.objects.filter(
            status=Enrollment.Status.ACTIVE, learner__is_active=True, learner__email_reminders=True
        )
        .exclude(learner__email="")
        .filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, enrolled_at__lt=cutoff))
        .filter(Q(reminder_sent_at__isnull=True) | Q(reminder_sent_at__lt=cutoff))
    )


def enrollment_reminder_queue(*, enrollment_id: int, now: datetime) -> bool:
    """Queue the reminder of one due enrollment (key ``reminder:<id>:<period start>``) and note when.
    The row is locked and the due check repeated, so overlapping runs remind once."""
    from notifications.services import email_queue

    with transaction.atomic():
        enrollment = (
            enrollments_due_for_reminder(now=now)
            .select_for_update(of=("self",))
            .select_related("learner", "course")
            .filter(pk=enrollment_id)
            .first()
        )
        if enrollment is None:
            return False
        period = reminder_period_start(now=now, days=reminder_inactive_days())
        email = email_queue(
            kind=OutboundEmail.Kind.REMINDER,
            key=f"reminder:{enrollment.pk}:{period.isoformat()}",
            user=enrollment.learner,
            context={"enrollment_id": enrollment.pk, "course_id": enrollment.course_id},
        )
        enrollment.reminder_sent_at = now
        enrollment.save(update_fields=["reminder_sent_at", "updated_at"])
    return email is not None


def inactivity_reminders_queue(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Queue every due reminder, reading the due enrollments in keyset pages. Returns how many."""
    now = now or timezone.now()
    limit = batch_size or reconcile_batch_size()
    due = enrollments_due_for_reminder(now=now).order_by("pk").values_list("pk", flat=True)
    queued, last_pk = 0, 0
    while page := list(due.filter(pk__gt=last_pk)[:limit]):
        for enrollment_id in page:
            queued += enrollment_reminder_queue(enrollment_id=enrollment_id, now=now)
        last_pk = page[-1]
    if queued:
        logger.info("queued %d inactivity reminder(s)", queued)
    return queued
