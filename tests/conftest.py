import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.services import token_create
from tests.factories import AdminFactory, InstructorFactory, UserFactory, build_course


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached pages never leak from one test into the next."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def token_for(user) -> str:
    """A key for one of the user's API tokens (one per user here, as a test client signs in once)."""
    if not hasattr(user, "_test_token_key"):
        user._test_token_key = token_create(user=user, client="tests")[1]
    return user._test_token_key


def client_for(user) -> APIClient:
    """An API client authenticated with the user's token, as a mobile client would be."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def other_learner(db):
    return UserFactory()


@pytest.fixture
def instructor(db):
    return InstructorFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def learner_client(learner) -> APIClient:
    return client_for(learner)


@pytest.fixture
def course(db, instructor):
    course = build_course()
    course.instructors.add(instructor)
    return course


@pytest.fixture
def fresh_rate_window():
    """Start the test early in a one-minute rate window: the throttles count in fixed windows, and a
    test that makes a dozen requests near a window's end would see its count restart midway."""
    import time

    left = 60 - time.time() % 60
    if left < 20:
        time.sleep(left + 0.05)


def without_event_dispatch(callbacks) -> list:
    """On-commit callbacks other than the outbox dispatcher's (``events.services._dispatch_soon``, queued by
    every transaction that records an event): for tests that count one pipeline's callbacks or queries."""

    def task_name(callback) -> str:
        for cell in getattr(callback, "__closure__", None) or ():
            name = getattr(cell.cell_contents, "name", None)
            if isinstance(name, str):
                return name
        return ""

    def is_dispatch(callback) -> bool:
        if getattr(callback, "__module__", "") == "events.services" and callback.__name__ == "_dispatch_soon":
            return True
        return task_name(callback) == "events.tasks.events_dispatch"

    return [cb for cb in callbacks if not is_dispatch(cb)]
