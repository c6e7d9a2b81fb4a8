"""Progress pipeline tasks (queue ``progress``). Thin: load by primary key, call the service. Every one
is idempotent (row locks, unique constraints, status guards), so ``acks_late`` redelivery after a
worker dies mid-task is safe; a database blip is retried with backoff."""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from config.tasks import batch_countdown, enqueue_on_commit
from learning.certificates.services import certificate_email_queue, certificate_emails_pending_send
from learning.progress.reconcile import (
    certificates_checked_advance,
    certificates_checked_since,
    certificates_without_email,
    emails_lost_pending,
    enrollments_completed_at,
    enrollments_completed_without_certificate,
    enrollments_with_stale_progress,
    reconcile_batch_size,
)
from learning.progress.reminders import inactivity_reminders_queue
from learning.progress.selectors import progress_stale_remaining
from learning.progress.services import course_progress_mark_stale, enrollment_progress_recompute, progress_stale_drain
from notifications.tasks import send_email
from quizzes.regrade.services import regrades_unfinished
from quizzes.tasks import regrade_run

logger = logging.getLogger(__name__)

# Task names stay those of the module these tasks were first defined in: messages already queued,
# the queue routes and the beat schedule name them.
TASK_PREFIX = "courseware.tasks"

DB_ERRORS = (OperationalError, InterfaceError)
RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": DB_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RELIABLE, name=f"{TASK_PREFIX}.recompute_enrollment_progress", soft_time_limit=30, time_limit=45)
def recompute_enrollment_progress(enrollment_id: int, activity_seq: int | None = None) -> None:
    """``activity_seq``: the number the triggering completion or attempt gave the enrollment's activity
    (a task it is already covered by returns after one read). None (content changes, reconcile, and
    messages queued before the argument existed): recompute unconditionally."""
    enrollment_progress_recompute(enrollment_id=enrollment_id, activity_seq=activity_seq)


# At most one drain waits in the queue: a write asks for one after its commit only if no drain is
# queued and not yet started (the mark), and the drain clears the mark before it reads, so a write
# committed while a drain runs queues the next one. A mark whose drain never starts (its message lost
# with the broker, its worker killed before the task began) lapses after DRAIN_MARK_SECONDS; the next
# write queues a drain again, and the reconcile sweep finds whatever was stale meanwhile (its
# stale-progress finder has no watermark). The mark needs a cache that the writers and the workers
# share (``settings.SHARED_CACHE``): without one every write queues a drain.
DRAIN_QUEUED_KEY = "progress:drain-queued"
DRAIN_MARK_SECONDS = 5
# A drain that leaves stale rows behind (rows another transaction held, which SKIP LOCKED passed
# over, or writes that committed as it finished) asks for the next one this much later.
DRAIN_AGAIN_SECONDS = 1


@shared_task(bind=True, **RELIABLE, name=f"{TASK_PREFIX}.progress_drain", soft_time_limit=120, time_limit=150)
def progress_drain(self) -> int:
    """Recompute every stale enrollment, set-based (``services.progress_stale_drain``)."""
    cache.delete(DRAIN_QUEUED_KEY)  # first: a write committed from now on queues another drain
    if (self.request.delivery_info or {}).get("redelivered"):
        # Its worker died with it, perhaps between a batch's commit and the send messages that
        # follow it: those batches are no longer stale, so their emails are sent from here.
        certificate_emails_pending_send(queued_since=timezone.now() - _drain_redelivery_window())
    report = progress_stale_drain()
    if report.more:  # a long backlog: the rest in a fresh task, behind what else is queued
        progress_drain_request()
    elif not self.request.is_eager and progress_stale_remaining():
        # A row skipped because a transaction held it whose commit asks for no drain (or whose
        # request found a mark): never left for the reconcile sweep.
        progress_drain_request(countdown=DRAIN_AGAIN_SECONDS)
    return report.recomputed


def _drain_redelivery_window() -> timedelta:
    """How long ago a redelivered drain's dead predecessor may have queued email: its time limit,
    then the broker's visibility timeout, with a minute to spare."""
    visibility = int(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600))
    return timedelta(seconds=visibility + (progress_drain.time_limit or 0) + 60)


