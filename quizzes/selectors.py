"""Reads for quizzes and attempts."""

import random
from copy import copy
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from courseware.catalog_cache import local_get
from courseware.models import ContentBlob, Course, VersionItem
from courseware.versions.selectors import blob_payload, published_item
from quizzes.grading import CHOICE_KINDS, QuestionKey, text_normalise
from quizzes.models import Choice, Question, Quiz, QuizAttempt, QuizOverride
from quizzes.versioning import questions_published, quiz_published


def quiz_get(*, quiz_id: int) -> Quiz | None:
    return Quiz.objects.select_related("module", "course").filter(pk=quiz_id).first()


def quiz_get_for_learner(*, quiz_id: int) -> Quiz | None:
    """The quiz as its course's published version has it (None when no published version holds
    it), from this process's memory while the content version holds, as a copy the caller may
    change. For reading and taking quizzes; authoring reads the draft row (``quiz_get``)."""

    quiz = local_get(f"quiz:{quiz_id}", lambda: _quiz_published_read(quiz_id=quiz_id))
    if quiz is None:
        return None
    quiz = copy(quiz)
    quiz.course = copy(quiz.course)
    return quiz


def _quiz_published_read(*, quiz_id: int) -> Quiz | None:
    item = published_item(kind="quiz", item_id=quiz_id)
    if item is None:
        return None
    course = Course.objects.filter(pk=item["course_id"]).first()
    if course is None:
        return None
    return quiz_published(item=item, payload=blob_payload(digest=item["digest"]), course=course)


def quiz_questions(*, quiz: Quiz) -> list[Question]:
    """Questions with their choices prefetched, in authored order: a published quiz's from its
    version (one query), a draft row's from the rows (2 queries); then none while the content
    version holds (kept in this process's memory: treat them as read-only)."""

    digest = getattr(quiz, "content_digest", None)
    if digest:
        return _questions_of_digest(quiz_id=quiz.pk, digest=digest)
    return local_get(f"quiz-questions:{quiz.pk}", lambda: _quiz_questions_read(quiz_id=quiz.pk))


def _questions_of_digest(*, quiz_id: int, digest: str) -> list[Question]:
    return local_get(
        f"quiz-questions:{digest}", lambda: questions_published(payload=blob_payload(digest=digest), quiz_id=quiz_id)
    )


def attempt_quiz_questions(*, quiz: Quiz, attempt: QuizAttempt) -> list[Question]:
    """The questions ``attempt`` was asked: those of the version it started on, even when a later
    version of the quiz is published now."""
    if attempt.content_digest and attempt.content_digest != getattr(quiz, "content_digest", None):
        return _questions_of_digest(quiz_id=quiz.pk, digest=attempt.content_digest)
    return quiz_questions(quiz=quiz)


def quiz_key_published(*, quiz_id: int) -> tuple[list[Question], int]:
    """The questions (with their keys) and key version learners are graded on: the published
    version's, read afresh (a regrade follows the key just published, never a draft edit); the
    draft rows' for a quiz no version holds yet."""
    row = VersionItem.objects.filter(kind="quiz", item_id=quiz_id, until__isnull=True).values("blob_id").first()
    if row is None:
        return _quiz_questions_read(quiz_id=quiz_id), Quiz.all_objects.values_list("key_version", flat=True).get(
            pk=quiz_id
        )
    payload = ContentBlob.objects.values_list("payload", flat=True).get(pk=row["blob_id"])
    return questions_published(payload=payload, quiz_id=quiz_id), payload["key_version"]


def _quiz_questions_read(*, quiz_id: int) -> list[Question]:
    return list(
        Question.objects.filter(quiz_id=quiz_id)
        .order_by("position")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position")))
    )


def quiz_answer_key(*, questions: list[Question]) -> list[QuestionKey]:
    return [question_key(question=q) for q in questions]


def _rows(question: Question, role: str) -> list[Choice]:
    return [c for c in question.choices.all() if c.role == role]


def question_key(*, question: Question) -> QuestionKey:
    q, R = question, Choice.Role
    choices = _rows(q, R.CHOICE)
    prompts = _rows(q, R.PROMPT)
    return QuestionKey(
        id=q.pk,
        kind=q.kind,
        points=q.points,
        choice_ids=frozenset(c.pk for c in choices),
        correct_ids=frozenset(c.pk for c in choices if c.is_correct),
        answer=q.answer,
        tolerance=q.tolerance or Decimal(0),
        accepted=frozenset(text_normalise(a) for a in q.accepted or ()),
        items=tuple(c.pk for c in sorted(_rows(q, R.ITEM), key=lambda c: c.position)),
        matches={p.pk: p.match_id for p in prompts if p.match_id is not None},
        option_ids=frozenset(c.pk for c in _rows(q, R.OPTION)),
    )


def _shuffle(rows: list, rng: random.Random, *, avoid: list | None = None) -> list:
    rows = list(rows)
    rng.shuffle(rows)
    if avoid is not None and len(rows) > 1 and rows == avoid:
        rows = rows[1:] + rows[:1]  # never hand out the right order as the starting order
    return rows


