"""Writes for quizzes: starting and submitting attempts; authoring quizzes."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError, Conflict
from courseware.enrollment.services import enrollment_activity_record
from courseware.models import Enrollment, Module
from courseware.structure.changes import course_draft_changed, course_touch
from courseware.structure.positions import (
    content_save_guard,
    content_slug_from_title,
    content_slug_validate,
    content_title_check,
    module_item_move,
    module_lock,
    position_close_gap,
    position_make_room,
    position_validate,
)
from events.services import event_record
from quizzes.grading import AnswerError, Grade, grade, validate_answers
from quizzes.models import AttemptAnswer, Question, Quiz, QuizAttempt, QuizOverride, QuizOverrideGrant
from quizzes.questions import question_specs_validate, questions_write
from quizzes.selectors import (
    answers_revealed_given,
    attempt_questions,
    attempt_quiz_questions,
    attempt_seed,
    drawn_question_ids,
    quiz_answer_key,
    quiz_questions,
)


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    # One learner's attempts on a course are serialised on their enrollment row, so two concurrent
    # submissions cannot both take the last attempt (the unique attempt number stands behind it).
    return Enrollment.objects.select_for_update(no_key=True).get(pk=enrollment.pk)


def _next_number(*, quiz: Quiz, used: int, allowed: int) -> int:
    if used >= allowed:
        raise Conflict(
            f"No attempts left: this quiz allows {allowed} attempt(s) and all have been used.",
            code="max_attempts_reached",
        )
    return used + 1


def quiz_attempt_start(*, quiz: Quiz, learner: User, enrollment: Enrollment) -> tuple[QuizAttempt, bool]:
    """Open an attempt (idempotent: returns the open one while its time lasts). The server keeps its
    deadline (for timed quizzes) and its shuffle seed. An open attempt whose time ran out is closed
    with score 0 (it stays closed even when no attempt is left to open)."""
    _close_expired(quiz=quiz, learner=learner, enrollment=enrollment)
    return _start(quiz=quiz, learner=learner, enrollment=enrollment)


@transaction.atomic
def _close_expired(*, quiz: Quiz, learner: User, enrollment: Enrollment) -> None:
    _lock_enrollment(enrollment)
    QuizAttempt.objects.filter(
        quiz=quiz, learner=learner, status=QuizAttempt.Status.IN_PROGRESS, deadline__lt=timezone.now()
    ).update(status=QuizAttempt.Status.SUBMITTED, submitted_at=timezone.now(), score=0, passed=False)


@transaction.atomic
def _start(*, quiz: Quiz, learner: User, enrollment: Enrollment) -> tuple[QuizAttempt, bool]:
    _lock_enrollment(enrollment)
    open_attempt = QuizAttempt.objects.filter(quiz=quiz, learner=learner, status=QuizAttempt.Status.IN_PROGRESS).first()
    if open_attempt:
        return open_attempt, False
    tally = _attempt_tally(quiz_id=quiz.pk, learner_id=learner.pk)
    number = _next_number(quiz=quiz, used=tally["used"], allowed=quiz.max_attempts + tally["extra_attempts"])
    now = timezone.now()
    minutes = quiz.time_limit_minutes + tally["extra_minutes"] if quiz.time_limit_minutes else None
    deadline = now + timedelta(minutes=minutes) if minutes else None
    seed = attempt_seed(quiz_id=quiz.pk, learner_id=learner.pk, number=number)
    try:
        with transaction.atomic():
            attempt = QuizAttempt.objects.create(
                quiz=quiz,
                learner=learner,
                course_id=quiz.course_id,
                number=number,
                status=QuizAttempt.Status.IN_PROGRESS,
                deadline=deadline,
                seed=seed,
                question_ids=drawn_question_ids(quiz=quiz, questions=quiz_questions(quiz=quiz), seed=seed),
                content_digest=getattr(quiz, "content_digest", "") or "",
            )
    except IntegrityError:
        raise Conflict("Another attempt was started at the same time; try again.", code="attempt_conflict")
    return attempt, True


def answer_stored(answer: dict) -> dict:
    """A validated answer (``grading.validate_answers``) as the attempt keeps it (JSON)."""
    if "pairs" in answer:
        return {"pairs": [{"prompt": p, "option": o} for p, o in answer["pairs"].items()]}
    return {name: list(value) if isinstance(value, tuple) else value for name, value in answer.items()}


def answer_loaded(answer: dict) -> dict:
    """``answer_stored`` read back, as ``grading.grade`` takes it."""
    if "pairs" in answer:
        return {"pairs": {p["prompt"]: p["option"] for p in answer["pairs"]}}
    if "choices" in answer:
        return {"choices": tuple(answer["choices"])}
    if "order" in answer:
        return {"order": tuple(answer["order"])}
    return {"value": answer.get("value")}


def grade_results_stored(result: Grade) -> list[dict]:
    return [
        {
            "question": r.question_id,
            "points_awarded": str(r.points_awarded),
            "points_possible": r.points_possible,
            "correct": r.correct,
        }
        for r in result.results
    ]


def attempt_answer_rows(*, attempt: QuizAttempt, result: Grade) -> list[AttemptAnswer]:
    return [
        AttemptAnswer(
            attempt=attempt,
            question_id=r.question_id,
            choices=list(r.selected) if r.response is None else [],
            response=r.response,
            is_correct=r.correct,
            credit=r.credit,
            points_awarded=r.points_awarded,
            points_possible=r.points_possible,
        )
        for r in result.results
    ]


@dataclass(frozen=True)
class Submission:
    attempt: QuizAttempt
    answers_revealed: bool  # whether this response may show the right answers (see answers_revealed)


def quiz_attempt_submit(*, quiz: Quiz, learner: User, enrollment: Enrollment, answers: list[dict]) -> Submission:
    """Grade and store an attempt. Submits the open (started) attempt if there is one, else starts
    and submits a new one (a timed quiz must be started first: 409). Refuses answers that do not
    fit the quiz (400), a submission past the deadline (409, and the attempt is closed with score
    0), and any attempt over ``max_attempts`` (409)."""
    try:
        submission, late = _submit(quiz=quiz, learner=learner, enrollment=enrollment, answers=answers)
    except IntegrityError:  # the unique attempt number: a writer that did not take the enrollment's lock
        raise Conflict("Another attempt was submitted at the same time; try again.", code="attempt_conflict")
    if late:
        raise Conflict(
            f"The time limit ended at {submission.attempt.deadline.isoformat()}; "
            "this attempt was closed without a score.",
            code="deadline_passed",
        )
    return submission


def _attempt_tally(*, quiz_id: int, learner_id: int) -> dict[str, int | None]:
    """How many of the learner's attempts on the quiz exist, which one is open, how many were submitted
    and passed: one read (under the caller's lock) whatever their number, written once (the ORM
    compiles a filtered aggregate again on every call, about as long as the database takes)."""
    S = QuizAttempt.Status
    override = f'FROM "{QuizOverride._meta.db_table}" o WHERE o.quiz_id = %s AND o.learner_id = %s'
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), MAX(CASE WHEN status = %s THEN id END), "  # noqa: S608
            "COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN status = %s AND passed THEN 1 ELSE 0 END), 0), "
            f"(SELECT o.extra_attempts {override}), (SELECT o.extra_minutes {override}) "
            f'FROM "{QuizAttempt._meta.db_table}" WHERE quiz_id = %s AND learner_id = %s',
            [S.IN_PROGRESS, S.SUBMITTED, S.SUBMITTED, quiz_id, learner_id, quiz_id, learner_id, quiz_id, learner_id],
        )
        used, open_id, submitted, passed, extra_attempts, extra_minutes = cursor.fetchone()
    return {
        "used": used,
        "open_id": open_id,
        "submitted": int(submitted),
        "passed": int(passed),
        "extra_attempts": int(extra_attempts or 0),  # a per-learner override (accommodation)
        "extra_minutes": int(extra_minutes or 0),
    }


@transaction.atomic
def _submit(*, quiz: Quiz, learner: User, enrollment: Enrollment, answers: list[dict]) -> tuple[Submission, bool]:
    # Numbering the learner's activity updates their enrollment row, which also locks it: this
    # learner's submissions run one after another (as _lock_enrollment does for starts).
    enrollment_activity_record(enrollment_id=enrollment.pk)  # the progress pipeline follows on commit
    questions = quiz_questions(quiz=quiz)
    now = timezone.now()
    tally = _attempt_tally(quiz_id=quiz.pk, learner_id=learner.pk)
    attempt = QuizAttempt.objects.get(pk=tally["open_id"]) if tally["open_id"] else None
    if attempt is not None:  # graded against the questions it started with, whatever was published since
        questions = attempt_quiz_questions(quiz=quiz, attempt=attempt)
    if attempt is None and quiz.time_limit_minutes:
        # The deadline is set when an attempt starts; an unstarted submission would have no time limit.
        raise Conflict(
            "This quiz is timed: start an attempt first (POST .../attempts/start/), then submit before its deadline.",
            code="attempt_not_started",
        )
    if attempt is None:
        number = _next_number(quiz=quiz, used=tally["used"], allowed=quiz.max_attempts + tally["extra_attempts"])
        seed = attempt_seed(quiz_id=quiz.pk, learner_id=learner.pk, number=number)
        attempt = QuizAttempt(
            quiz=quiz,
            learner=learner,
            course_id=quiz.course_id,
            number=number,
            seed=seed,
            question_ids=drawn_question_ids(quiz=quiz, questions=questions, seed=seed),
            content_digest=getattr(quiz, "content_digest", "") or "",
        )
    asked = attempt_questions(quiz=quiz, questions=questions, seed=attempt.seed, question_ids=attempt.question_ids)
    key = quiz_answer_key(questions=sorted(asked, key=lambda q: q.position))
    try:
        given = validate_answers(key, answers)
    except AnswerError as exc:
        raise ApplicationError(exc.message, field=exc.path, code="invalid_answer")
    late = attempt.deadline is not None and now > attempt.deadline
    result = grade(key, given, scoring=quiz.scoring, pass_percent=quiz.pass_percent)
    attempt.status = QuizAttempt.Status.SUBMITTED
    attempt.submitted_at = now
    attempt.answers = [{"question": qid, **answer_stored(answer)} for qid, answer in given.items()]
    attempt.score = 0 if late else result.score
    attempt.passed = False if late else result.passed
    attempt.results = [] if late else grade_results_stored(result)
    attempt.graded_key_version = quiz.key_version
    attempt.save()
    if not late:
        AttemptAnswer.objects.bulk_create(attempt_answer_rows(attempt=attempt, result=result))
        event_record(
            type="quiz.attempt_graded",
            course_id=quiz.course_id,
            learner_id=learner.pk,
            data={
                "quiz": quiz.pk,
                "quiz_title": quiz.title,
                "attempt": attempt.pk,
                "number": attempt.number,
                "score": float(attempt.score),
                "passed": bool(attempt.passed),
            },
        )
    revealed = answers_revealed_given(
        quiz=quiz,
        submitted=tally["submitted"] + 1,
        passed=tally["passed"] + bool(attempt.passed),
        extra_attempts=tally["extra_attempts"],
    )
    return Submission(attempt=attempt, answers_revealed=revealed), late


# --- Authoring --------------------------------------------------------------------------------------
QUIZ_FIELDS = (
    "slug", "title", "description", "pass_percent", "max_attempts", "scoring", "reveal_answers",
    "time_limit_minutes", "shuffle", "draw",
)  # fmt: skip
SMALLINT_MAX = 32767
CHOICE_TEXT_MAX = 500


def _quiz_check(quiz: Quiz) -> None:
    errors: dict[str, list[str]] = {}
    content_title_check(quiz, errors)
    if not 0 <= quiz.pass_percent <= 100:
        errors["pass_percent"] = ["Must be between 0 and 100."]
    if not 1 <= quiz.max_attempts <= SMALLINT_MAX:
        errors["max_attempts"] = [f"Must be between 1 and {SMALLINT_MAX}."]
    if quiz.scoring not in Quiz.Scoring.values:
        errors["scoring"] = [f"Must be one of {', '.join(Quiz.Scoring.values)}."]
    if quiz.reveal_answers not in Quiz.Reveal.values:
        errors["reveal_answers"] = [f"Must be one of {', '.join(Quiz.Reveal.values)}."]
    if quiz.time_limit_minutes is not None and not 1 <= quiz.time_limit_minutes <= SMALLINT_MAX:
        errors["time_limit_minutes"] = [f"Must be empty or between 1 and {SMALLINT_MAX}."]
    if errors:
        raise ValidationError(errors)
    content_slug_validate(slug=quiz.slug)
    if Quiz.objects.filter(course_id=quiz.course_id, slug=quiz.slug).exclude(pk=quiz.pk).exists():
        raise ValidationError({"slug": ["A quiz with this slug already exists in this course."]})


def quiz_questions_validate(*, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a quiz's questions, every kind (``quizzes.questions``); errors keyed by path."""
    return question_specs_validate(questions=questions)


