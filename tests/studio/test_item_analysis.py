"""Item analysis in the course analytics, through real submissions: difficulty (share of full credit on
first attempts), discrimination (point-biserial against the rest of the quiz, checked against a plain
computation), per-choice pick rates, a key flagged when most strong learners pick one wrong choice,
stale grades after a key edit without a regrade, and queries that do not grow with learners."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.factories import CourseFactory, EnrollmentFactory, LessonFactory, ModuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _questions():
    return [
        {
            "text": "Capital of France?",
            "kind": "single",
            "choices": [{"text": "Lyon", "is_correct": True}, {"text": "Paris"}, {"text": "Nice"}],
        },  # a wrong key: strong learners pick Paris
        {"text": "Half of seven?", "kind": "numeric", "answer": 3.5, "points": 2},
        {"text": "Say yes", "kind": "text", "accepted": ["yes"]},
    ]


@pytest.fixture
def quiz(instructor):
    course = CourseFactory(slug="items", instructors=[instructor])
    module = ModuleFactory(course=course, position=1)
    LessonFactory(module=module, course=course, position=1)  # a course is published with a lesson
    body = {"title": "Items", "max_attempts": 3, "questions": _questions()}
    r = client_for(instructor).post(f"/api/modules/{module.pk}/quizzes/", body, format="json")
    assert r.status_code == 201, r.json()
    publish(instructor, course)
    return course, r.json()


def publish(instructor, course, capture=None) -> None:
    """Learners take (and regrades grade against) the published version."""
    if capture is None:
        r = client_for(instructor).post(f"/api/courses/{course.slug}/publish/", {}, format="json")
    else:
        with capture(execute=True):
            r = client_for(instructor).post(f"/api/courses/{course.slug}/publish/", {}, format="json")
    assert r.status_code == 200, r.json()


def take(course, quiz, *, capital: str, numeric: str, text: str):
    user = UserFactory()
    EnrollmentFactory(learner=user, course=course)
    q = quiz["questions"]
    pick = next(c["id"] for c in q[0]["choices"] if c["text"] == capital)
    answers = [
        {"question": q[0]["id"], "choices": [pick]},
        {"question": q[1]["id"], "value": numeric},
        {"question": q[2]["id"], "value": text},
    ]
    r = client_for(user).post(f"/api/quizzes/{quiz['id']}/attempts/", {"answers": answers}, format="json")
    assert r.status_code == 201, r.json()


def cohort(course, quiz, n: int = 1):
    for _ in range(n):
        for _ in range(6):  # strong: numeric and text right, and Paris
            take(course, quiz, capital="Paris", numeric="3.5", text="yes")
        for _ in range(3):  # middle
            take(course, quiz, capital="Lyon", numeric="3.5", text="no")
        for _ in range(6):  # weak
            take(course, quiz, capital="Nice", numeric="1", text="no")


def analytics(instructor) -> dict:
    r = client_for(instructor).get("/api/courses/items/analytics/")
    assert r.status_code == 200, r.json()
    return r.json()


def point_biserial(pairs: list[tuple[int, float]]) -> float:
    n = len(pairs)
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    cov = sum((x - mx) * (y - my) for x, y in pairs)
    vx = sum((x - mx) ** 2 for x, _ in pairs)
    vy = sum((y - my) ** 2 for _, y in pairs)
    return cov / (vx * vy) ** 0.5


def test_difficulty_discrimination_pick_rates_and_a_suspected_key(quiz, instructor):
    course, authored = quiz
    cohort(course, authored)
    capital, numeric, _text = analytics(instructor)["questions"]
    assert capital["difficulty"] == pytest.approx(3 / 15, abs=1e-3)
    assert numeric["difficulty"] == pytest.approx(9 / 15, abs=1e-3)
    # capital right (1) only for the middle group; the rest of their quiz: numeric 2 points (+ text for strong)
    pairs = [(0, 3.0)] * 6 + [(1, 2.0)] * 3 + [(0, 0.0)] * 6
    assert capital["discrimination"] == pytest.approx(point_biserial(pairs), abs=1e-3)
    assert numeric["discrimination"] > 0.5  # the strong get it, the weak do not
    rates = {c["text"]: (c["picks"], c["pick_rate"], c["strong_pick_rate"]) for c in capital["choices"]}
    assert rates == {"Lyon": (3, 20.0, 0.0), "Paris": (6, 40.0, 100.0), "Nice": (6, 40.0, 0.0)}
    assert capital["key_suspect"] is True
    assert capital["suspect_choice"] == next(c["id"] for c in capital["choices"] if c["text"] == "Paris")
    assert numeric["key_suspect"] is False and numeric["choices"] == []


def test_a_key_edited_without_a_regrade_leaves_grades_stale(quiz, instructor, django_capture_on_commit_callbacks):
    course, authored = quiz
    take(course, authored, capital="Paris", numeric="3.5", text="yes")
    assert analytics(instructor)["quizzes"][0]["stale"] is False
    fixed = _questions()
    fixed[0]["choices"] = [{"text": "Lyon"}, {"text": "Paris", "is_correct": True}, {"text": "Nice"}]
    r = client_for(instructor).patch(f"/api/quizzes/{authored['id']}/", {"questions": fixed}, format="json")
    assert r.status_code == 200
    assert analytics(instructor)["quizzes"][0]["stale"] is False  # a draft edit: learners are not graded on it yet
    publish(instructor, course, django_capture_on_commit_callbacks)
    row = analytics(instructor)["quizzes"][0]
    assert row["stale"] is True and row["stale_attempts"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(instructor).post(f"/api/quizzes/{authored['id']}/regrade/", {}, format="json")
    assert r.status_code == 202
    assert analytics(instructor)["quizzes"][0]["stale"] is False


def test_item_analysis_queries_do_not_grow_with_learners(quiz, instructor):
    course, authored = quiz
    client = client_for(instructor)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/courses/items/analytics/").status_code == 200
        return len(ctx.captured_queries)

    cohort(course, authored)
    small = count()
    cohort(course, authored, n=3)
    assert count() == small