def attempt_questions(*, quiz: Quiz, questions: list[Question], seed: int | None, question_ids=None) -> list:
    """The questions of one attempt: the drawn ones (``question_ids`` when the attempt stored them,
    else drawn from ``seed`` when the quiz draws), in the attempt's order when the quiz shuffles."""
    if question_ids is not None:
        wanted = set(question_ids)
        questions = [q for q in questions if q.pk in wanted]
    elif quiz.draw and seed is not None and quiz.draw < len(questions):
        drawn = set(random.Random(f"draw:{seed}").sample([q.pk for q in questions], quiz.draw))
        questions = [q for q in questions if q.pk in drawn]
    if quiz.shuffle and seed is not None:
        questions = _shuffle(questions, random.Random(f"order:{seed}"))
    return list(questions)


def drawn_question_ids(*, quiz: Quiz, questions: list[Question], seed: int) -> list[int] | None:
    """What a new attempt stores: the drawn question ids (None when the quiz does not draw)."""
    if not quiz.draw:
        return None
    return sorted(q.pk for q in attempt_questions(quiz=quiz, questions=questions, seed=seed))


def shuffled(questions: list[Question], seed: int) -> list[tuple[Question, list[Choice]]]:
    """Questions and their choices in the order of one attempt's seed (stable for that attempt)."""
    rng = random.Random(seed)
    order = list(questions)
    rng.shuffle(order)
    result = []
    for question in order:
        choices = _rows(question, Choice.Role.CHOICE)
        rng.shuffle(choices)
        result.append((question, choices))
    return result


def question_for_learner(*, quiz: Quiz, question: Question, seed: int | None) -> dict:
    """One question as a learner sees it: never its key. Choices are shuffled per attempt when the quiz
    shuffles; ordering items and matching options always are (their authored order is the key)."""
    q, R = question, Choice.Role
    rng = random.Random(f"rows:{seed}:{q.pk}")
    data = {"id": q.pk, "text": q.text, "kind": q.kind, "position": q.position, "points": q.points}
    if q.kind in CHOICE_KINDS:
        choices = _rows(q, R.CHOICE)
        if quiz.shuffle and seed is not None:
            choices = _shuffle(choices, rng)
        data["choices"] = [{"id": c.pk, "text": c.text} for c in choices]
    elif q.kind == "ordering":
        items = sorted(_rows(q, R.ITEM), key=lambda c: c.position)
        data["items"] = [{"id": c.pk, "text": c.text} for c in _shuffle(items, rng, avoid=items)]
    elif q.kind == "matching":
        prompts = _rows(q, R.PROMPT)
        options = _rows(q, R.OPTION)
        if quiz.shuffle and seed is not None:
            prompts = _shuffle(prompts, rng)
        data["prompts"] = [{"id": c.pk, "text": c.text} for c in prompts]
        data["options"] = [{"id": c.pk, "text": c.text} for c in _shuffle(options, rng)]
    return data


def attempt_list(*, quiz: Quiz, user: User) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(quiz=quiz, learner=user).order_by("number")


def attempt_open(*, quiz: Quiz, user: User) -> QuizAttempt | None:
    return attempt_list(quiz=quiz, user=user).filter(status=QuizAttempt.Status.IN_PROGRESS).first()


def answers_revealed(*, quiz: Quiz, attempts: list[QuizAttempt], extra_attempts: int = 0) -> bool:
    """Right answers are shown once the learner has passed or has no attempts left, counting the extra
    attempts an override gives them (unless the quiz never reveals them)."""
    submitted = [a for a in attempts if a.status == QuizAttempt.Status.SUBMITTED]
    return answers_revealed_given(
        quiz=quiz,
        submitted=len(submitted),
        passed=sum(bool(a.passed) for a in submitted),
        extra_attempts=extra_attempts,
    )


def answers_revealed_given(*, quiz: Quiz, submitted: int, passed: int, extra_attempts: int = 0) -> bool:
    """``answers_revealed`` from counts: how many of the learner's attempts are submitted, and passed."""
    if quiz.reveal_answers == Quiz.Reveal.NEVER:
        return False
    return passed > 0 or submitted >= quiz.max_attempts + extra_attempts


def quiz_override_get(*, quiz: Quiz, learner_id: int) -> QuizOverride | None:
    return QuizOverride.objects.filter(quiz=quiz, learner_id=learner_id).first()


def quiz_override_list(*, quiz: Quiz):
    return (
        QuizOverride.objects.filter(quiz=quiz)
        .select_related("learner")
        .prefetch_related("grants__granted_by")
        .order_by("learner__username")
    )


def attempt_seed(*, quiz_id: int, learner_id: int, number: int) -> int:
    """The shuffle seed of one attempt: stable, and not guessable from ids alone."""
    import hashlib

    from django.conf import settings

    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{quiz_id}:{learner_id}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def questions_for_learner(*, quiz: Quiz, questions: list[Question], seed: int | None, question_ids=None) -> list[dict]:
    """Questions as a learner sees them in one attempt: no key, no explanations."""
    return [
        question_for_learner(quiz=quiz, question=q, seed=seed)
        for q in attempt_questions(quiz=quiz, questions=questions, seed=seed, question_ids=question_ids)
    ]


