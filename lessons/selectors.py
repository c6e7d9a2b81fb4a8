"""Reads for lessons."""

from dataclasses import dataclass

from accounts.models import User
from lessons.models import Lesson


def lesson_get(*, lesson_id: int) -> Lesson | None:
    return Lesson.objects.select_related("module", "course").filter(pk=lesson_id).first()


@dataclass(frozen=True)
class LessonNeighbours:
    previous: dict | None  # {"id", "slug", "title"}
    next: dict | None


def lesson_neighbours(*, lesson: Lesson) -> LessonNeighbours:
    """Previous and next lessons in course order (module position, then lesson position), read from
    the course's cached outline: no query when it is warm."""
    from courseware.selectors import course_outline

    ordered = [item for module in course_outline(course=lesson.course) for item in module["lessons"]]
    index = next((i for i, item in enumerate(ordered) if item["id"] == lesson.pk), None)
    if index is None:  # the outline is being rebuilt under a concurrent change
        return LessonNeighbours(previous=None, next=None)

    def link(i: int) -> dict | None:
        if 0 <= i < len(ordered):
            return {"id": ordered[i]["id"], "slug": ordered[i]["slug"], "title": ordered[i]["title"]}
        return None

    return LessonNeighbours(previous=link(index - 1), next=link(index + 1))


def lesson_is_completed(*, lesson: Lesson, user: User) -> bool:
    return lesson.completions.filter(learner=user).exists()
