"""The caller's progress in a course, through the HTTP API."""

import pytest
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from courseware.models import Certificate, Enrollment
from quizzes.models import Quiz
from tests.conftest import client_for
from tests.factories import EnrollmentFactory, UserFactory, build_course, publish_draft, right_answers

pytestmark = pytest.mark.django_db

FIELDS = {
    "progress", "status", "completed_lessons", "total_lessons", "passed_quizzes", "total_quizzes", "quizzes",
    "next_lesson", "next_step", "last_activity_at", "certificate",
}  # fmt: skip


class Learning:
    """An enrolled learner in a course of 2 modules × 2 lessons + 1 quiz each (6 items)."""

    def __init__(self, **course_fields):
        self.course = build_course(modules=2, lessons_per_module=2, **course_fields)
        Quiz.objects.filter(course=self.course).update(max_attempts=50)
        publish_draft(self.course)
        self.learner = UserFactory()
        self.enrollment = EnrollmentFactory(learner=self.learner, course=self.course)
        self.client = client_for(self.learner)
        self.lessons = list(self.course.lessons.order_by("module__position", "position"))
        self.quizzes = list(self.course.quizzes.order_by("module__position"))

    @property
    def url(self) -> str:
        return f"/api/courses/{self.course.slug}/progress/"

    def progress(self) -> dict:
        r = self.client.get(self.url)
        assert r.status_code == 200, r.json()
        return r.json()

    def complete(self, lesson):
        r = self.client.post(f"/api/lessons/{lesson.pk}/complete/")
        assert r.status_code in (200, 202), r.json()

    def submit(self, quiz, *, right=True):
        answers = right_answers(quiz)
        if not right:
            answers = [{"question": a["question"], "choices": []} for a in answers]
        r = self.client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": answers}, format="json")
        assert r.status_code == 201, r.json()
        return r.json()

    def finish(self):
        for lesson in self.lessons:
            self.complete(lesson)
        for quiz in self.quizzes:
            self.submit(quiz)


def test_progress_fields_for_a_new_enrollment():
    t = Learning()
    body = t.progress()
    assert set(body) >= FIELDS
    assert body["progress"] == 0 and body["status"] == "active"
    assert (body["completed_lessons"], body["total_lessons"]) == (0, 4)
    assert (body["passed_quizzes"], body["total_quizzes"]) == (0, 2)
    assert [q["id"] for q in body["quizzes"]] == [q.pk for q in t.quizzes]
    assert all(q["best_score"] is None and q["passed"] is False and q["attempts"] == 0 for q in body["quizzes"])
    assert body["next_lesson"]["id"] == t.lessons[0].pk
    assert body["next_step"] == {"kind": "lesson", **body["next_lesson"]}
    assert body["certificate"] is None


def test_progress_not_enrolled_is_403():
    t = Learning()
    r = client_for(UserFactory()).get(t.url)
    assert r.status_code == 403 and "detail" in r.json()


def test_progress_anonymous_is_401():
    assert APIClient().get(Learning().url).status_code == 401


def test_progress_unknown_or_unpublished_course_is_404():
    t = Learning()
    assert t.client.get("/api/courses/nope/progress/").status_code == 404
    t.course.is_published = False
    t.course.save()
    assert t.client.get(t.url).status_code == 404


def test_progress_counts_items_and_resumes_at_the_first_incomplete_lesson():
    t = Learning()
    t.complete(t.lessons[0])
    t.complete(t.lessons[2])  # out of order
    body = t.progress()
    assert body["completed_lessons"] == 2
    assert body["progress"] == 100 * 2 // 6
    assert body["next_lesson"]["id"] == t.lessons[1].pk
    assert body["next_lesson"]["module"] == t.lessons[1].module_id
    assert body["last_activity_at"] is not None
    t.complete(t.lessons[1])
    assert t.progress()["next_lesson"]["id"] == t.lessons[3].pk
    t.complete(t.lessons[3])
    assert t.progress()["next_lesson"] is None


def _step(kind: str, item) -> dict:
    return {"kind": kind, "id": item.pk, "slug": item.slug, "title": item.title, "module": item.module_id}


