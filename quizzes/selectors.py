"""Reads for quizzes and attempts."""

import random
from copy import copy

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from courseware.catalog_cache import local_get
from quizzes.grading import QuestionKey
from quizzes.models import Choice, Question, Quiz, QuizAttempt


def quiz_get(*, quiz_id: int) -> Quiz | None:
    return Quiz.objects.select_related("module", "course").filter(pk=quiz_id).first()


def quiz_get_for_learner(*, quiz_id: int) -> Quiz | None:
    """``quiz_get`` from this process's memory while the content version holds (see
    ``courseware.catalog_cache``), as a copy the caller may change. For reading and taking
    quizzes; authoring reads the row afresh."""

    quiz = local_get(f"quiz:{quiz_id}", lambda: quiz_get(quiz_id=quiz_id))
    if quiz is None:
        return None
    quiz = copy(quiz)
    quiz.course = copy(quiz.course)
    return quiz


def quiz_questions(*, quiz: Quiz) -> list[Question]:
    """Questions with their choices prefetched, in authored order: 2 queries, then none while the
    content version holds (kept in this process's memory: treat them as read-only)."""

    return local_get(f"quiz-questions:{quiz.pk}", lambda: _quiz_questions_read(quiz_id=quiz.pk))


def _quiz_questions_read(*, quiz_id: int) -> list[Question]:
    return list(
        Question.objects.filter(quiz_id=quiz_id)
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
    submitted = [a for a in attempts if a.status == QuizAttempt.Status.SUBMITTED]
    return answers_revealed_given(quiz=quiz, submitted=len(submitted), passed=sum(bool(a.passed) for a in submitted))


def answers_revealed_given(*, quiz: Quiz, submitted: int, passed: int) -> bool:
    """``answers_revealed`` from counts: how many of the learner's attempts are submitted, and passed."""
    if quiz.reveal_answers == Quiz.Reveal.NEVER:
        return False
    return passed > 0 or submitted >= quiz.max_attempts


def attempt_seed(*, quiz_id: int, learner_id: int, number: int) -> int:
    """The shuffle seed of one attempt: stable, and not guessable from ids alone."""
    import hashlib

    from django.conf import settings

    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{quiz_id}:{learner_id}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def questions_for_learner(*, quiz: Quiz, questions: list[Question], seed: int | None) -> list[dict]:
    """Questions and choices as a learner sees them: no ``is_correct``, no explanations."""
    ordered = (
        shuffled(questions, seed)
        if (quiz.shuffle and seed is not None)
        else [(q, list(q.choices.all())) for q in questions]
    )
    return [
        {
            "id": q.pk,
            "text": q.text,
            "kind": q.kind,
            "position": q.position,
            "choices": [{"id": c.pk, "text": c.text} for c in choices],
        }
        for q, choices in ordered
    ]


def questions_for_staff(*, questions: list[Question]) -> list[dict]:
    return [
        {
            "id": q.pk,
            "text": q.text,
            "kind": q.kind,
            "position": q.position,
            "choices": [
                {"id": c.pk, "text": c.text, "is_correct": c.is_correct, "explanation": c.explanation}
                for c in q.choices.all()
            ],
        }
        for q in questions
    ]


def attempt_feedback(*, attempt: QuizAttempt, questions: list[Question], revealed: bool) -> list[dict] | None:
    """Per-question feedback for a submitted attempt. Before answers are revealed a learner sees
    whether each answer was right and the explanations of the choices they picked, never which
    choices are right."""
    if attempt.status != QuizAttempt.Status.SUBMITTED:
        return None
    picked = {a["question"]: set(a["choices"]) for a in attempt.answers}
    feedback = []
    for q in questions:
        chosen = picked.get(q.pk, set())
        correct_ids = {c.pk for c in q.choices.all() if c.is_correct}
        feedback.append(
            {
                "question": q.pk,
                "text": q.text,
                "correct": chosen == correct_ids,
                "selected": sorted(chosen),
                "choices": [
                    {
                        "id": c.pk,
                        "text": c.text,
                        "selected": c.pk in chosen,
                        "explanation": c.explanation if (revealed or c.pk in chosen) else None,
                        "is_correct": c.is_correct if revealed else None,
                    }
                    for c in q.choices.all()
                ],
            }
        )
    return feedback


def attempt_data(*, attempt: QuizAttempt, questions: list[Question], revealed: bool) -> dict:
    return {
        "id": attempt.pk,
        "quiz": attempt.quiz_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "submitted_at": attempt.submitted_at,
        "score": float(attempt.score) if attempt.score is not None else None,
        "passed": attempt.passed,
        "answers_revealed": revealed,
        "feedback": attempt_feedback(attempt=attempt, questions=questions, revealed=revealed),
    }
