"""Writes of the progress pipeline: recompute one enrollment's stored progress from the source rows
(completions, attempts, the outline), complete it and issue the certificate exactly once."""

import logging

from django.db import transaction
from django.utils import timezone

from config import rawsql
from courseware.enrollment.services import enrollment_event_record
from courseware.models import Course, Enrollment, EnrollmentEvent
from events.services import event_record
from learning.certificates.services import certificate_issue
from learning.outline import course_outline
from learning.progress.selectors import enrollment_progress_covers, progress_snapshot

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
    from django.db import connection

    lock = " FOR UPDATE OF e" if connection.features.has_select_for_update_of else ""
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
