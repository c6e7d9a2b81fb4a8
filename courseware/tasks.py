"""Progress pipeline tasks (queue ``progress``). Thin: load by primary key, call the service. Every one
is idempotent (row locks, unique constraints, status guards), so ``acks_late`` redelivery after a
worker dies mid-task is safe; a database blip is retried with backoff."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from courseware import reconcile as sweeps
from courseware import services

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


@shared_task(**RELIABLE, soft_time_limit=30, time_limit=45)
def recompute_enrollment_progress(enrollment_id: int, activity_seq: int | None = None) -> None:
    """``activity_seq``: the number the triggering completion or attempt gave the enrollment's activity
    (a task it is already covered by returns after one read). None (content changes, reconcile, and
    messages queued before the argument existed): recompute unconditionally."""
    services.enrollment_progress_recompute(enrollment_id=enrollment_id, activity_seq=activity_seq)


@shared_task(**RELIABLE, soft_time_limit=120, time_limit=150)
def refresh_course_progress(course_id: int) -> None:
    """After a content change: recompute every live enrollment of the course, one task each."""
    from courseware.models import Enrollment

    ids = (
        Enrollment.objects.filter(course_id=course_id)
        .exclude(status=Enrollment.Status.DROPPED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for enrollment_id in ids.iterator(chunk_size=2000):
        recompute_enrollment_progress.delay(enrollment_id)


@shared_task(**RELIABLE, soft_time_limit=120, time_limit=150)
def reconcile() -> dict[str, int]:
    """Periodic (beat): redo progress, certificates and emails whose task message was lost."""
    return sweeps.reconcile_run()


@shared_task(**RELIABLE, soft_time_limit=600, time_limit=660)
def send_inactivity_reminders() -> int:
    """Periodic (beat, daily): one reminder per idle enrollment and period."""
    return sweeps.inactivity_reminders_queue()
