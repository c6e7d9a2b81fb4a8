import time

import pytest

from events.models import Event
from events.tasks import webhooks_sweep
from tests.events.receiver import Receiver


@pytest.fixture(autouse=True)
def _fast_webhooks(settings):
    """Receivers listen on loopback over plain http; retries come within a fraction of a second."""
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOKS_RETRY_MAX_DELAY_SECONDS = 0.2
    settings.WEBHOOKS_TIMEOUT_SECONDS = 2
    settings.PUBLIC_BASE_URL = "https://courses.example.com"


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def drain(until, *, timeout: float = 20, what: str = "") -> None:
    """Run the periodic sweep (what beat does in production) until ``until()`` holds."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or until}")
        webhooks_sweep()
        time.sleep(0.05)


def event_ids(**filters) -> list[str]:
    return [
        str(u)
        for u in Event.objects.filter(position__isnull=False, **filters)
        .order_by("position")
        .values_list("uid", flat=True)
    ]
