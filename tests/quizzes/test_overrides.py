"""Per-learner overrides (accommodations) through the API: a learner stuck on a sequential course's quiz
(every attempt used, no pass, ``next_step`` null) is unstuck by an instructor's reopen; extra attempts
and extra minutes show in the learner's quiz and progress at once; the key is revealed only once the
extra attempts are used; every grant is audited; only the course's staff may grant."""

from datetime import timedelta

import pytest

from quizzes.models import QuizAttempt, QuizOverrideGrant
from tests.conftest import client_for
from tests.factories import EnrollmentFactory, UserFactory, build_course, publish_draft, right_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def stuck(instructor, django_capture_on_commit_callbacks):
    """A sequential course; the learner read every lesson of module 1 and failed its quiz on every attempt."""
    course = build_course(modules=2, lessons_per_module=1, sequential=True)
    course.instructors.add(instructor)
    learner = UserFactory(username="stuck")
    EnrollmentFactory(learner=learner, course=course)
    client = client_for(learner)
    module = course.modules.order_by("position").first()
    quiz = module.quizzes.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/lessons/{module.lessons.get().pk}/complete/")
        wrong = [{"question": a["question"], "choices": []} for a in right_answers(quiz)]
        for _ in range(quiz.max_attempts):
            assert (
                client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": wrong}, format="json").status_code == 201
            )
    return course, quiz, learner, client


def grant(instructor, quiz, capture, **body):
    with capture(execute=True):
        return client_for(instructor).post(f"/api/quizzes/{quiz.pk}/overrides/", body, format="json")


def test_a_stuck_learner_is_unstuck_by_a_reopen(stuck, instructor, django_capture_on_commit_callbacks):
    course, quiz, _learner, client = stuck
    progress = client.get(f"/api/courses/{course.slug}/progress/").json()
    assert progress["next_step"] is None
    assert (
        client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json").status_code
        == 409
    )

    r = grant(instructor, quiz, django_capture_on_commit_callbacks, learner="stuck", reopen=True, note="illness")
    assert r.status_code == 200, r.json()
    assert (r.json()["extra_attempts"], r.json()["attempts_allowed"]) == (1, quiz.max_attempts + 1)

    progress = client.get(f"/api/courses/{course.slug}/progress/").json()
    assert progress["next_step"]["kind"] == "quiz" and progress["next_step"]["id"] == quiz.pk
    shown = client.get(f"/api/quizzes/{quiz.pk}/").json()
    assert (shown["attempts_left"], shown["max_attempts"]) == (1, quiz.max_attempts + 1)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json")
    assert r.status_code == 201 and r.json()["passed"] is True
    assert (
        client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)}, format="json").status_code
        == 409
    )


def test_the_key_stays_hidden_until_the_extra_attempts_are_used(instructor, django_capture_on_commit_callbacks):
    course = build_course(modules=1, lessons_per_module=1)
    course.instructors.add(instructor)
    learner = UserFactory(username="extra")
    EnrollmentFactory(learner=learner, course=course)
    quiz = course.modules.get().quizzes.get()
    grant(instructor, quiz, django_capture_on_commit_callbacks, learner="extra", extra_attempts=2)
    client = client_for(learner)
    wrong = [{"question": a["question"], "choices": []} for a in right_answers(quiz)]
    for number in range(1, quiz.max_attempts + 3):
        body = client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": wrong}, format="json").json()
        assert body["answers_revealed"] is (number == quiz.max_attempts + 2), number
        listed = client.get(f"/api/quizzes/{quiz.pk}/attempts/").json()["results"][-1]
        assert listed["answers_revealed"] is body["answers_revealed"]
    assert QuizAttempt.objects.filter(learner=learner).count() == quiz.max_attempts + 2


def test_extra_minutes_lengthen_a_timed_attempt(instructor, django_capture_on_commit_callbacks):
    course = build_course(modules=1, lessons_per_module=1)
    course.instructors.add(instructor)
    learner = UserFactory(username="slow")
    EnrollmentFactory(learner=learner, course=course)
    quiz = course.modules.get().quizzes.get()
    quiz.time_limit_minutes = 10
    quiz.save()
    publish_draft(course)
    grant(instructor, quiz, django_capture_on_commit_callbacks, learner="slow", extra_minutes=15)
    attempt = client_for(learner).post(f"/api/quizzes/{quiz.pk}/attempts/start/").json()
    row = QuizAttempt.objects.get(pk=attempt["id"])
    assert timedelta(minutes=24) < row.deadline - row.started_at <= timedelta(minutes=25, seconds=5)


def test_overrides_are_audited_and_listed(stuck, instructor, django_capture_on_commit_callbacks):
    _, quiz, _, _ = stuck
    grant(instructor, quiz, django_capture_on_commit_callbacks, learner="stuck", extra_attempts=2, note="first")
    grant(instructor, quiz, django_capture_on_commit_callbacks, learner="stuck", extra_minutes=5)
    listed = client_for(instructor).get(f"/api/quizzes/{quiz.pk}/overrides/").json()
    assert len(listed) == 1
    row = listed[0]
    assert (row["learner"], row["extra_attempts"], row["extra_minutes"]) == ("stuck", 2, 5)
    assert [(g["extra_attempts"], g["extra_minutes"], g["note"]) for g in row["grants"]] == [
        (2, 5, ""),
        (2, 0, "first"),
    ]
    assert {g["granted_by"] for g in row["grants"]} == {instructor.username}
    assert QuizOverrideGrant.objects.count() == 2


def test_who_may_grant_and_bad_input(stuck, instructor, django_capture_on_commit_callbacks):
    _, quiz, _, client = stuck
    url = f"/api/quizzes/{quiz.pk}/overrides/"
    assert client.post(url, {"learner": "stuck", "reopen": True}, format="json").status_code == 403
    author = client_for(instructor)
    outsider = UserFactory(username="outsider")
    r = author.post(url, {"learner": outsider.username, "extra_attempts": 1}, format="json")
    assert r.status_code == 400 and "learner" in r.json()
    r = author.post(url, {"learner": "nobody-at-all", "extra_attempts": 1}, format="json")
    assert r.status_code == 400 and "learner" in r.json()
    r = author.post(url, {"learner": "stuck", "extra_attempts": -1}, format="json")
    assert r.status_code == 400 and "extra_attempts" in r.json()