def test_next_step_walks_the_course_in_order_lessons_then_the_module_quiz():
    t = Learning()
    t.complete(t.lessons[0])
    t.complete(t.lessons[1])
    body = t.progress()
    # Module 1's lessons are done: its quiz comes before module 2's lessons.
    assert body["next_step"] == _step("quiz", t.quizzes[0])
    assert body["next_lesson"]["id"] == t.lessons[2].pk  # an open course: module 2 may be read now
    t.submit(t.quizzes[0])
    assert t.progress()["next_step"] == _step("lesson", t.lessons[2])
    t.complete(t.lessons[2])
    t.complete(t.lessons[3])
    assert t.progress()["next_step"] == _step("quiz", t.quizzes[1])
    t.submit(t.quizzes[1])
    body = t.progress()
    assert body["progress"] == 100 and body["next_step"] is None and body["next_lesson"] is None


def test_sequential_course_never_points_at_a_locked_lesson():
    t = Learning(sequential=True)
    t.complete(t.lessons[0])
    t.complete(t.lessons[1])
    body = t.progress()
    # Module 2 is locked until module 1's quiz is passed: nothing there to resume, the quiz is next.
    assert t.client.get(f"/api/lessons/{t.lessons[2].pk}/").status_code == 403
    assert body["next_lesson"] is None
    assert body["next_step"] == _step("quiz", t.quizzes[0])
    t.submit(t.quizzes[0], right=False)
    assert t.progress()["next_step"] == _step("quiz", t.quizzes[0])  # failed, attempts left: still the quiz
    t.submit(t.quizzes[0])
    body = t.progress()
    assert body["next_lesson"]["id"] == t.lessons[2].pk == body["next_step"]["id"]
    assert t.client.get(f"/api/lessons/{t.lessons[2].pk}/").status_code == 200


def test_sequential_course_with_a_quiz_out_of_attempts_has_no_next_step():
    t = Learning(sequential=True)
    Quiz.objects.filter(pk=t.quizzes[0].pk).update(max_attempts=1)
    publish_draft(t.course)
    t.complete(t.lessons[0])
    t.complete(t.lessons[1])
    t.submit(t.quizzes[0], right=False)
    body = t.progress()
    assert body["quizzes"][0]["attempts"] == 1 and body["quizzes"][0]["passed"] is False
    assert body["next_step"] is None and body["next_lesson"] is None and body["progress"] < 100


def test_an_open_course_skips_a_quiz_out_of_attempts():
    t = Learning()
    Quiz.objects.filter(pk=t.quizzes[0].pk).update(max_attempts=1)
    publish_draft(t.course)
    t.complete(t.lessons[0])
    t.complete(t.lessons[1])
    t.submit(t.quizzes[0], right=False)
    assert t.progress()["next_step"] == _step("lesson", t.lessons[2])


def test_progress_shows_the_best_quiz_score():
    t = Learning()
    quiz = t.quizzes[0]
    t.submit(quiz, right=False)
    body = t.progress()
    assert body["quizzes"][0]["best_score"] == 0.0 and body["quizzes"][0]["passed"] is False
    assert body["quizzes"][0]["attempts"] == 1 and body["passed_quizzes"] == 0
    t.submit(quiz)
    t.submit(quiz, right=False)
    body = t.progress()
    assert body["quizzes"][0]["best_score"] == 100.0 and body["quizzes"][0]["passed"] is True
    assert body["quizzes"][0]["attempts"] == 3 and body["passed_quizzes"] == 1


def test_progress_is_100_exactly_when_everything_is_done(django_capture_on_commit_callbacks):
    t = Learning()
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in t.lessons:
            t.complete(lesson)
        t.submit(t.quizzes[0])
    almost = t.progress()
    assert almost["progress"] == 83 and almost["status"] == "active" and almost["certificate"] is None
    with django_capture_on_commit_callbacks(execute=True):
        t.submit(t.quizzes[1])
    done = t.progress()
    assert done["progress"] == 100
    assert done["status"] == "completed" and done["completed_at"] is not None
    assert (done["completed_lessons"], done["passed_quizzes"]) == (4, 2)