def progress_drain_request(*, countdown: float | None = None) -> None:
    """After a write's commit: queue a drain unless one is queued and has not started. With the cache
    unreachable the mark cannot be read and the message is always sent; with the broker down the
    mark is dropped again and the reconcile sweep finds the stale enrollment."""
    coalesce = settings.SHARED_CACHE
    if coalesce and cache.add(DRAIN_QUEUED_KEY, 1, timeout=DRAIN_MARK_SECONDS) is False:
        return
    if countdown is None:  # the writes of the next moment join this drain (their requests find the mark)
        countdown = batch_countdown()
    try:
        progress_drain.apply_async(countdown=countdown)
    except Exception:
        if coalesce:
            cache.delete(DRAIN_QUEUED_KEY)
        if progress_drain.app.conf.task_always_eager:  # embedded mode: the drain itself ran, and failed
            logger.exception("progress drain failed; the reconcile task will redo it")
        else:  # the same words as config.tasks.enqueue_on_commit
            logger.warning("could not enqueue %s; the reconcile task will catch up", progress_drain.name, exc_info=True)


@shared_task(**RELIABLE, name=f"{TASK_PREFIX}.refresh_course_progress", soft_time_limit=120, time_limit=150)
def refresh_course_progress(course_id: int) -> None:
    """After a content change: mark every live enrollment of the course stale and ask for the drain.
    Publishing does this itself now (``receivers``); kept for messages queued before that."""
    course_progress_mark_stale(course_id=course_id)
    progress_drain_request()


@shared_task(**RELIABLE, name=f"{TASK_PREFIX}.reconcile", soft_time_limit=120, time_limit=150)
def reconcile() -> dict[str, int]:
    """Periodic (beat): redo progress, certificates and emails whose task message was lost."""
    return reconcile_run()


@shared_task(**RELIABLE, name=f"{TASK_PREFIX}.send_inactivity_reminders", soft_time_limit=600, time_limit=660)
def send_inactivity_reminders() -> int:
    """Periodic (beat, daily): one reminder per idle enrollment and period."""
    return inactivity_reminders_queue()


# The sweep queues this module's own tasks, so it lives beside them (as pretix keeps a service
# next to its task).
def reconcile_run(*, batch_size: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """One sweep; each kind of lost work is handled up to ``batch_size`` items (the rest next time).
    Returns how many of each were found."""

    limit = batch_size or reconcile_batch_size()
    swept_at = timezone.now()  # the watermark moves by the clock, whatever ``now`` the caller passes
    now = now or swept_at
    stale = enrollments_with_stale_progress(limit=limit)
    since = certificates_checked_since(now=swept_at)
    uncertified = enrollments_completed_without_certificate(limit=limit, since=since)
    for enrollment_id in dict.fromkeys(stale + uncertified):
        enqueue_on_commit(recompute_enrollment_progress, enrollment_id)
    # Pending emails are listed before new ones are queued: a row queued just now is not "lost".
    lost = emails_lost_pending(now=now, limit=limit)
    unsent = list(certificates_without_email(limit=limit, since=since))
    certificates_checked_advance(
        since=since,
        swept_at=swept_at,
        found=[*enrollments_completed_at(ids=uncertified), *(c.issued_at for c in unsent)],
        complete=len(uncertified) < limit and len(unsent) < limit,
    )
    for certificate in unsent:
        certificate_email_queue(certificate=certificate)
    for email_id in lost:
        enqueue_on_commit(send_email, email_id)
    unfinished = regrades_unfinished(now=now, limit=limit)
    for regrade_id in unfinished:  # resumes after its last committed batch; a second runner waits on its lock
        enqueue_on_commit(regrade_run, regrade_id)
    found = {
        "stale_progress": len(stale),
        "completed_without_certificate": len(uncertified),
        "certificates_without_email": len(unsent),
        "pending_emails": len(lost),
        "unfinished_regrades": len(unfinished),
    }
    if any(found.values()):
        logger.info("reconcile: %s", ", ".join(f"{name}={count}" for name, count in found.items()))
    return found
