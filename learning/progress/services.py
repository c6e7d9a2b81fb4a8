"""Writes of the progress pipeline: recompute one enrollment's stored progress from the source rows
(completions, attempts, the outline), complete it and issue the certificate exactly once; and the
set-based drain that does the same for every stale enrollment at once."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from config import rawsql
from courseware.enrollment.services import enrollment_event_record
from courseware.models import Course, Enrollment, EnrollmentEvent
from events.services import event_record, event_record_many
from learning.certificates.services import certificate_issue, certificates_issue_many
from learning.outline import course_outline
from learning.progress.selectors import (
    ProgressSnapshot,
    enrollment_progress_covers,
    progress_counted_items,
    progress_snapshot,
)
from lessons.models import LessonCompletion
from quizzes.models import QuizAttempt

logger = logging.getLogger(__name__)


def enrollment_progress_recompute(*, enrollment_id: int, activity_seq: int | None = None) -> Enrollment | None:
    """Recompute one enrollment's progress from the source-of-truth rows, for the activity numbered
    ``activity_seq`` (None: unconditionally, as after a content change, from the reconcile sweep or
    from a message queued before activity was numbered). Idempotent. Returns the enrollment, or None
    when it is gone or its stored progress already covers ``activity_seq``.

    Covered means an earlier recompute, holding the row lock, read a sequence at least as high, at the
    course's current content version: that one cheap read, without a lock, ends the task. So a burst
    of completions by one learner costs one recompute, not one each, and a redelivered message none."""
    if activity_seq is not None and enrollment_progress_covers(enrollment_id=enrollment_id, activity_seq=activity_seq):
        return None
    return _enrollment_progress_recompute(enrollment_id=enrollment_id)


@transaction.atomic
def _enrollment_progress_recompute(*, enrollment_id: int) -> Enrollment | None:
    """The enrollment row is locked (not the course's: every recompute of the course would queue on
    it), so concurrent recomputes of one learner's course run one after another; the second finds the
    certificate already issued (and the unique constraint on (learner, course) stands behind the lock).
    A constant number of queries whatever the size of the course: its outline comes from the cache."""
    enrollment = _enrollment_lock(enrollment_id=enrollment_id)
    if enrollment is None:
        return None
    course = enrollment.course
    outline = course_outline(course=course)
    snap = progress_snapshot(learner_id=enrollment.learner_id, course_id=course.pk, outline=outline)
    now = timezone.now()
    enrollment.progress = snap.percent
    enrollment.completed_items = snap.done_items
    enrollment.progress_version = course.content_version
    enrollment.progress_seq = enrollment.activity_seq  # read under the lock: every activity up to it is counted
    enrollment.progress_computed_at = now
    fields = ["progress", "completed_items", "progress_version", "progress_seq", "progress_computed_at", "updated_at"]
    if snap.is_complete and enrollment.status == Enrollment.Status.ACTIVE:
        enrollment.status = Enrollment.Status.COMPLETED
        enrollment.completed_at = enrollment.completed_at or now
        fields += ["status", "completed_at"]
        enrollment_event_record(enrollment, EnrollmentEvent.Action.COMPLETED, None)
        event_record(
            type="course.completed",
            course_id=course.pk,
            course_slug=course.slug,
            learner_id=enrollment.learner_id,
            data={
                "enrollment": enrollment.pk,
                "course_title": course.title,
                "completed_at": enrollment.completed_at.isoformat(),
            },
        )
    rawsql.update_fields(enrollment, fields)  # nothing listens to enrollment saves
    if enrollment.status == Enrollment.Status.COMPLETED:
        certificate_issue(enrollment=enrollment)
    return enrollment


def _enrollment_lock(*, enrollment_id: int) -> Enrollment | None:
    """The enrollment with its course, the enrollment's row locked (not the course's), in one query
    written once (the ORM compiles this join again on every task)."""
    lock = " FOR NO KEY UPDATE OF e" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT {rawsql.columns(Enrollment, 'e')}, {rawsql.columns(Course, 'c')} "  # noqa: S608
        f'FROM "{Enrollment._meta.db_table}" e JOIN "{Course._meta.db_table}" c ON c."id" = e."course_id" '
        f'WHERE e."id" = %s{lock}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [enrollment_id])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(Enrollment._meta.concrete_fields)
    enrollment = rawsql.instance(Enrollment, row[:n])
    Enrollment.course.field.set_cached_value(enrollment, rawsql.instance(Course, row[n:]))
    return enrollment


# --- The drain: every stale enrollment, set-based -----------------------------------------------
# A recorded completion or attempt bumps its enrollment's ``activity_seq`` (``enrollment_activity_record``),
# which makes it stale (``progress_seq < activity_seq``); after commit it asks for one drain task
# (``tasks.progress_drain_request``). The drain recomputes a batch of stale enrollments in a handful
# of statements, whatever the batch's size, with the per-enrollment recompute's semantics exactly.
def progress_drain_batch_size() -> int:
    return max(1, int(getattr(settings, "PROGRESS_DRAIN_BATCH_SIZE", 1000)))


@dataclass
class DrainReport:
    recomputed: int = 0
    completed: int = 0
    certificates: int = 0
    batches: int = 0
    more: bool = False  # stopped at ``max_batches`` with stale enrollments possibly left


def progress_stale_drain(*, batch_size: int | None = None, max_batches: int = 50) -> DrainReport:
    """Recompute every stale live enrollment, ``batch_size`` at a time, each batch in its own
    transaction, until none is left (or ``max_batches``: the caller queues another drain).

    Rows another transaction holds are skipped (PostgreSQL: ``SKIP LOCKED``): a write still open
    asks for a drain of its own after it commits, and a concurrent drain or per-enrollment recompute
    counts the row itself. So several workers drain side by side without waiting on one another."""
    size = batch_size or progress_drain_batch_size()
    report = DrainReport()
    after = 0
    while report.batches < max_batches:
        with transaction.atomic():
            rows = _stale_lock(after=after, limit=size)
            if rows:
                _drain_batch(rows, report)
        report.batches += 1
        if len(rows) < size:
            return report
        after = rows[-1][0]
    report.more = True
    return report


def _stale_lock(*, after: int, limit: int) -> list[tuple]:
    """The next ``limit`` stale live enrollments above id ``after``, row-locked: ``(id, learner_id,
    course_id, status, activity_seq, content_version)``. One statement on the partial index of stale rows."""
    lock = ""
    if connection.features.has_select_for_update_of and connection.features.has_select_for_update_skip_locked:
        lock = " FOR NO KEY UPDATE OF e SKIP LOCKED"
    sql = (
        f'SELECT e."id", e."learner_id", e."course_id", e."status", e."activity_seq", c."content_version" '  # noqa: S608
        f'FROM "{Enrollment._meta.db_table}" e JOIN "{Course._meta.db_table}" c ON c."id" = e."course_id" '
        f'WHERE e."progress_seq" < e."activity_seq" AND e."status" <> %s AND e."id" > %s '
        f'ORDER BY e."id" LIMIT %s{lock}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [Enrollment.Status.DROPPED, after, limit])
        return cursor.fetchall()


def _done_counts(*, course_id: int, enrollment_ids: list[int]) -> tuple[dict[int, tuple[int, int]], int, int, Course]:
    """``{enrollment_id: (completed lessons, passed quizzes)}`` among the items the course's progress
    counts (``progress_counted_items``), for enrollments of one course, in one statement; with the
    counted lessons' and quizzes' totals and the course."""
    course = Course.objects.get(pk=course_id)
    lesson_ids, quiz_ids = progress_counted_items(course_id=course_id, outline=course_outline(course=course))
    params: list = []
    if lesson_ids:
        lessons = (
            f'(SELECT COUNT(*) FROM "{LessonCompletion._meta.db_table}" lc WHERE lc."learner_id" = e."learner_id" '  # noqa: S608
            f'AND lc."course_id" = e."course_id" AND lc."lesson_id" IN ({", ".join(["%s"] * len(lesson_ids))}))'
        )
        params += sorted(lesson_ids)
    else:
        lessons = "0"
    if quiz_ids:
        quizzes = (
            f'(SELECT COUNT(DISTINCT a."quiz_id") FROM "{QuizAttempt._meta.db_table}" a '  # noqa: S608
            f'WHERE a."learner_id" = e."learner_id" AND a."course_id" = e."course_id" AND a."status" = %s '
            f'AND a."passed" = %s AND a."quiz_id" IN ({", ".join(["%s"] * len(quiz_ids))}))'
        )
        params += [QuizAttempt.Status.SUBMITTED, True, *quiz_ids]
    else:
        quizzes = "0"
    sql = (
        f'SELECT e."id", {lessons}, {quizzes} FROM "{Enrollment._meta.db_table}" e '  # noqa: S608
        f'WHERE e."id" IN ({", ".join(["%s"] * len(enrollment_ids))})'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *enrollment_ids])
        counts = {pk: (done_lessons, done_quizzes) for pk, done_lessons, done_quizzes in cursor.fetchall()}
    return counts, len(lesson_ids), len(quiz_ids), course


def _drain_batch(rows: list[tuple], report: DrainReport) -> None:
    """Recompute one locked batch: counts per course, one UPDATE for the batch, then the completions'
    audit rows and events, certificates and emails, each as one statement."""
    by_course: dict[int, list[int]] = {}
    for pk, _, course_id, *_ in rows:
        by_course.setdefault(course_id, []).append(pk)
    snapshots: dict[int, ProgressSnapshot] = {}
    courses: dict[int, Course] = {}
    for course_id, ids in by_course.items():
        counts, total_lessons, total_quizzes, courses[course_id] = _done_counts(course_id=course_id, enrollment_ids=ids)
        for pk in ids:
            done_lessons, done_quizzes = counts[pk]
            snapshots[pk] = ProgressSnapshot(
                total_lessons=total_lessons,
                completed_lessons=done_lessons,
                total_quizzes=total_quizzes,
                passed_quizzes=done_quizzes,
            )
    now = timezone.now()
    values, params, completing = [], [], []
    for pk, learner_id, course_id, status, activity_seq, content_version in rows:
        snap = snapshots[pk]
        completes = snap.is_complete and status == Enrollment.Status.ACTIVE
        if completes:
            completing.append((pk, learner_id, course_id))
        cast = not values  # the first row types the columns (PostgreSQL reads untyped parameters as text)
        values.append(
            "(CAST(%s AS BIGINT), CAST(%s AS INTEGER), CAST(%s AS INTEGER), CAST(%s AS BIGINT), "
            "CAST(%s AS INTEGER), CAST(%s AS INTEGER))"
            if cast
            else "(%s, %s, %s, %s, %s, %s)"
        )
        params += [pk, snap.percent, snap.done_items, activity_seq, content_version, int(completes)]
    table = Enrollment._meta.db_table
    with connection.cursor() as cursor:
        # Portable UPDATE ... FROM (VALUES ...): PostgreSQL and SQLite both name the columns column1..N.
        cursor.execute(
            f'UPDATE "{table}" SET "progress" = v.column2, "completed_items" = v.column3, '  # noqa: S608
            '"progress_seq" = v.column4, "progress_version" = v.column5, "progress_computed_at" = %s, '
            '"updated_at" = %s, '
            f'"status" = CASE WHEN v.column6 = 1 THEN %s ELSE "{table}"."status" END, '
            f'"completed_at" = CASE WHEN v.column6 = 1 THEN COALESCE("{table}"."completed_at", %s) '
            f'ELSE "{table}"."completed_at" END '
            f'FROM (VALUES {", ".join(values)}) AS v WHERE "{table}"."id" = v.column1',
            [now, now, Enrollment.Status.COMPLETED, now, *params],
        )
    report.recomputed += len(rows)
    report.completed += len(completing)
    if completing:
        _completions_record(completing, courses)
    completed = [(learner_id, course_id) for pk, learner_id, course_id, status, *_ in rows
                 if status == Enrollment.Status.COMPLETED or snapshots[pk].is_complete]  # fmt: skip
    created = certificates_issue_many(
        completed=completed, course_titles={pk: course.title for pk, course in courses.items()}
    )
    report.certificates += len(created)


def _completions_record(completing: list[tuple[int, int, int]], courses: dict[int, Course]) -> None:
    """The audit row and the ``course.completed`` event of each enrollment this batch completed."""
    ids = [pk for pk, _, _ in completing]
    completed_at = dict(Enrollment.objects.filter(pk__in=ids).values_list("pk", "completed_at"))
    EnrollmentEvent.objects.bulk_create(
        EnrollmentEvent(enrollment_id=pk, action=EnrollmentEvent.Action.COMPLETED, actor=None) for pk in ids
    )
    event_record_many(
        events=[
            {
                "type": "course.completed",
                "course_id": course_id,
                "course_slug": courses[course_id].slug,
                "learner_id": learner_id,
                "data": {
                    "enrollment": pk,
                    "course_title": courses[course_id].title,
                    "completed_at": completed_at[pk].isoformat(),
                },
            }
            for pk, learner_id, course_id in completing
        ]
    )


def course_progress_mark_stale(*, course_id: int) -> int:
    """After a change of what the course's progress counts (a publish, inside its transaction): every
    live enrollment of the course is marked stale in one UPDATE (its activity number moves past its
    stored progress), so the set-based drain recomputes them all in batches after commit, and the
    reconcile sweep finds any a lost message left. Returns how many were marked."""
    return (
        Enrollment.objects.filter(course_id=course_id)
        .exclude(status=Enrollment.Status.DROPPED)
        .update(activity_seq=F("activity_seq") + 1)
    )