def test_certificate_appears_once_complete(django_capture_on_commit_callbacks):
    t = Learning()
    with django_capture_on_commit_callbacks(execute=True):
        t.finish()
    body = t.progress()
    certificate = body["certificate"]
    assert certificate is not None and certificate["code"]
    assert certificate["revoked"] is False
    assert Certificate.objects.filter(learner=t.learner, course=t.course).count() == 1
    # Doing more (a retake, a repeated completion) issues nothing new and sends no second email.
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        t.submit(t.quizzes[0])
        t.complete(t.lessons[0])
    assert Certificate.objects.filter(learner=t.learner, course=t.course).count() == 1
    assert t.progress()["certificate"]["code"] == certificate["code"]
    assert len(mail.outbox) == sent
    enrollment = client_for(t.learner).get("/api/enrollments/").json()["results"][0]
    assert enrollment["progress"] == 100 and enrollment["status"] == "completed"


def test_stored_progress_follows_completions(django_capture_on_commit_callbacks):
    t = Learning()
    with django_capture_on_commit_callbacks(execute=True):
        t.complete(t.lessons[0])
    assert Enrollment.objects.get(pk=t.enrollment.pk).progress == 16
    listed = t.client.get("/api/enrollments/").json()["results"][0]
    assert listed["progress"] == 16


def test_a_dropped_learner_keeps_their_progress_readable():
    t = Learning()
    t.complete(t.lessons[0])
    t.client.delete(f"/api/enrollments/{t.enrollment.pk}/")
    body = t.progress()
    assert body["status"] == "dropped" and body["completed_lessons"] == 1


# --- Property: progress only goes up, and reaches 100 only at the end ---------------------------------------
ACTIONS = st.lists(
    st.tuples(st.sampled_from(["lesson", "quiz_right", "quiz_wrong"]), st.integers(min_value=0, max_value=3)),
    max_size=14,
)


@pytest.fixture
def shared_course(db):
    course = build_course(modules=2, lessons_per_module=2)
    Quiz.objects.filter(course=course).update(max_attempts=100)
    publish_draft(course)
    return course


@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, order=st.permutations(list(range(6))))
def test_progress_never_decreases_and_is_100_only_at_the_end(shared_course, actions, order):
    learner = UserFactory()  # a fresh learner per example: the course is shared, the state is not
    EnrollmentFactory(learner=learner, course=shared_course)
    client = client_for(learner)
    lessons = list(shared_course.lessons.order_by("module__position", "position"))
    quizzes = list(shared_course.quizzes.order_by("module__position"))
    items = [("lesson", lesson) for lesson in lessons] + [("quiz", quiz) for quiz in quizzes]
    url = f"/api/courses/{shared_course.slug}/progress/"

    def apply(kind, target, right=True):
        if kind == "lesson":
            assert client.post(f"/api/lessons/{target.pk}/complete/").status_code in (200, 202)
        else:
            answers = right_answers(target)
            if not right:
                answers = [{"question": a["question"], "choices": []} for a in answers]
            assert (
                client.post(f"/api/quizzes/{target.pk}/attempts/", {"answers": answers}, format="json").status_code
                == 201
            )

    # Random noise first (repeats, failed attempts, some real progress), then everything in a random order.
    steps = [
        ("lesson", lessons[i], True) if kind == "lesson" else ("quiz", quizzes[i % 2], kind == "quiz_right")
        for kind, i in actions
    ]
    steps += [(*items[i], True) for i in order]
    previous = client.get(url).json()["progress"]
    assert previous == 0
    done: set[tuple[str, int]] = set()
    for kind, target, right in steps:
        apply(kind, target, right)
        if right:
            done.add((kind, target.pk))
        body = client.get(url).json()
        assert body["progress"] >= previous
        assert (body["progress"] == 100) is (len(done) == len(items))
        assert body["completed_lessons"] + body["passed_quizzes"] == len(done)
        previous = body["progress"]
    assert previous == 100