def _draw_check(*, draw: int | None, count: int) -> None:
    if draw is not None and not 1 <= draw <= count:
        raise ValidationError({"draw": [f"Must be empty or between 1 and the number of questions ({count})."]})


@transaction.atomic
def quiz_create(
    *,
    module: Module,
    title: str,
    questions: list[dict[str, Any]],
    pass_percent: int = 70,
    max_attempts: int = 3,
    position: int | None = None,
    slug: str | None = None,
    scoring: str = Quiz.Scoring.ALL_OR_NOTHING,
    reveal_answers: str = Quiz.Reveal.AFTER_PASS_OR_LAST_ATTEMPT,
    time_limit_minutes: int | None = None,
    shuffle: bool = True,
    draw: int | None = None,
    description: str = "",
) -> Quiz:
    """Add a quiz with its questions and choices to ``module`` at ``position`` (default: after the last
    quiz). A slug is made from the title when none is given. Learners' progress is recomputed after
    commit (a new quiz must be passed to complete the course)."""
    module = module_lock(module_id=module.pk)  # serialises reorders in the module
    position_validate(position=position)
    siblings = Quiz.objects.filter(module=module)
    if slug is None:
        slug = content_slug_from_title(
            title=title or "", existing=Quiz.objects.filter(course_id=module.course_id), fallback="quiz"
        )
    quiz = Quiz(
        module=module,
        course_id=module.course_id,
        slug=slug,
        title=title,
        description=description or "",
        pass_percent=pass_percent,
        max_attempts=max_attempts,
        scoring=scoring,
        reveal_answers=reveal_answers,
        time_limit_minutes=time_limit_minutes,
        shuffle=shuffle,
        draw=draw,
        position=1,
    )
    _quiz_check(quiz)
    questions = quiz_questions_validate(questions=questions)
    _draw_check(draw=draw, count=len(questions))
    quiz.position = position_make_room(siblings=siblings, position=position)
    with content_save_guard():
        quiz.save()
    questions_write(quiz=quiz, questions=questions)
    course_draft_changed(course_id=module.course_id)
    return quiz


