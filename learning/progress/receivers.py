"""The progress pipeline listens to course structure (``courseware.signals``): stored progress is data
derived from completions, attempts and the course's content, so it is recomputed when they change.
The activity and content receivers run inside the writing transaction and queue the task for
after its commit (the set-based drain, at most one queued at a time); a
rolled-back write queues nothing, and a message lost on the way is found by the reconcile sweep."""

from django.db import transaction

from courseware import signals
from learning.progress.services import course_progress_mark_stale, enrollment_progress_recompute
from learning.progress.tasks import progress_drain_request


def _on_learner_activity(sender, *, enrollment_id: int, activity_seq: int, **kwargs) -> None:
    # The bumped activity number already marks the enrollment stale: ask for the one drain, on commit.
    transaction.on_commit(progress_drain_request)


def _on_content_changed(sender, *, course_id: int, **kwargs) -> None:
    # Set-based: the course's enrollments are marked stale in the publishing transaction, and the one
    # drain recomputes them after commit (no task per enrollment).
    if course_progress_mark_stale(course_id=course_id):  # no learner enrolled yet: nothing to drain
        transaction.on_commit(progress_drain_request)


def _on_enrollment_restored(sender, *, enrollment_id: int, **kwargs) -> None:
    enrollment_progress_recompute(enrollment_id=enrollment_id)


def connect() -> None:
    signals.learner_activity_recorded.connect(_on_learner_activity, dispatch_uid="progress.learner_activity")
    signals.course_content_changed.connect(_on_content_changed, dispatch_uid="progress.content_changed")
    signals.enrollment_restored.connect(_on_enrollment_restored, dispatch_uid="progress.enrollment_restored")
