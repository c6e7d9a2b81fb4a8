"""The learner API's hot paths issue a fixed number of queries, whatever the size of the course or
of the caller's data. Each path is measured uncached (cache cleared first) and cached."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from courseware.models import Course
from quizzes.models import Question, Quiz
from tests.conftest import client_for
from tests.factories import (
    ChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonCompletionFactory,
    QuestionFactory,
    QuizAttemptFactory,
    UserFactory,
    build_course,
    publish_draft,
)

pytestmark = pytest.mark.django_db

SMALL = {"modules": 2, "lessons": 2, "questions": 2, "rows": 2}
LARGE = {"modules": 6, "lessons": 5, "questions": 8, "rows": 30}


def queries(client: APIClient, url: str, *, cached: bool = False) -> int:
    """Queries of one GET (asserting it is a 200). Uncached: the cache is cleared first. Cached: the
    same request is made once to warm the cache, then measured."""
    cache.clear()
    if cached:
        assert client.get(url).status_code == 200
        # Throttle history lives in the cache too; a warm cache must not change what is measured.
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries)


def learner_world(size: dict, *, sequential: bool = False) -> dict:
    """A course of the given size with an enrolled learner who has done some of it."""
    course = build_course(modules=size["modules"], lessons_per_module=size["lessons"], sequential=sequential)
    course.instructors.add(InstructorFactory())
    quizzes = list(Quiz.objects.filter(course=course).order_by("module__position"))
    for quiz in quizzes:
        for n in range(3, size["questions"] + 1):
            question = QuestionFactory(quiz=quiz, position=n, kind=Question.Kind.MULTIPLE)
            for c in range(1, 4):
                ChoiceFactory(question=question, position=c, is_correct=c == 1)
    learner = UserFactory()
    EnrollmentFactory(learner=learner, course=course)
    lessons = list(course.lessons.order_by("module__position", "position"))
    first_module_lessons = [lesson for lesson in lessons if lesson.module_id == lessons[0].module_id]
    for lesson in first_module_lessons + lessons[-2:]:
        LessonCompletionFactory(learner=learner, lesson=lesson)
    for number in range(1, min(3, size["rows"]) + 1):
        QuizAttemptFactory(learner=learner, quiz=quizzes[0], number=number, score=50 * (number - 1), passed=number > 1)
    # Other learners' rows must not matter either.
    for _ in range(size["rows"] // 10 + 1):
        other = UserFactory()
        EnrollmentFactory(learner=other, course=course)
        LessonCompletionFactory(learner=other, lesson=lessons[0])
    # The learner's other enrollments.
    for _ in range(size["rows"]):
        EnrollmentFactory(learner=learner, course=CourseFactory(instructors=[InstructorFactory()]))
    return {
        "course": course,
        "client": client_for(learner),
        "learner": learner,
        "lesson": lessons[-1],
        "quiz": quizzes[-1],
        "first_quiz": quizzes[0],
    }


def catalog_world(size: dict) -> None:
    Course.objects.all().delete()
    for _ in range(size["rows"]):
        course = CourseFactory(instructors=[InstructorFactory(), InstructorFactory()])
        build_course(modules=1, lessons_per_module=1, slug=f"{course.slug}-b").instructors.add(InstructorFactory())


@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "cached"])
@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_catalog_query_count_does_not_grow(cached, who):
    client = APIClient() if who == "anonymous" else client_for(UserFactory())
    catalog_world(SMALL)
    small = queries(client, "/api/courses/?page_size=100", cached=cached)
    catalog_world(LARGE)
    large = queries(client, "/api/courses/?page_size=100", cached=cached)
    assert small == large
    assert large <= 5


@pytest.mark.parametrize(
    "search",
    ["course", "testing cour", "a", "course&ordering=-published_at&max_hours=100"],
    ids=["word", "words and a prefix", "only stop words", "with filters and ordering"],
)
@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_uncached_catalog_search_is_one_statement(search, who):
    """A catalog search not cached yet is one statement on PostgreSQL: the page with its total
    (``COUNT(*) OVER ()``), the counts on the course rows, matched and ranked on the stored search
    document, and the instructors' names aggregated in it. Elsewhere (SQLite: ``LIKE``) the names are
    one more query. However many courses there are and match. A signed-in learner's page also reads
    their token and whether they teach an unpublished course (which makes the page theirs)."""
    client = APIClient() if who == "anonymous" else client_for(UserFactory())
    catalog_world(SMALL)
    small = queries(client, f"/api/courses/?page_size=100&search={search}")
    catalog_world(LARGE)
    large = queries(client, f"/api/courses/?page_size=100&search={search}")
    page = 1 if connection.vendor == "postgresql" else 2
    assert small == large == page + (0 if who == "anonymous" else 2)


@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "cached"])
@pytest.mark.parametrize("sequential", [False, True], ids=["free", "sequential"])
def test_learner_paths_query_counts_do_not_grow(cached, sequential):
    small = learner_world(SMALL, sequential=sequential)
    large = learner_world(LARGE, sequential=sequential)
    paths = {
        "course detail (enrolled)": lambda w: f"/api/courses/{w['course'].slug}/",
        "progress": lambda w: f"/api/courses/{w['course'].slug}/progress/",
        "lesson detail": lambda w: f"/api/lessons/{w['lesson'].pk}/",
        "quiz detail": lambda w: f"/api/quizzes/{w['first_quiz'].pk}/",
        "quiz attempts": lambda w: f"/api/quizzes/{w['first_quiz'].pk}/attempts/",
        "enrollment list": lambda w: "/api/enrollments/?page_size=100",
    }
    if not sequential:
        # Later content is open in a free course; in a sequential one it is locked (403).
        paths["last quiz detail"] = lambda w: f"/api/quizzes/{w['quiz'].pk}/"
    counts = {
        name: (queries(small["client"], url(small), cached=cached), queries(large["client"], url(large), cached=cached))
        for name, url in paths.items()
        if name != "lesson detail" or not sequential
    }
    assert {name: a for name, (a, _) in counts.items()} == {name: b for name, (_, b) in counts.items()}, counts
    assert all(n <= 16 for pair in counts.values() for n in pair), counts


@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "cached"])
def test_anonymous_course_detail_query_count_does_not_grow(cached):
    small = learner_world(SMALL)
    large = learner_world(LARGE)
    a = queries(APIClient(), f"/api/courses/{small['course'].slug}/", cached=cached)
    b = queries(APIClient(), f"/api/courses/{large['course'].slug}/", cached=cached)
    assert a == b
    assert b <= 8


def test_the_cached_outline_saves_queries():
    world = learner_world(LARGE)
    url = f"/api/courses/{world['course'].slug}/"
    assert queries(world["client"], url, cached=True) < queries(world["client"], url, cached=False)


def test_sequential_lesson_detail_query_count_does_not_grow():
    """In a sequential course, a lesson of the first (open) module, whatever the course size."""
    counts = []
    for size in (SMALL, LARGE):
        world = learner_world(size, sequential=True)
        first = world["course"].lessons.order_by("module__position", "position").first()
        counts.append(queries(world["client"], f"/api/lessons/{first.pk}/"))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
def test_warm_hot_paths_stay_within_their_query_budget(size):
    """With content cached (each process's memory, checked against the content version), a learner
    request costs one query: the token lookup, which also reads the caller's own state in the
    course (enrollment, certificate, teaching, this lesson's completion; completions and quiz
    standings where the page shows them), whatever the size of the course or of the tables."""
    world = learner_world(size)
    slug, client = world["course"].slug, world["client"]
    budget = {
        f"/api/courses/{slug}/": 1,
        f"/api/courses/{slug}/progress/": 1,
        f"/api/lessons/{world['lesson'].pk}/": 1,
    }
    assert {url: queries(client, url, cached=True) for url in budget} == budget
    assert queries(APIClient(), f"/api/courses/{slug}/", cached=True) == 0
    assert queries(APIClient(), "/api/courses/", cached=True) == 0
    repeat = f"/api/lessons/{world['lesson'].pk}/complete/"
    assert client.post(repeat).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(repeat).json()["created"] is False
    assert len(ctx.captured_queries) == 1  # a repeat writes nothing


def test_a_warm_learner_request_makes_one_redis_round_trip(monkeypatch):
    """The rate-limit counter and the content-version read share one round trip to Redis."""
    if not hasattr(cache, "client") or not hasattr(cache.client, "get_client"):
        pytest.skip("needs Redis as the cache (REDIS_URL)")
    import redis.connection

    world = learner_world(SMALL)
    slug, client = world["course"].slug, world["client"]
    urls = [f"/api/courses/{slug}/", f"/api/courses/{slug}/progress/", f"/api/lessons/{world['lesson'].pk}/"]
    for url in urls:  # warm every cache layer
        assert client.get(url).status_code == 200
    assert APIClient().get(f"/api/courses/{slug}/").status_code == 200
    sends = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        sends.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    trips = {}
    for url in urls:
        sends.clear()
        assert client.get(url).status_code == 200
        trips[url] = len(sends)
    sends.clear()
    assert APIClient().get(f"/api/courses/{slug}/").status_code == 200
    trips["anonymous outline"] = len(sends)
    assert trips == {**dict.fromkeys(urls, 1), "anonymous outline": 1}


def _writes(world: dict, prior_attempts: int) -> dict[str, int]:
    """Queries of a quiz submission (after ``prior_attempts`` earlier ones) and of a new completion."""
    import json

    from lessons.models import LessonCompletion

    client, quiz = world["client"], world["quiz"]
    Quiz.objects.filter(pk=quiz.pk).update(max_attempts=prior_attempts + 5)
    publish_draft(world["course"])
    for number in range(1, prior_attempts + 1):
        QuizAttemptFactory(learner=world["learner"], quiz=quiz, number=number, score=0, passed=False)
    answers = [
        {"question": q.pk, "choices": [c.pk for c in q.choices.all() if c.is_correct]}
        for q in quiz.questions.prefetch_related("choices")
    ]
    post = lambda: client.post(  # noqa: E731
        f"/api/quizzes/{quiz.pk}/attempts/", data=json.dumps({"answers": answers}), content_type="application/json"
    )
    assert post().status_code == 201  # warm the caches
    with CaptureQueriesContext(connection) as ctx:
        r = post()
    assert r.status_code == 201, r.content
    assert r.json()["number"] == prior_attempts + 2
    counts = {"quiz submission": len(ctx.captured_queries)}
    fresh = list(world["course"].lessons.order_by("-module__position", "-position")[:2])
    LessonCompletion.objects.filter(learner=world["learner"], lesson__in=fresh).delete()
    assert client.post(f"/api/lessons/{fresh[0].pk}/complete/").json()["created"] is True
    assert client.get(f"/api/lessons/{fresh[1].pk}/").status_code == 200  # read before it is completed
    with CaptureQueriesContext(connection) as ctx:
        r = client.post(f"/api/lessons/{fresh[1].pk}/complete/")
    assert r.status_code == 200 and r.json()["created"] is True, r.content
    counts["new completion"] = len(ctx.captured_queries)
    return counts


def test_learner_writes_cost_the_same_whatever_the_history():
    """A submission reads the learner's attempts as one aggregate (not the list), and a completion is
    one insert: the same queries after 1 attempt as after 40, in a small course as in a large one."""
    small, large = learner_world(SMALL), learner_world(LARGE)
    a, b = _writes(small, prior_attempts=1), _writes(large, prior_attempts=40)
    assert a == b
    # Submission: token with the learner's state, activity number (locks the enrollment), attempt
    # tally, attempt, answers; completion: token with the learner's state, insert, activity number.
    # Each write also shows its transaction as a savepoint and its release (the test runs inside a
    # transaction of its own). Each also writes its outbox event (one INSERT, in the same transaction:
    # events.services.event_record), the one query the event feed and webhooks add to these paths.
    assert a == {"quiz submission": 8, "new completion": 6}
