"""Writes for lessons: recording a learner's completion."""

from django.db import IntegrityError, transaction

from accounts.models import User
from config.tasks import enqueue_on_commit
from courseware.models import Enrollment
from courseware.services import touch_activity
from lessons.models import Lesson, LessonCompletion


@transaction.atomic
def lesson_completion_record(*, learner: User, lesson: Lesson, enrollment: Enrollment) -> tuple[LessonCompletion, bool]:
    """Mark ``lesson`` completed for ``learner`` (idempotent: a repeat changes nothing).

    The completion row is the source of truth and is committed first; the progress task runs
    after commit (and the reconcile task catches up if the broker is down)."""
    from courseware import tasks

    existing = LessonCompletion.objects.filter(learner=learner, lesson=lesson).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            completion = LessonCompletion.objects.create(learner=learner, lesson=lesson, course_id=lesson.course_id)
    except IntegrityError:  # a concurrent request recorded it first
        return LessonCompletion.objects.get(learner=learner, lesson=lesson), False
    touch_activity(learner_id=learner.pk, course_id=lesson.course_id)
    enqueue_on_commit(tasks.recompute_enrollment_progress, enrollment.pk)
    return completion, True