def question_key_data(*, question: Question) -> dict:
    """A question's key in the shape authors write it (for staff, and for learners once revealed)."""
    q, R = question, Choice.Role
    if q.kind in CHOICE_KINDS:
        return {}
    if q.kind == "numeric":
        return {"answer": _number_out(q.answer), "tolerance": _number_out(q.tolerance or Decimal(0))}
    if q.kind == "text":
        return {"accepted": list(q.accepted or [])}
    if q.kind == "ordering":
        return {"items": [{"id": c.pk, "text": c.text} for c in sorted(_rows(q, R.ITEM), key=lambda c: c.position)]}
    options = {c.pk: c for c in _rows(q, R.OPTION)}
    prompts = sorted(_rows(q, R.PROMPT), key=lambda c: c.position)
    matched = {p.match_id for p in prompts}
    return {
        "pairs": [
            {"prompt": p.text, "option": options[p.match_id].text if p.match_id in options else ""} for p in prompts
        ],
        "distractors": [c.text for c in sorted(options.values(), key=lambda c: c.position) if c.pk not in matched],
        "prompts": [{"id": p.pk, "text": p.text, "option": p.match_id} for p in prompts],
        "options": [{"id": c.pk, "text": c.text} for c in sorted(options.values(), key=lambda c: c.position)],
    }


def _number_out(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def questions_for_staff(*, questions: list[Question]) -> list[dict]:
    return [
        {
            "id": q.pk,
            "text": q.text,
            "kind": q.kind,
            "position": q.position,
            "points": q.points,
            "choices": [
                {"id": c.pk, "text": c.text, "is_correct": c.is_correct, "explanation": c.explanation}
                for c in _rows(q, Choice.Role.CHOICE)
            ],
            **question_key_data(question=q),
        }
        for q in questions
    ]


def _attempt_question_list(attempt: QuizAttempt, questions: list[Question]) -> list[Question]:
    if attempt.question_ids is None:
        return questions
    wanted = set(attempt.question_ids)
    return [q for q in questions if q.pk in wanted]


def attempt_feedback(*, attempt: QuizAttempt, questions: list[Question], revealed: bool) -> list[dict] | None:
    """Per-question feedback for a submitted attempt. Before answers are revealed a learner sees
    whether each answer was right and the explanations of the choices they picked, never which
    choices are right."""
    if attempt.status != QuizAttempt.Status.SUBMITTED:
        return None
    picked = {a["question"]: set(a.get("choices") or ()) for a in attempt.answers}
    feedback = []
    for q in _attempt_question_list(attempt, questions):
        chosen = picked.get(q.pk, set())
        choices = _rows(q, Choice.Role.CHOICE)
        correct_ids = {c.pk for c in choices if c.is_correct}
        feedback.append(
            {
                "question": q.pk,
                "text": q.text,
                "correct": chosen == correct_ids if q.kind in CHOICE_KINDS else None,
                "selected": sorted(chosen),
                "choices": [
                    {
                        "id": c.pk,
                        "text": c.text,
                        "selected": c.pk in chosen,
                        "explanation": c.explanation if (revealed or c.pk in chosen) else None,
                        "is_correct": c.is_correct if revealed else None,
                    }
                    for c in choices
                ],
            }
        )
    return feedback


def attempt_results(*, attempt: QuizAttempt, questions: list[Question], revealed: bool) -> list[dict] | None:
    """Per question of a submitted attempt, as graded (stored on the attempt: a key edited without a
    regrade changes none of it): points awarded and possible, whether it was fully right, the
    learner's answer and, once answers are revealed, the key (``key``: the right choice ids, or the
    author's shape for the other kinds)."""
    if attempt.status != QuizAttempt.Status.SUBMITTED:
        return None
    stored = {r["question"]: r for r in attempt.results or ()}
    given = {a["question"]: a for a in attempt.answers}
    results = []
    for q in _attempt_question_list(attempt, questions):
        row = stored.get(q.pk, {})
        answer = {k: v for k, v in given.get(q.pk, {}).items() if k != "question"}
        key = None
        if revealed and q.kind in CHOICE_KINDS:
            key = {"choices": sorted(c.pk for c in _rows(q, Choice.Role.CHOICE) if c.is_correct)}
        elif revealed:
            key = question_key_data(question=q)
        results.append(
            {
                "question": q.pk,
                "kind": q.kind,
                "points_awarded": float(row.get("points_awarded", 0)),
                "points_possible": row.get("points_possible", q.points),
                "correct": bool(row.get("correct", False)),
                "answer": answer or None,
                "key": key,
            }
        )
    return results


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
        "results": attempt_results(attempt=attempt, questions=questions, revealed=revealed),
    }


def learner_by_name(*, name: str) -> User | None:
    """A user by username, else by email (case-insensitive), else by id."""
    user = User.objects.filter(username=name).first() or User.objects.filter(email__iexact=name).first()
    if user is None and name.isdigit() and int(name) < 2**63:
        user = User.objects.filter(pk=int(name)).first()
    return user