@transaction.atomic
def quiz_update(*, quiz: Quiz, questions: list[dict[str, Any]] | None = None, **fields) -> Quiz:
    """Change a quiz's fields and, when ``questions`` is given, replace its questions (matched by
    position: updated in place, created, extras deleted). Attempts already graded keep their scores.
    Positions and modules change through ``quiz_move``."""
    if unknown := set(fields) - set(QUIZ_FIELDS):
        raise TypeError(f"quiz_update() got unexpected fields: {', '.join(sorted(unknown))}")
    quiz = Quiz.objects.select_for_update(no_key=True).get(pk=quiz.pk)
    if "description" in fields:
        fields["description"] = fields["description"] or ""
    changed = [name for name, value in fields.items() if getattr(quiz, name) != value]
    for name in changed:
        setattr(quiz, name, fields[name])
    _quiz_check(quiz)
    if questions is not None:
        questions = quiz_questions_validate(questions=questions)
    if "draw" in changed or questions is not None:
        count = len(questions) if questions is not None else Question.objects.filter(quiz=quiz).count()
        _draw_check(draw=quiz.draw, count=count)
    if changed:
        with content_save_guard():
            quiz.save(update_fields=[*changed, "updated_at"])
    if questions is not None and questions_write(quiz=quiz, questions=questions):
        if not changed:
            quiz.save(update_fields=["updated_at"])
        changed.append("questions")
    if changed:
        course_touch(course_id=quiz.course_id)
    return quiz


