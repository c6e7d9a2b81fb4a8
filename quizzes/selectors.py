"""Reads for quizzes and attempts."""

import random

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from quizzes.grading import QuestionKey
from quizzes.models import Choice, Question, Quiz, QuizAttempt


def quiz_get(*, quiz_id: int) -> Quiz | None:
    return Quiz.objects.select_related("module", "course").filter(pk=quiz_id).first()


def quiz_questions(*, quiz: Quiz) -> list[Question]:
    """Questions with their choices prefetched, in authored order (2 queries)."""
    return list(
        Question.objects.filter(quiz=quiz)
        .order_by("position")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position")))
    )


def quiz_answer_key(*, questions: list[Question]) -> list[QuestionKey]:
    return [
        QuestionKey(
            id=q.pk,
            kind=q.kind,
            choice_ids=frozenset(c.pk for c in q.choices.all()),
            correct_ids=frozenset(c.pk for c in q.choices.all() if c.is_correct),
        )
        for q in questions
    ]


def shuffled(questions: list[Question], seed: int) -> list[tuple[Question, list[Choice]]]:
    """Questions and their choices in the order of one attempt's seed (stable for that attempt)."""
    rng = random.Random(seed)
    order = list(questions)
    rng.shuffle(order)
    result = []
    for question in order:
        choices = list(question.choices.all())
        rng.shuffle(choices)
        result.append((question, choices))
    return result


def attempt_list(*, quiz: Quiz, user: User) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(quiz=quiz, learner=user).order_by("number")


def attempt_open(*, quiz: Quiz, user: User) -> QuizAttempt | None:
    return attempt_list(quiz=quiz, user=user).filter(status=QuizAttempt.Status.IN_PROGRESS).first()


def answers_revealed(*, quiz: Quiz, attempts: list[QuizAttempt]) -> bool:
    """Right answers are shown once the learner has passed or has no attempts left (unless the quiz
    never reveals them)."""
    if quiz.reveal_answers == Quiz.Reveal.NEVER:
        return False
    submitted = [a for a in attempts if a.status == QuizAttempt.Status.SUBMITTED]
    return any(a.passed for a in submitted) or len(submitted) >= quiz.max_attempts
