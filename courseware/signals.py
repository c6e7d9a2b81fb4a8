"""The two hooks by which course structure tells the layers above that what they derive from it is
stale. ``courseware`` sends them; the progress pipeline (``learning.progress.receivers``) listens and
queues its recompute on commit. Nothing here knows who listens: the layers only point down.

- ``course_content_changed(course_id)``: lessons or quizzes of a course were added, removed or moved
  (sent inside the writing transaction, after the content version was bumped).
- ``learner_activity_recorded(enrollment_id, activity_seq)``: a lesson completion or quiz submission
  was numbered on the enrollment (sent inside the writing transaction).
- ``enrollment_restored(enrollment_id)``: a dropped enrollment is active again; its listener brings
  the stored progress up to date at once, inside the transaction, so the answer shows it.
"""

from django.dispatch import Signal

course_content_changed = Signal()
learner_activity_recorded = Signal()
enrollment_restored = Signal()
