"""Reads for lessons."""

from dataclasses import dataclass

from accounts.models import User
from lessons.models import Lesson


def lesson_get(*, lesson_id: int) -> Lesson | None:
    return Lesson.objects.select_related("module", "course").filter(pk=lesson_id).first()


@dataclass(frozen=True)
class LessonNeighbours:
    previous: Lesson | None
    next: Lesson | None


def lesson_neighbours(*, lesson: Lesson) -> LessonNeighbours:
    """Previous and next lessons in course order (module position, then lesson position), 2 queries."""
    base = Lesson.objects.filter(course_id=lesson.course_id).only("id", "slug", "title", "module_id", "position")
    mpos, pos = lesson.module.position, lesson.position
    from django.db.models import Q

    before = Q(module__position__lt=mpos) | Q(module__position=mpos, position__lt=pos)
    after = Q(module__position__gt=mpos) | Q(module__position=mpos, position__gt=pos)
    previous = base.filter(before).order_by("-module__position", "-position").first()
    following = base.filter(after).order_by("module__position", "position").first()
    return LessonNeighbours(previous=previous, next=following)


def lesson_is_completed(*, lesson: Lesson, user: User) -> bool:
    return lesson.completions.filter(learner=user).exists()
