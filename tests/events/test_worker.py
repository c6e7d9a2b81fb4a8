"""Webhooks on the real thing: Celery workers (prefork) on the ``webhooks`` queue, PostgreSQL, Redis,
and a verifying receiver on loopback. A worker SIGKILLed mid-delivery and a broker down while events
are written: every event arrives, in order, and a duplicate carries the same ``webhook-id``.

Run with DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL or REDIS_URL (Redis) set; skipped otherwise."""

import contextlib
import threading
import time

import pytest

from courseware.enrollment.services import enrollment_create
from events.models import Event, WebhookDelivery
from events.subscriptions import webhook_subscription_create
from events.tasks import webhooks_sweep
from tests.events.receiver import Receiver
from tests.factories import AdminFactory, UserFactory, build_course
from tests.reliability.stack import record_figures
from tests.worker import VISIBILITY_TIMEOUT, free_port, live_celery_fixture, requires_worker, wait_until  # noqa: F401

pytestmark = [pytest.mark.worker, requires_worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
WORKER_ENV = {
    "WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
    "WEBHOOKS_RETRY_BASE_SECONDS": "1",
    "WEBHOOKS_RETRY_MAX_DELAY_SECONDS": "2",
    "WEBHOOKS_TIMEOUT_SECONDS": "3",
}


@pytest.fixture(autouse=True)
def _private_urls(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    # The workers share the test process's cache keys, as every process of a deployment does: the
    # dispatcher clears the "dispatch queued" mark the writers set (events.services._dispatch_soon).
    WORKER_ENV["CACHE_KEY_PREFIX"] = settings.CACHES["default"].get("KEY_PREFIX", "courses")


@contextlib.contextmanager
def beat(every: float = 1.0):
    """What celery beat does in production: the sweep, published every ``every`` seconds."""
    stop = threading.Event()

    def run():
        while not stop.wait(every):
            with contextlib.suppress(Exception):  # the broker may be down: beat would miss a tick too
                webhooks_sweep.delay()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def subscribe(receiver: Receiver) -> None:
    sub = webhook_subscription_create(owner=AdminFactory(), url=receiver.url, event_types=list(Event.Type.values))
    receiver.secrets = [sub.secret]


def enroll(n: int) -> None:
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    for _ in range(n):
        enrollment_create(learner=UserFactory(), course=course)


def ordered_ids() -> list[str]:
    return [
        str(u) for u in Event.objects.filter(position__isnull=False).order_by("position").values_list("uid", flat=True)
    ]


def first_seen(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def test_worker_killed_mid_delivery_loses_nothing_and_a_duplicate_has_the_same_id(live_celery):
    receiver = Receiver(delay=0.7).start()  # each answer takes a while: the kill lands mid-request
    try:
        subscribe(receiver)
        worker = live_celery.start_worker(queues="webhooks", **WORKER_ENV)
        enroll(8)
        wait_until(lambda: len(receiver.requests) >= 3, timeout=60, what="three deliveries")
        time.sleep(0.3)  # inside the fourth request
        worker.kill()
        at_kill = len(receiver.requests)
        assert at_kill < 8, "everything was delivered before the kill: nothing was tested"
        live_celery.start_worker(queues="webhooks", **WORKER_ENV)
        started = time.monotonic()
        with beat():
            wait_until(
                lambda: not WebhookDelivery.objects.filter(status="pending").exists(), timeout=90, what="redelivery"
            )
        expected = ordered_ids()
        ids = receiver.ids()
        assert len(expected) == 8
        assert first_seen(ids) == expected  # nothing lost, nothing invented, in order
        duplicates = len(ids) - len(expected)
        assert duplicates <= 1  # at most the request in flight at the kill, sent again with its id
        assert receiver.all_verified()
        record_figures(
            "webhooks_worker_killed_mid_delivery",
            events=len(expected),
            received=len(ids),
            duplicates_same_id=duplicates,
            delivered_before_kill=at_kill,
            seconds_to_recover=round(time.monotonic() - started, 1),
        )
    finally:
        receiver.stop()


def test_broker_down_while_events_are_written_the_outbox_drains_after(live_celery):
    port = free_port()
    redis_server = live_celery.start_redis(port)
    live_celery.use_broker(f"redis://127.0.0.1:{port}/1")
    receiver = Receiver().start()
    try:
        subscribe(receiver)
        live_celery.stop_service(redis_server)  # the broker is gone
        enroll(6)  # every write succeeds; its dispatch message cannot be published
        assert Event.objects.count() == 6 and not Event.objects.filter(position__isnull=False).exists()
        live_celery.start_redis(port)  # back, empty
        live_celery.use_broker(f"redis://127.0.0.1:{port}/1")
        live_celery.start_worker(queues="webhooks", **WORKER_ENV)
        with beat():
            wait_until(lambda: len(receiver.requests) >= 6, timeout=60, what="the outbox to drain")
        assert receiver.ids() == ordered_ids() and len(receiver.ids()) == 6
        assert receiver.all_verified()
        record_figures("webhooks_broker_down_while_writing", events=6, received=len(receiver.ids()), lost=0)
    finally:
        receiver.stop()
