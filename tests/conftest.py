import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import AdminFactory, InstructorFactory, UserFactory, build_course


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached pages never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    """An API client authenticated with the user's token, as a mobile client would be."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
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
