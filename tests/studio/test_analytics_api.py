"""Course analytics: known figures on a small dataset, and a query count that does not grow with the
number of learners."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseware.models import Enrollment
from quizzes.models import AttemptAnswer, Question
from tests.conftest import client_for
from tests.factories import (
    ChoiceFactory,
    CourseFactory,
    EnrollmentFactory,
    InstructorFactory,
    LessonCompletionFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    QuizAttemptFactory,
    QuizFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=30)


@pytest.fixture
def setup(instructor):
    """One module: lessons l1, l2 and a quiz of two questions (q1 single, q2 multiple)."""
    course = CourseFactory(slug="stats", instructors=[instructor])
    module = ModuleFactory(course=course, position=1)
    second = ModuleFactory(course=course, position=2)
    l2 = LessonFactory(module=second, course=course, position=1, slug="l2")  # created first, ordered second
    l1 = LessonFactory(module=module, course=course, position=1, slug="l1")
    quiz = QuizFactory(module=module, course=course, position=1)
    q1 = QuestionFactory(quiz=quiz, position=1, kind=Question.Kind.SINGLE)
    q2 = QuestionFactory(quiz=quiz, position=2, kind=Question.Kind.MULTIPLE)
    for q in (q1, q2):
        ChoiceFactory(question=q, position=1, is_correct=True)
        ChoiceFactory(question=q, position=2)
    return course, (l1, l2), quiz, (q1, q2)


def learner_in(course, *, status="active", days_to_complete=None, lessons=(), first=None, second=None, quiz=None):
    """A learner with an enrollment (enrolled at T0), completions, and attempts: ``first`` and ``second``
    are ``{question: is_correct}`` for attempts 1 and 2."""
    enrollment = EnrollmentFactory(course=course, learner=UserFactory(), status=status)
    completed_at = T0 + timedelta(days=days_to_complete) if days_to_complete is not None else None
    Enrollment.objects.filter(pk=enrollment.pk).update(enrolled_at=T0, completed_at=completed_at)
    for lesson in lessons:
        LessonCompletionFactory(learner=enrollment.learner, lesson=lesson)
    for number, answers in ((1, first), (2, second)):
        if answers:
            attempt = QuizAttemptFactory(quiz=quiz, learner=enrollment.learner, number=number)
            for question, right in answers.items():
                AttemptAnswer.objects.create(
                    attempt=attempt, question=question, choices=[], is_correct=right, credit=1 if right else 0
                )
    return enrollment


@pytest.fixture
def dataset(setup):
    course, (l1, l2), quiz, (q1, q2) = setup
    learner_in(course, status="completed", days_to_complete=2, lessons=(l1, l2), quiz=quiz,
               first={q1: True, q2: False}, second={q1: True, q2: True})  # fmt: skip
    learner_in(
        course, status="completed", days_to_complete=4, lessons=(l1, l2), quiz=quiz, first={q1: False, q2: False}
    )
    learner_in(course, status="completed", days_to_complete=10, lessons=(l1, l2), quiz=quiz, first={q1: True, q2: True})
    learner_in(course, lessons=(l1,), quiz=quiz, first={q1: False, q2: False})
    learner_in(course, status="dropped")
    return setup


def test_figures_on_a_known_dataset(dataset, instructor):
    _, _, quiz, (q1, q2) = dataset
    r = client_for(instructor).get("/api/courses/stats/analytics/")
    assert r.status_code == 200, r.json()
    data = r.json()
    assert data["enrollments"] == {"total": 5, "active": 1, "completed": 3, "dropped": 1}
    assert data["completion_rate"] == 60.0
    assert data["median_days_to_complete"] == 4.0
    assert [(row["slug"], row["completions"], row["completion_rate"]) for row in data["lessons"]] == [
        ("l1", 4, 80.0),
        ("l2", 3, 60.0),
    ]
    assert [(row["id"], row["first_attempts"], row["first_attempts_right"], row["first_attempt_right_rate"])
            for row in data["questions"]] == [(q1.pk, 4, 2, 50.0), (q2.pk, 4, 1, 25.0)]  # fmt: skip
    assert data["questions"][0]["quiz"] == quiz.pk and data["questions"][0]["quiz_title"] == quiz.title


def test_median_of_an_even_number_of_completions(dataset, instructor):
    course = dataset[0]
    learner_in(course, status="completed", days_to_complete=6.5)
    # durations 2, 4, 6.5, 10 → (4 + 6.5) / 2
    assert client_for(instructor).get("/api/courses/stats/analytics/").json()["median_days_to_complete"] == 5.25


def test_a_course_without_learners(setup, instructor):
    data = client_for(instructor).get("/api/courses/stats/analytics/").json()
    assert data["enrollments"] == {"total": 0, "active": 0, "completed": 0, "dropped": 0}
    assert data["completion_rate"] is None and data["median_days_to_complete"] is None
    assert [row["completions"] for row in data["lessons"]] == [0, 0]
    assert [row["first_attempt_right_rate"] for row in data["questions"]] == [None, None]


def test_analytics_are_for_the_course_staff(dataset, admin_user, learner):
    assert client_for(admin_user).get("/api/courses/stats/analytics/").status_code == 200
    assert client_for(learner).get("/api/courses/stats/analytics/").status_code == 403
    assert client_for(InstructorFactory()).get("/api/courses/stats/analytics/").status_code == 403


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/courses/stats/analytics/").status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_learners(setup, instructor):
    course, (l1, l2), quiz, (q1, q2) = setup
    client = client_for(instructor)

    def add(n: int) -> None:
        for i in range(n):
            learner_in(course, status="completed", days_to_complete=i + 1, lessons=(l1, l2), quiz=quiz,
                       first={q1: i % 2 == 0, q2: True}, second={q1: True, q2: True})  # fmt: skip
            learner_in(course, lessons=(l1,), quiz=quiz, first={q1: False, q2: i % 3 == 0})

    add(2)
    small = _queries(client)
    add(15)
    large = _queries(client)
    assert small == large
    assert client.get("/api/courses/stats/analytics/").json()["enrollments"]["total"] == 34
