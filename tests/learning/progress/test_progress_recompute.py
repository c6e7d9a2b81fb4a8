"""The progress task: a constant number of queries whatever the size of the course, and redundant
events coalesced. Every completion or submitted attempt numbers the enrollment's activity
(``activity_seq``) and the task it queues carries that number; a task whose number the stored progress
already covers returns after one read. Completions and attempts go through the HTTP API; the tasks
they queue are run when the test says (eagerly, in-process)."""

from collections.abc import Callable

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseware.models import Certificate, Course, Enrollment
from courseware.structure.changes import course_content_changed
from learning.outline import course_outline
from learning.progress.tasks import recompute_enrollment_progress
from lessons.models import Lesson
from notifications.models import OutboundEmail
from quizzes.models import Quiz
from tests.conftest import client_for, without_event_dispatch
from tests.factories import EnrollmentFactory, LessonCompletionFactory, UserFactory, build_course, right_answers

pytestmark = pytest.mark.django_db

# A completion or attempt queues the set-based drain. It costs SAVEPOINT (the test's transaction
# stands for BEGIN), the stale enrollments locked with their courses' content versions, the course
# (for its outline), every enrollment's completed lessons and passed quizzes counted (one query per
# course in the batch), the UPDATE of the batch, RELEASE (COMMIT). A drain with nothing stale left
# costs SAVEPOINT, the scan, RELEASE (in production: the scan alone). The numbered per-enrollment
# task (content refreshes, the reconcile sweep) first reads whether it is covered (1).
COVERED_READ = 1
RECOMPUTE_QUERIES = 5
DRAIN_QUERIES = 6
EMPTY_DRAIN = 3
OUTLINE_QUERIES = 1  # the published version's items (one query): only when the outline is not cached


class Learner:
    """An enrolled learner and their API client."""

    def __init__(self, course):
        self.course = course
        self.user = UserFactory()
        self.enrollment = EnrollmentFactory(learner=self.user, course=course)
        self.client = client_for(self.user)
        self.lessons = list(Lesson.objects.filter(course=course).order_by("module__position", "position"))

    def complete(self, lesson, capture) -> list[Callable[[], None]]:
        """POST the completion; returns the on-commit callbacks (the queued progress task), not yet run."""
        with capture(execute=False) as callbacks:
            response = self.client.post(f"/api/lessons/{lesson.pk}/complete/")
        assert response.status_code == 200, response.json()
        return without_event_dispatch(callbacks)

    def submit(self, quiz, capture) -> list[Callable[[], None]]:
        with capture(execute=False) as callbacks:
            response = self.client.post(f"/api/quizzes/{quiz.pk}/attempts/", {"answers": right_answers(quiz)})
        assert response.status_code == 201, response.json()
        return without_event_dispatch(callbacks)

    def stored(self) -> Enrollment:
        return Enrollment.objects.get(pk=self.enrollment.pk)

    def progress(self) -> dict:
        response = self.client.get(f"/api/courses/{self.course.slug}/progress/")
        assert response.status_code == 200
        return response.json()


