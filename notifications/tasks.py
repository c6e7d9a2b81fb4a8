"""Email tasks (queue ``email``). Thin: the service sends one recorded message at most once; this task
only decides when to try again."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from notifications.sending import EmailDeferred, email_mark_failed, email_max_attempts, email_send

DB_ERRORS = (OperationalError, InterfaceError)


def email_retry_countdown(*, retries: int) -> int:
    """Seconds before the next try after ``retries`` earlier retries: base, 2×base, 4×base, …
    (``EMAIL_RETRY_BACKOFF_SECONDS``). Capped below the broker's visibility timeout, past which Redis
    would hand the waiting message to another worker as if this one had died."""
    base = max(1, int(getattr(settings, "EMAIL_RETRY_BACKOFF_SECONDS", 30)))
    visibility = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("visibility_timeout", 3600)
    return max(1, min(base * 2**retries, int(visibility * 0.8)))


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=DB_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=10,  # database blips; delivery retries are counted against EMAIL_MAX_ATTEMPTS
    soft_time_limit=45,
    time_limit=60,
)
def send_email(self, email_id: int) -> None:
    try:
        email_send(email_id=email_id)
    except EmailDeferred as exc:
        tries = self.request.retries + 1
        if tries >= email_max_attempts():
            email_mark_failed(email_id=email_id, error=f"Gave up after {tries} tries. Last error: {exc}")
            return
        if self.request.is_eager:
            # No broker to hold a delayed retry (the embedded default, tests): try again at once.
            send_email.apply(args=(email_id,), retries=tries, throw=True)
            return
        raise self.retry(
            exc=exc,
            countdown=email_retry_countdown(retries=self.request.retries),
            max_retries=email_max_attempts(),
        )
