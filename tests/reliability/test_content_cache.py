"""The per-process content caches stay exact across processes: a throwaway gunicorn with several
worker processes (each keeping course pages, lesson pages and quiz questions in its own memory)
and a shared Redis; every worker is warmed, then content changes through the API, and no worker
serves the old content afterwards. PostgreSQL + Redis runs only."""

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.factories import InstructorFactory, UserFactory, build_course
from tests.reliability.conftest import token_for
from tests.reliability.stack import Gunicorn, gunicorn_env, request, start_gunicorn
from tests.worker import database_url_for_tests, worker_tests_enabled

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not worker_tests_enabled(), reason="needs PostgreSQL and Redis"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]
WORKERS = 3
READS = 40  # enough requests on fresh connections that every worker answers some


@pytest.fixture
def shared_cache_server(settings, tmp_path) -> Iterator[Gunicorn]:
    env = gunicorn_env(
        database_url=database_url_for_tests(),
        secret_key=settings.SECRET_KEY,
        REDIS_URL=os.environ.get("REDIS_URL") or os.environ["CELERY_BROKER_URL"],
        CACHE_KEY_PREFIX=f"content-cache-test-{uuid.uuid4().hex}",
    )
    server = start_gunicorn(env=env, tmp=tmp_path, workers=WORKERS, threads=1)
    try:
        yield server
    finally:
        server.stop()


def read_all(server: Gunicorn, path: str, token: str | None = None) -> list:
    answers = [request(server.port, "GET", path, token=token) for _ in range(READS)]
    assert all(a.status in (200, 404) for a in answers), [a.status for a in answers]
    return answers


def test_a_change_reaches_every_worker_at_once(shared_cache_server):
    server = shared_cache_server
    instructor = InstructorFactory()
    course = build_course(modules=1, lessons_per_module=2)
    course.instructors.add(instructor)
    lesson = course.lessons.order_by("position").first()
    learner = UserFactory()
    learner_token, author_token = token_for(learner), token_for(instructor)
    assert request(server.port, "POST", f"/api/courses/{course.slug}/enroll/", token=learner_token).status == 201

    # Every worker has the course page, the lesson page and the catalog in memory.
    for answer in read_all(server, f"/api/courses/{course.slug}/"):
        assert answer.json()["modules"][0]["lessons"][0]["title"] == lesson.title
    read_all(server, f"/api/lessons/{lesson.pk}/", learner_token)
    read_all(server, "/api/courses/")

    changed = request(
        server.port, "PATCH", f"/api/lessons/{lesson.pk}/", token=author_token, body={"title": "Renamed at once"}
    )
    assert changed.status == 200, changed.body
    draft = {a.json()["modules"][0]["lessons"][0]["title"] for a in read_all(server, f"/api/courses/{course.slug}/")}
    assert draft == {lesson.title}  # a draft: learners read the published version until the next publish
    published = request(server.port, "POST", f"/api/courses/{course.slug}/publish/", token=author_token, body={})
    assert published.status == 200, published.body

    titles = {a.json()["modules"][0]["lessons"][0]["title"] for a in read_all(server, f"/api/courses/{course.slug}/")}
    assert titles == {"Renamed at once"}
    lesson_titles = {a.json()["title"] for a in read_all(server, f"/api/lessons/{lesson.pk}/", learner_token)}
    assert lesson_titles == {"Renamed at once"}

    # Unpublishing hides the course from anonymous callers on every worker.
    assert request(server.port, "POST", f"/api/courses/{course.slug}/unpublish/", token=author_token).status == 200
    assert {a.status for a in read_all(server, f"/api/courses/{course.slug}/")} == {404}
    catalog = read_all(server, "/api/courses/")
    assert all(course.slug not in [c["slug"] for c in a.json()["results"]] for a in catalog)
