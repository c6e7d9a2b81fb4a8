"""Regrading a quiz's attempts against its current key (a fixed right answer, changed points): a dry
run that says who changes score and pass, and the run itself, a task working through the learners in
batches, set-based, each batch one transaction that also moves the run's watermark, so a worker
killed mid-run resumes after the last committed batch and nothing is counted twice. Every change is
audited (``RegradeChange``); the learners whose grades changed get their activity numbered, so the
progress pipeline recomputes their progress and completion after commit and issues a certificate to
whoever now completes, exactly once. A regrade never revokes an issued certificate, and a completed
enrollment stays completed (revocation is a separate admin act)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courseware.enrollment.services import enrollment_activity_record_many
from courseware.models import Enrollment
from quizzes.grading import Grade, QuestionKey, answer_fit, grade
from quizzes.models import AttemptAnswer, Question, Quiz, QuizAttempt, Regrade, RegradeChange
from quizzes.selectors import quiz_answer_key, quiz_key_published
from quizzes.services import answer_loaded, attempt_answer_rows, grade_results_stored


def _batch_size() -> int:
    return LEARNERS_PER_BATCH or settings.QUIZ_REGRADE_BATCH_LEARNERS


LEARNERS_PER_BATCH = 0  # 0: settings.QUIZ_REGRADE_BATCH_LEARNERS (tests set it directly)


@dataclass(frozen=True)
class AttemptChange:
    attempt: QuizAttempt
    grade: Grade

    @property
    def changed(self) -> bool:
        old = self.attempt.score if self.attempt.score is not None else None
        return old != self.grade.score or self.attempt.passed != self.grade.passed


def _keys(quiz: Quiz) -> tuple[list[Question], dict[int, QuestionKey], int]:
    """The published key (afresh: the key just fixed and published, never a draft edit or a cached
    copy), by question, and its key version."""
    questions, key_version = quiz_key_published(quiz_id=quiz.pk)
    return questions, {key.id: key for key in quiz_answer_key(questions=questions)}, key_version


def attempt_regrade(*, quiz: Quiz, attempt: QuizAttempt, questions: list[Question], keys: dict) -> Grade | None:
    """The grade ``attempt`` gets against the current key (pure, no writes); None for an attempt that
    keeps its grade: submitted after its deadline or closed when its time ran out (score 0)."""
    if attempt.deadline is not None and attempt.submitted_at is not None and attempt.submitted_at > attempt.deadline:
        return None
    asked = set(attempt.question_ids) if attempt.question_ids is not None else None
    key = [keys[q.pk] for q in questions if asked is None or q.pk in asked]
    given = {a["question"]: answer_loaded(a) for a in attempt.answers}
    answers = {}
    for question in key:
        fitted = answer_fit(question, given.get(question.id))
        if fitted is not None:
            answers[question.id] = fitted
    return grade(key, answers, scoring=quiz.scoring, pass_percent=quiz.pass_percent)


def _submitted(quiz: Quiz):
    return QuizAttempt.objects.filter(quiz=quiz, status=QuizAttempt.Status.SUBMITTED)


def _changes(quiz: Quiz, attempts: list[QuizAttempt], questions, keys) -> list[AttemptChange]:
    out = []
    for attempt in attempts:
        new = attempt_regrade(quiz=quiz, attempt=attempt, questions=questions, keys=keys)
        if new is not None:
            out.append(AttemptChange(attempt=attempt, grade=new))
    return out


def _learner_passes(attempts: list[QuizAttempt], changes: list[AttemptChange]) -> tuple[set[int], set[int]]:
    """Learners who pass the quiz before and after (a learner passes with any passed attempt)."""
    after_by_attempt = {c.attempt.pk: c.grade.passed for c in changes}
    before = {a.learner_id for a in attempts if a.passed}
    after = {a.learner_id for a in attempts if after_by_attempt.get(a.pk, a.passed)}
    return before, after


def quiz_regrade_preview(*, quiz: Quiz) -> dict:
    """The dry run: every submitted attempt graded again against the current key, nothing saved.
    ``changed`` lists the attempts whose score or pass would change; ``newly_passed`` and
    ``newly_failed`` the learners (usernames) who would start or stop passing the quiz."""
    questions, keys, _ = _keys(quiz)
    attempts = list(_submitted(quiz).select_related("learner").order_by("learner_id", "id"))
    changes = _changes(quiz, attempts, questions, keys)
    before, after = _learner_passes(attempts, changes)
    names = {a.learner_id: a.learner.username for a in attempts}
    return {
        "attempts": len(attempts),
        "changed": [
            {
                "attempt": c.attempt.pk,
                "learner": c.attempt.learner.username,
                "old_score": float(c.attempt.score) if c.attempt.score is not None else None,
                "new_score": float(c.grade.score),
                "old_passed": c.attempt.passed,
                "new_passed": c.grade.passed,
            }
            for c in changes
            if c.changed
        ],
        "newly_passed": sorted(names[i] for i in after - before),
        "newly_failed": sorted(names[i] for i in before - after),
    }


@transaction.atomic
def regrade_batch(*, regrade_id: int) -> bool:
    """Regrade the next learners' attempts (after the watermark); returns whether the run is done.
    One transaction: the learners' enrollments are locked first (as their submissions lock them), so a
    submission during the regrade waits for the batch or is already in it; the attempts, the audit
    rows, the counters and the watermark move together."""
    regrade = (
        Regrade.objects.select_for_update(no_key=True, of=("self",))
        .select_related("quiz")
        .filter(pk=regrade_id)
        .first()
    )
    if regrade is None or regrade.status == Regrade.Status.DONE:
        return True
    quiz = regrade.quiz
    now = timezone.now()
    if regrade.status == Regrade.Status.PENDING:
        regrade.status, regrade.started_at = Regrade.Status.RUNNING, now
    learners = list(
        _submitted(quiz)
        .filter(learner_id__gt=regrade.watermark)
        .order_by("learner_id")
        .values_list("learner_id", flat=True)
        .distinct()[: _batch_size()]
    )
    if not learners:
        regrade.status, regrade.finished_at = Regrade.Status.DONE, now
        regrade.save()
        return True
    list(Enrollment.objects.select_for_update(no_key=True).filter(course_id=quiz.course_id, learner_id__in=learners))
    questions, keys, current = _keys(quiz)
    attempts = list(_submitted(quiz).filter(learner_id__in=learners).order_by("learner_id", "id"))
    changes = _changes(quiz, attempts, questions, keys)
    changed = [c for c in changes if c.changed]
    _attempts_write(quiz=quiz, changes=changes, key_version=current)
    RegradeChange.objects.bulk_create(
        RegradeChange(
            regrade=regrade,
            attempt=c.attempt,
            learner_id=c.attempt.learner_id,
            old_score=c.attempt.score,
            new_score=c.grade.score,
            old_passed=c.attempt.passed,
            new_passed=c.grade.passed,
        )
        for c in changed
    )
    enrollment_activity_record_many(
        course_id=quiz.course_id, learner_ids=sorted({c.attempt.learner_id for c in changed})
    )
    before, after = _learner_passes(attempts, changes)
    regrade.attempts += len(attempts)
    regrade.attempts_changed += len(changed)
    regrade.newly_passed += len(after - before)
    regrade.newly_failed += len(before - after)
    regrade.watermark = learners[-1]
    regrade.save()
    return False


def _attempts_write(*, quiz: Quiz, changes: list[AttemptChange], key_version: int) -> None:
    """Store the new grades: every regraded attempt's per-question results and answer rows (points may
    move without the score moving), then its score and pass; set-based, a few queries per batch."""
    if not changes:
        return
    ids = [c.attempt.pk for c in changes]
    for c in changes:
        c.attempt.results = grade_results_stored(c.grade)
    QuizAttempt.objects.bulk_update([c.attempt for c in changes], ["results"], batch_size=500)
    QuizAttempt.objects.filter(pk__in=ids).update(graded_key_version=key_version)
    changed = [c for c in changes if c.changed]
    if changed:
        rows = [
            QuizAttempt(pk=c.attempt.pk, score=c.grade.score, passed=c.grade.passed, results=c.attempt.results)
            for c in changed
        ]
        QuizAttempt.objects.bulk_update(rows, ["score", "passed"], batch_size=500)
    AttemptAnswer.objects.filter(attempt_id__in=ids).delete()
    AttemptAnswer.objects.bulk_create(
        [row for c in changes for row in attempt_answer_rows(attempt=c.attempt, result=c.grade)], batch_size=1000
    )


def regrade_run(*, regrade_id: int) -> Regrade | None:
    """Work through the whole regrade, batch after batch (each committed on its own)."""
    while not regrade_batch(regrade_id=regrade_id):
        pass
    return Regrade.objects.filter(pk=regrade_id).first()


def regrade_list(*, quiz: Quiz):
    return Regrade.objects.filter(quiz=quiz).select_related("requested_by").prefetch_related("changes__learner")


def quiz_stale_attempts(*, quiz: Quiz) -> int:
    """Submitted attempts graded on an older key than the published one (no regrade since)."""
    _, key_version = quiz_key_published(quiz_id=quiz.pk)
    return _submitted(quiz).filter(graded_key_version__lt=key_version).count()


REGRADE_LOST_AFTER = timedelta(minutes=10)


def regrades_unfinished(*, now, limit: int) -> list[int]:
    """Regrades pending or running for a while (their message may be lost, their worker gone): the
    reconcile sweep sends them again (``learning.progress.tasks.reconcile_run``)."""
    return list(
        Regrade.objects.filter(
            status__in=[Regrade.Status.PENDING, Regrade.Status.RUNNING], created_at__lt=now - REGRADE_LOST_AFTER
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
