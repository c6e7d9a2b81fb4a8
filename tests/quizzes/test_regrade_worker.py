"""A regrade on the real thing: a Celery worker (prefork) against PostgreSQL and Redis, killed with
SIGKILL mid-regrade; the next worker resumes after the last committed batch (Redis redelivers the
unacknowledged message) and every attempt is regraded and audited exactly once.

Run with DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL or REDIS_URL (Redis) set; skipped otherwise."""

import time
from decimal import Decimal

import pytest

from accounts.models import User
from courseware.models import Enrollment
from quizzes.models import Choice, Quiz, QuizAttempt, Regrade, RegradeChange
from quizzes.regrade.request import quiz_regrade_request
from tests.factories import build_course, publish_draft
from tests.worker import VISIBILITY_TIMEOUT, live_celery_fixture, requires_worker, wait_until  # noqa: F401

pytestmark = [pytest.mark.worker, requires_worker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

LEARNERS = 400


def graded_wrong_on_the_old_key(quiz: Quiz) -> None:
    """LEARNERS attempts that picked the second choice of the single-choice question (wrong until the key
    is fixed) and the full key of the multiple-choice one: 50 each, rows only."""
    single, multiple = quiz.questions.order_by("position")
    second = single.choices.get(position=2)
    right = [c.pk for c in multiple.choices.filter(is_correct=True)]
    users = User.objects.bulk_create(
        User(username=f"regrade-{i}", email=f"regrade-{i}@example.com") for i in range(LEARNERS)
    )
    Enrollment.objects.bulk_create(Enrollment(learner=u, course=quiz.course) for u in users)
    QuizAttempt.objects.bulk_create(
        QuizAttempt(
            quiz=quiz, learner=u, course=quiz.course, number=1, status="submitted", score=Decimal(50), passed=False,
            answers=[{"question": single.pk, "choices": [second.pk]}, {"question": multiple.pk, "choices": right}],
        )
        for u in users
    )  # fmt: skip


def test_worker_killed_mid_regrade_resumes_without_double_counting(live_celery):
    course = build_course(modules=1, lessons_per_module=1)
    quiz = course.modules.get().quizzes.get()
    Quiz.objects.filter(pk=quiz.pk).update(pass_percent=100)
    graded_wrong_on_the_old_key(quiz)
    single = quiz.questions.get(position=1)
    Choice.objects.filter(question=single).update(is_correct=False)
    Choice.objects.filter(question=single, position=2).update(is_correct=True)  # the key, fixed in place
    publish_draft(course)  # and published: a regrade grades against the published key

    worker = live_celery.start_worker(queues="default,progress", QUIZ_REGRADE_BATCH_LEARNERS="4")
    run, _ = quiz_regrade_request(quiz=Quiz.objects.get(pk=quiz.pk), user=None)  # autocommit: sent at once

    def midway() -> bool:
        row = Regrade.objects.get(pk=run.pk)
        return row.watermark > 0 and row.status == "running"

    wait_until(midway, timeout=60, interval=0.01, what="the regrade to be under way")
    worker.kill()  # SIGKILL, the whole process group, mid-regrade
    at_kill = Regrade.objects.get(pk=run.pk)
    assert at_kill.status != "done", "the regrade finished before the kill: nothing was tested"
    assert 0 < at_kill.attempts < LEARNERS
    assert RegradeChange.objects.filter(regrade=run).count() == at_kill.attempts_changed  # batches are whole

    time.sleep(VISIBILITY_TIMEOUT + 1)  # Redis hands the dead worker's message to the next worker
    live_celery.start_worker(queues="default,progress", QUIZ_REGRADE_BATCH_LEARNERS="4")
    try:
        wait_until(lambda: Regrade.objects.get(pk=run.pk).status == "done", timeout=90, what="the regrade")
    except AssertionError:
        raise AssertionError(live_celery.logs()) from None
    done = Regrade.objects.get(pk=run.pk)
    assert (done.attempts, done.attempts_changed, done.newly_passed, done.newly_failed) == (
        LEARNERS,
        LEARNERS,
        LEARNERS,
        0,
    )
    changes = RegradeChange.objects.filter(regrade=run)
    assert changes.count() == LEARNERS and changes.values("attempt").distinct().count() == LEARNERS
    assert QuizAttempt.objects.filter(quiz=quiz, score=100, passed=True).count() == LEARNERS
    live_celery.wait_idle()
