from collections.abc import Iterator

import pytest

from tests.reliability.stack import Gunicorn, gunicorn_env, start_gunicorn
from tests.worker import database_url_for_tests, live_celery_fixture  # noqa: F401


@pytest.fixture
def api_server(live_celery, settings, tmp_path) -> Iterator[Gunicorn]:
    """The API served by a throwaway gunicorn (3 gthread workers × 4 threads, production settings)
    on the pytest test database, publishing tasks to the test's broker (no eager tasks)."""
    env = gunicorn_env(
        database_url=database_url_for_tests(), broker_url=live_celery.broker_url, secret_key=settings.SECRET_KEY
    )
    server = start_gunicorn(env=env, tmp=tmp_path)
    try:
        yield server
    finally:
        server.stop()


def token_for(user) -> str:
    from accounts.services import token_create

    return token_create(user=user, client="tests")[1]
