"""The data step of ``quizzes.0002``: attempts graded before points existed (no per-question results on
the attempt, no points on their answer rows) get them from their graded answers, every question then
being worth 1 point (points awarded = credit), and keep their score and pass. The test suite runs
without migrations (``--no-migrations``), so the step runs on old-shaped rows of the current tables."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from quizzes.models import AttemptAnswer, QuizAttempt
from tests.factories import QuizAttemptFactory, build_course

pytestmark = pytest.mark.django_db

step = importlib.import_module("quizzes.migrations.0002_kinds_points_draws")._results_from_graded_answers


def test_old_attempts_get_their_results_and_keep_their_grades():
    course = build_course(modules=1, lessons_per_module=1)
    quiz = course.modules.get().quizzes.get()
    q1, q2 = quiz.questions.order_by("position")
    attempt = QuizAttemptFactory(quiz=quiz, score=Decimal("75"), passed=True)
    untouched = QuizAttemptFactory(quiz=quiz, score=Decimal("0"), passed=False)  # closed at its deadline: no rows
    QuizAttempt.objects.filter(pk__in=[attempt.pk, untouched.pk]).update(results=[])
    AttemptAnswer.objects.create(attempt=attempt, question=q1, choices=[], is_correct=True, credit=1)
    AttemptAnswer.objects.create(attempt=attempt, question=q2, choices=[], is_correct=False, credit=Decimal("0.5"))

    step(apps, None)

    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (Decimal("75"), True)
    assert sorted(attempt.results, key=lambda r: r["question"]) == [
        {"question": q1.pk, "points_awarded": "1.0000", "points_possible": 1, "correct": True},
        {"question": q2.pk, "points_awarded": "0.5000", "points_possible": 1, "correct": False},
    ]
    rows = AttemptAnswer.objects.filter(attempt=attempt).order_by("question__position")
    assert [(r.points_awarded, r.points_possible) for r in rows] == [(Decimal("1"), 1), (Decimal("0.5"), 1)]
    untouched.refresh_from_db()
    assert untouched.results == [] and untouched.score == 0
    step(apps, None)  # running it again changes nothing
    attempt.refresh_from_db()
    assert len(attempt.results) == 2