@transaction.atomic
def quiz_delete(*, quiz: Quiz) -> None:
    """Delete a quiz (with its questions and attempts); the quizzes after it move up one. Learners'
    progress is recomputed after commit; certificates already issued stay valid."""
    Module.objects.select_for_update(no_key=True).filter(pk=quiz.module_id).first()
    quiz = Quiz.objects.get(pk=quiz.pk)
    quiz.delete()
    position_close_gap(siblings=Quiz.objects.filter(module_id=quiz.module_id), position=quiz.position)
    course_draft_changed(course_id=quiz.course_id)


@transaction.atomic
def quiz_move(*, quiz: Quiz, position: int, module: Module | None = None) -> Quiz:
    """Move a quiz to ``position`` in ``module`` (default: its own module) of the same course."""
    return module_item_move(item=quiz, position=position, module=module)


# --- Overrides (accommodations) -----------------------------------------------------------------------
@transaction.atomic
def quiz_override_grant(
    *,
    quiz: Quiz,
    learner: User,
    granted_by: User | None,
    extra_attempts: int | None = None,
    extra_minutes: int | None = None,
    reopen: bool = False,
    note: str = "",
) -> QuizOverride:
    """Give one enrolled learner extra attempts and/or extra minutes on ``quiz`` (the values replace the
    previous ones; left out: kept), or ``reopen`` it: as many extra attempts as leave them one from now.
    Audited; the learner's quiz and progress answers follow at once, and their progress is recomputed
    (a learner stuck on a sequential course's quiz gets a next step again)."""
    enrollment = (
        Enrollment.objects.select_for_update(no_key=True).filter(course_id=quiz.course_id, learner=learner).first()
    )
    if enrollment is None:
        raise ValidationError({"learner": [f"{learner.username} is not enrolled in this course."]})
    override, _ = QuizOverride.objects.get_or_create(quiz=quiz, learner=learner, defaults={"course_id": quiz.course_id})
    override = QuizOverride.objects.select_for_update(no_key=True).get(pk=override.pk)
    if extra_attempts is not None:
        override.extra_attempts = extra_attempts
    if extra_minutes is not None:
        override.extra_minutes = extra_minutes
    if reopen:
        used = QuizAttempt.objects.filter(quiz=quiz, learner=learner).count()
        override.extra_attempts = max(override.extra_attempts, used + 1 - quiz.max_attempts)
    if not 0 <= override.extra_attempts <= SMALLINT_MAX - quiz.max_attempts:
        raise ValidationError({"extra_attempts": ["Too many attempts."]})
    override.save()
    QuizOverrideGrant.objects.create(
        override=override,
        granted_by=granted_by,
        extra_attempts=override.extra_attempts,
        extra_minutes=override.extra_minutes,
        reopened=reopen,
        note=note or "",
    )
    enrollment_activity_record(enrollment_id=enrollment.pk)  # progress (next step) follows on commit
    return override
