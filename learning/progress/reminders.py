"""Inactivity reminders: which enrollments are due, one reminder per enrollment and period, and the
reminder email's content (registered with ``notifications``)."""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from courseware.enrollment.emails import email_enrollment
from courseware.models import Enrollment
from learning.progress.reconcile import reconcile_batch_size
from notifications.models import OutboundEmail
from notifications.sending import EmailContent, EmailNotSendable
from notifications.services import email_queue, unsubscribe_url

logger = logging.getLogger(__name__)


def reminder_content(email: OutboundEmail, user: User) -> EmailContent:
    if not user.email_reminders:
        raise EmailNotSendable("the user unsubscribed from reminders.")
    enrollment = email_enrollment(email)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise EmailNotSendable(f"the enrollment is {enrollment.status}.")
    url = unsubscribe_url(user_id=user.pk)
    return EmailContent(
        context={"enrollment": enrollment, "course": enrollment.course, "unsubscribe_url": url},
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


logger = logging.getLogger(__name__)
REMINDER_EPOCH = date(2000, 1, 3)  # a Monday: reminder periods are counted from here


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

    with transaction.atomic():
        enrollment = (
            enrollments_due_for_reminder(now=now)
            .select_for_update(no_key=True, of=("self",))
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