def queries_of(callbacks: list[Callable[[], None]]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        for callback in callbacks:
            callback()
    return len(ctx.captured_queries)


# --- A constant number of queries ------------------------------------------------------------------
@pytest.mark.parametrize("cached", [True, False], ids=["outline cached", "outline not cached"])
def test_recompute_queries_do_not_grow_with_the_course(django_capture_on_commit_callbacks, cached):
    counts = {}
    for modules, lessons in [(1, 2), (8, 12)]:  # 2 lessons + 1 quiz, and 96 lessons + 8 quizzes
        learner = Learner(build_course(modules=modules, lessons_per_module=lessons))
        for callback in learner.complete(learner.lessons[0], django_capture_on_commit_callbacks):
            callback()  # the outline is cached from here on
        queued = learner.complete(learner.lessons[1], django_capture_on_commit_callbacks)
        if not cached:
            cache.clear()
        counts[modules * lessons] = queries_of(queued)
        stored = learner.stored()
        assert stored.completed_items == 2 and stored.progress_seq == stored.activity_seq == 2
    expected = DRAIN_QUERIES + (0 if cached else OUTLINE_QUERIES)
    assert counts == {2: expected, 96: expected}


def test_the_recompute_that_completes_the_course_costs_the_same_for_two_lessons_or_sixty(
    django_capture_on_commit_callbacks,
):
    counts = {}
    for lessons in (2, 60):
        learner = Learner(build_course(modules=1, lessons_per_module=lessons, quiz_per_module=False))
        for lesson in learner.lessons[:-1]:
            LessonCompletionFactory(learner=learner.user, lesson=lesson)
        course_outline(course=Course.objects.get(pk=learner.course.pk))  # cached, as by any earlier page
        queued = learner.complete(learner.lessons[-1], django_capture_on_commit_callbacks)
        counts[lessons] = queries_of(queued)
        assert learner.stored().status == Enrollment.Status.COMPLETED
        assert Certificate.objects.filter(learner=learner.user, course=learner.course).count() == 1
    # The drain's 6, + the completed enrollments' completed_at read back, their audit rows and
    # course.completed outbox rows (one INSERT each for the batch); the certificates held looked up,
    # the learners, the missing ones inserted (ON CONFLICT DO NOTHING) in a savepoint, their
    # certificate.issued rows; the email rows inserted (skipping keys already there) and the pending
    # ones read, in a savepoint. The same for one learner or a thousand in the batch.
    assert counts == {2: 19, 60: 19}


# --- Coalescing ------------------------------------------------------------------------------------
def test_a_burst_of_completions_costs_one_drain_and_one_empty_scan_for_each_other_event(
    django_capture_on_commit_callbacks,
):
    learner = Learner(build_course(modules=2, lessons_per_module=3))
    queued = [learner.complete(lesson, django_capture_on_commit_callbacks) for lesson in learner.lessons[:4]]
    assert learner.stored().activity_seq == 4 and learner.stored().progress_seq == 0

    first = queries_of(queued[0])  # runs after all four committed: counts all of them
    stored = learner.stored()
    assert first >= DRAIN_QUERIES
    assert stored.progress_seq == 4 and stored.completed_items == 4
    computed_at = stored.progress_computed_at

    # Eager here, so each later request runs a drain of its own, which finds nothing stale.
    assert [queries_of(callbacks) for callbacks in queued[1:]] == [EMPTY_DRAIN] * 3
    assert learner.stored().progress_computed_at == computed_at
    assert learner.progress()["completed_lessons"] == 4


def test_an_event_the_stored_progress_does_not_cover_is_recomputed(django_capture_on_commit_callbacks):
    learner = Learner(build_course(modules=1, lessons_per_module=3))
    for callback in learner.complete(learner.lessons[0], django_capture_on_commit_callbacks):
        callback()
    assert learner.stored().progress_seq == 1

    queued = learner.complete(learner.lessons[1], django_capture_on_commit_callbacks)
    assert queries_of(queued) >= RECOMPUTE_QUERIES
    stored = learner.stored()
    assert stored.progress_seq == stored.activity_seq == 2 and stored.completed_items == 2
    assert learner.progress()["progress"] == stored.progress == 2 * 100 // 4  # 3 lessons + 1 quiz


def test_a_submitted_attempt_is_numbered_and_recomputed_like_a_completion(django_capture_on_commit_callbacks):
    learner = Learner(build_course(modules=1, lessons_per_module=1))
    quiz = Quiz.objects.get(course=learner.course)
    queued = learner.submit(quiz, django_capture_on_commit_callbacks)
    assert learner.stored().activity_seq == 1 and learner.stored().progress_seq == 0
    assert queries_of(queued) >= RECOMPUTE_QUERIES
    stored = learner.stored()
    assert stored.progress_seq == 1 and stored.completed_items == 1
    assert learner.progress()["passed_quizzes"] == 1
    assert queries_of(queued) == EMPTY_DRAIN  # delivered again: nothing stale


def test_a_redelivered_message_issues_nothing_twice(django_capture_on_commit_callbacks):
    learner = Learner(build_course(modules=1, lessons_per_module=2, quiz_per_module=False))
    LessonCompletionFactory(learner=learner.user, lesson=learner.lessons[0])
    queued = learner.complete(learner.lessons[1], django_capture_on_commit_callbacks)
    for _ in range(2):  # the message, then its redelivery (a worker died before acknowledging it)
        with django_capture_on_commit_callbacks(execute=True):
            for callback in queued:
                callback()
    stored = learner.stored()
    assert stored.status == Enrollment.Status.COMPLETED and stored.progress == 100
    [certificate] = Certificate.objects.filter(learner=learner.user, course=learner.course)
    [email] = OutboundEmail.objects.filter(kind="certificate")
    assert email.key == f"certificate:{certificate.code}" and email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1 and email.attempts == 1
    with CaptureQueriesContext(connection) as ctx:  # the same task called directly with its number
        recompute_enrollment_progress(learner.enrollment.pk, stored.activity_seq)
    assert len(ctx.captured_queries) == 1


def test_a_message_without_a_number_always_recomputes(django_capture_on_commit_callbacks):
    """Reconcile, content changes and messages queued before activity was numbered send none."""
    learner = Learner(build_course(modules=1, lessons_per_module=2))
    for callback in learner.complete(learner.lessons[0], django_capture_on_commit_callbacks):
        callback()
    computed_at = learner.stored().progress_computed_at
    with CaptureQueriesContext(connection) as ctx:
        recompute_enrollment_progress.apply(args=[learner.enrollment.pk])  # an older message: one argument
    assert len(ctx.captured_queries) >= RECOMPUTE_QUERIES
    assert learner.stored().progress_computed_at > computed_at


def test_a_covered_event_still_recomputes_after_a_content_change(django_capture_on_commit_callbacks):
    learner = Learner(build_course(modules=1, lessons_per_module=2))
    queries_of(learner.complete(learner.lessons[0], django_capture_on_commit_callbacks))
    seq = learner.stored().activity_seq
    with django_capture_on_commit_callbacks(execute=False):  # the refresh task it queues is not run
        course_content_changed(course_id=learner.course.pk)
    learner.course.refresh_from_db()
    with CaptureQueriesContext(connection) as ctx:  # its per-enrollment message, numbered: not covered
        recompute_enrollment_progress(learner.enrollment.pk, seq)
    assert len(ctx.captured_queries) >= RECOMPUTE_QUERIES  # progress computed at an older content version
    assert learner.stored().progress_version == learner.course.content_version
    with CaptureQueriesContext(connection) as ctx:
        recompute_enrollment_progress(learner.enrollment.pk, seq)
    assert len(ctx.captured_queries) == COVERED_READ
