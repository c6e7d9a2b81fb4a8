"""The token lookup also reads the caller's state in the course a request is about
(``learning.state.learner_by_token``). What it reads is the caller's own, for that request
only, and a read after a write sees the write."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for
from tests.factories import EnrollmentFactory, UserFactory, build_course

pytestmark = pytest.mark.django_db

BEYOND_BIGINT = 2**64


def _lessons(course):
    return list(course.lessons.order_by("module__position", "position"))


def test_two_learners_taking_turns_each_see_only_their_own_state(course):
    ann, bob = UserFactory(), UserFactory()
    EnrollmentFactory(learner=ann, course=course)
    EnrollmentFactory(learner=bob, course=course)
    as_ann, as_bob = client_for(ann), client_for(bob)
    first = _lessons(course)[0]
    assert as_ann.post(f"/api/lessons/{first.pk}/complete/").status_code == 200

    for _ in range(2):  # alternate, on one thread, as one worker would serve them
        ann_page, bob_page = as_ann.get(f"/api/courses/{course.slug}/"), as_bob.get(f"/api/courses/{course.slug}/")
        ann_done = [les["completed"] for m in ann_page.json()["modules"] for les in m["lessons"]]
        bob_done = [les["completed"] for m in bob_page.json()["modules"] for les in m["lessons"]]
        assert ann_done[0] is True and not any(bob_done)
        assert as_ann.get(f"/api/courses/{course.slug}/progress/").json()["completed_lessons"] == 1
        assert as_bob.get(f"/api/courses/{course.slug}/progress/").json()["completed_lessons"] == 0
        assert as_ann.get(f"/api/lessons/{first.pk}/").json()["completed"] is True
        assert as_bob.get(f"/api/lessons/{first.pk}/").json()["completed"] is False


def test_state_read_for_one_course_is_not_served_for_another(learner, learner_client):
    one, other = build_course(), build_course()
    EnrollmentFactory(learner=learner, course=one)
    lesson_in_one = _lessons(one)[0]
    assert learner_client.post(f"/api/lessons/{lesson_in_one.pk}/complete/").status_code == 200

    assert learner_client.get(f"/api/courses/{other.slug}/progress/").status_code == 403  # not enrolled there
    page = learner_client.get(f"/api/courses/{other.slug}/").json()
    assert page.get("enrollment") is None
    assert {les["completed"] for m in page["modules"] for les in m["lessons"]} == {None}  # not a learner here


def test_a_read_after_a_write_sees_it(learner, learner_client, course):
    EnrollmentFactory(learner=learner, course=course)
    lessons = _lessons(course)
    before = learner_client.get(f"/api/courses/{course.slug}/progress/").json()
    for lesson in lessons:
        assert learner_client.post(f"/api/lessons/{lesson.pk}/complete/").json()["created"] is True
        assert learner_client.get(f"/api/lessons/{lesson.pk}/").json()["completed"] is True
    after = learner_client.get(f"/api/courses/{course.slug}/progress/").json()
    assert (before["completed_lessons"], after["completed_lessons"]) == (0, len(lessons))


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", f"/api/lessons/{BEYOND_BIGINT}/"),
        ("post", f"/api/lessons/{BEYOND_BIGINT}/complete/"),
        ("get", f"/api/quizzes/{BEYOND_BIGINT}/"),
        ("post", f"/api/quizzes/{BEYOND_BIGINT}/attempts/"),
        ("get", "/api/courses/no-such-course/"),
        ("get", "/api/courses/no-such-course/progress/"),
    ],
)
def test_what_names_no_row_is_a_404_with_a_reason(learner_client, method, url):
    response = getattr(learner_client, method)(url, {}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_bad_or_inactive_token_is_refused_on_the_learner_reads(learner, course):
    EnrollmentFactory(learner=learner, course=course)
    client = client_for(learner)
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    lesson = _lessons(course)[0]
    for url in (f"/api/courses/{course.slug}/progress/", f"/api/lessons/{lesson.pk}/"):
        response = client.get(url)
        assert response.status_code == 401 and response.json()["detail"]
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(f"/api/courses/{course.slug}/progress/").status_code == 401


def test_the_course_page_reads_everything_in_one_statement(learner, learner_client, course):
    EnrollmentFactory(learner=learner, course=course)
    learner_client.get(f"/api/courses/{course.slug}/")  # warm the content cache
    with CaptureQueriesContext(connection) as ctx:
        assert learner_client.get(f"/api/courses/{course.slug}/").status_code == 200
    assert len(ctx.captured_queries) == 1
