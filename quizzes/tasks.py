"""Quiz tasks (queue ``progress``). Thin: load by primary key, call the service; idempotent (the run's
row lock, watermark and status guard), so ``acks_late`` redelivery after a worker dies is safe."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from quizzes.regrade.services import regrade_run as regrade_run_service

RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RELIABLE, name="quizzes.tasks.regrade_run", soft_time_limit=1800, time_limit=1900)
def regrade_run(regrade_id: int) -> dict | None:
    """Regrade every attempt of the run's quiz, batch by batch; resumes after the last committed batch."""
    regrade = regrade_run_service(regrade_id=regrade_id)
    if regrade is None:
        return None
    return {"regrade": regrade.pk, "attempts": regrade.attempts, "changed": regrade.attempts_changed}
