"""Reads for lessons."""

from accounts.models import User
from lessons.models import Lesson


def lesson_get(*, lesson_id: int) -> Lesson | None:
    return Lesson.objects.select_related("module", "course").filter(pk=lesson_id).first()


def lesson_is_completed(*, lesson: Lesson, user: User) -> bool:
    return lesson.completions.filter(learner=user).exists()
