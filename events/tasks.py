"""Event tasks (queue ``webhooks``). Thin: the dispatcher numbers and fans out committed events, the
sender delivers one subscription's events in order; the sweep (beat) wakes whatever no message did."""

from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from events.delivery import subscriptions_due, webhook_subscription_send
from events.outbox import events_dispatch as dispatch

DISPATCH_QUEUED_KEY = "events:dispatch-queued"  # set by events.services when it queues a dispatch

DB_ERRORS = (OperationalError, InterfaceError)
COUNTDOWN_MAX = 60  # a later retry is left to the sweep: long ETAs sit badly with Redis' visibility timeout


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=DB_ERRORS, retry_backoff=1, max_retries=10)
def events_dispatch() -> int:
    cache.delete(DISPATCH_QUEUED_KEY)  # first: a row committed from now on queues another dispatch
    positioned, touched = dispatch()
    for subscription_id in sorted(touched):
        webhook_send.delay(subscription_id)
    return positioned


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=DB_ERRORS,
    retry_backoff=1,
    max_retries=10,
    soft_time_limit=60,
    time_limit=75,
)
def webhook_send(self, subscription_id: int) -> None:
    wait = webhook_subscription_send(subscription_id=subscription_id)
    if wait is None or self.request.is_eager:
        return  # embedded default and tests: retries come from the sweep
    if wait <= COUNTDOWN_MAX:
        webhook_send.apply_async((subscription_id,), countdown=max(0.0, wait))


@shared_task(acks_late=True, autoretry_for=DB_ERRORS, retry_backoff=1, max_retries=3)
def webhooks_sweep() -> int:
    """Periodic: number events no dispatch message announced (the broker was down when they
    committed), then wake every subscription with a delivery due."""
    events_dispatch()
    due = subscriptions_due()
    for subscription_id in due:
        webhook_send.delay(subscription_id)
    return len(due)
