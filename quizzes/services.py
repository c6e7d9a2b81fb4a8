"""Writes for quizzes: starting and submitting attempts."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import ApplicationError, Conflict
from config.tasks import enqueue_on_commit
from courseware.models import Enrollment
from courseware.services import touch_activity
from quizzes.grading import AnswerError, grade, validate_answers
from quizzes.models import AttemptAnswer, Quiz, QuizAttempt
from quizzes.selectors import attempt_seed, quiz_answer_key, quiz_questions


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    # One learner's attempts on a course are serialised on their enrollment row, so two concurrent
    # submissions cannot both take the last attempt (the unique attempt number stands behind it).
    return Enrollment.objects.select_for_update().get(pk=enrollment.pk)


def _next_number(*, quiz: Quiz, learner: User) -> int:
    used = QuizAttempt.objects.filter(quiz=quiz, learner=learner).count()
    if used >= quiz.max_attempts:
        raise Conflict(
            f"No attempts left: this quiz allows {quiz.max_attempts} attempt(s) and all have been used.",
            code="max_attempts_reached",
        )
    return used + 1


@transaction.atomic
def quiz_attempt_start(*, quiz: Quiz, learner: User, enrollment: Enrollment) -> tuple[QuizAttempt, bool]:
    """Open an attempt (idempotent: returns the open one if any). The server keeps its deadline
    (for timed quizzes) and its shuffle seed."""
    _lock_enrollment(enrollment)
    open_attempt = QuizAttempt.objects.filter(quiz=quiz, learner=learner, status=QuizAttempt.Status.IN_PROGRESS).first()
    if open_attempt:
        return open_attempt, False
    number = _next_number(quiz=quiz, learner=learner)
    now = timezone.now()
    deadline = now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    try:
        with transaction.atomic():
            attempt = QuizAttempt.objects.create(
                quiz=quiz,
                learner=learner,
                course_id=quiz.course_id,
                number=number,
                status=QuizAttempt.Status.IN_PROGRESS,
                deadline=deadline,
                seed=attempt_seed(quiz_id=quiz.pk, learner_id=learner.pk, number=number),
            )
    except IntegrityError:
        raise Conflict("Another attempt was started at the same time; try again.", code="attempt_conflict")
    return attempt, True


def quiz_attempt_submit(*, quiz: Quiz, learner: User, enrollment: Enrollment, answers: list[dict]) -> QuizAttempt:
    """Grade and store an attempt. Submits the open (started) attempt if there is one, else starts
    and submits a new one. Refuses answers that do not fit the quiz (400), a submission past the
    deadline (409, and the attempt is closed with score 0), and any attempt over ``max_attempts`` (409)."""
    attempt, late = _submit(quiz=quiz, learner=learner, enrollment=enrollment, answers=answers)
    if late:
        raise Conflict(
            f"The time limit ended at {attempt.deadline.isoformat()}; this attempt was closed without a score.",
            code="deadline_passed",
        )
    return attempt


@transaction.atomic
def _submit(*, quiz: Quiz, learner: User, enrollment: Enrollment, answers: list[dict]) -> tuple[QuizAttempt, bool]:
    from courseware import tasks

    _lock_enrollment(enrollment)
    questions = quiz_questions(quiz=quiz)
    key = quiz_answer_key(questions=questions)
    try:
        selected = validate_answers(key, answers)
    except AnswerError as exc:
        raise ApplicationError(exc.message, field=exc.path, code="invalid_answer")
    now = timezone.now()
    attempt = QuizAttempt.objects.filter(quiz=quiz, learner=learner, status=QuizAttempt.Status.IN_PROGRESS).first()
    if attempt is None:
        number = _next_number(quiz=quiz, learner=learner)
        attempt = QuizAttempt(
            quiz=quiz,
            learner=learner,
            course_id=quiz.course_id,
            number=number,
            seed=attempt_seed(quiz_id=quiz.pk, learner_id=learner.pk, number=number),
        )
    late = attempt.deadline is not None and now > attempt.deadline
    result = grade(key, selected, scoring=quiz.scoring, pass_percent=quiz.pass_percent)
    attempt.status = QuizAttempt.Status.SUBMITTED
    attempt.submitted_at = now
    attempt.answers = [{"question": qid, "choices": list(choices)} for qid, choices in selected.items()]
    attempt.score = 0 if late else result.score
    attempt.passed = False if late else result.passed
    try:
        with transaction.atomic():
            attempt.save()
    except IntegrityError:
        raise Conflict("Another attempt was submitted at the same time; try again.", code="attempt_conflict")
    if not late:
        AttemptAnswer.objects.bulk_create(
            AttemptAnswer(
                attempt=attempt,
                question_id=r.question_id,
                choices=list(r.selected),
                is_correct=r.correct,
                credit=r.credit,
            )
            for r in result.results
        )
    touch_activity(learner_id=learner.pk, course_id=quiz.course_id)
    enqueue_on_commit(tasks.recompute_enrollment_progress, enrollment.pk)
    return attempt, late
