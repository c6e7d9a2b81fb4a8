"""A lesson's page as every reader sees it (body, module, previous and next lessons in course order),
built from the course's outline and kept in memory while the content version holds."""

from copy import copy
from dataclasses import dataclass

from courseware.catalog_cache import local_get
from courseware.models import Course
from courseware.versions.selectors import blob_payload, published_item
from learning.outline import course_outline, draft_outline
from lessons.models import Lesson
from lessons.selectors import lesson_get
from lessons.versioning import lesson_published


@dataclass(frozen=True)
class LessonPage:
    """What every reader of a lesson sees alike; the caller adds their own completion."""

    lesson_id: int
    course: Course
    module_id: int
    body: dict  # the response fields that do not depend on the reader

    def course_copy(self) -> Course:
        return copy(self.course)

    def lesson_ref(self) -> Lesson:
        """The lesson as a reference (its keys only) for writes that need no more, such as
        recording a completion."""
        lesson = Lesson(id=self.lesson_id, course_id=self.course.pk, module_id=self.module_id)
        lesson._state.adding = False
        return lesson


def lesson_page(*, lesson_id: int) -> LessonPage | None:
    """The lesson's shared page as its course's published version has it (None when no published
    version holds it), kept in this process's memory while the content version holds (no query
    when warm; see ``courseware.catalog_cache``)."""

    return local_get(f"lesson-page:{lesson_id}", lambda: _lesson_page_build(lesson_id=lesson_id))


def _lesson_page_build(*, lesson_id: int) -> LessonPage | None:
    item = published_item(kind="lesson", item_id=lesson_id)
    if item is None:
        return None
    course = Course.objects.filter(pk=item["course_id"]).first()
    if course is None:
        return None
    outline = course_outline(course=course)
    module = next((m for m in outline if m["id"] == item["module_id"]), None)
    lesson = lesson_published(item=item, payload=blob_payload(digest=item["digest"]), course=course, module=module)
    return _page(lesson=lesson, outline=outline)


def lesson_page_draft(*, lesson_id: int) -> LessonPage | None:
    """The lesson as the draft has it (for its course's instructors and admins; not cached)."""
    lesson = lesson_get(lesson_id=lesson_id)
    if lesson is None:
        return None
    return _page(lesson=lesson, outline=draft_outline(course=lesson.course))


def _page(*, lesson: Lesson, outline: list[dict]) -> LessonPage:
    neighbours = lesson_neighbours(lesson=lesson, outline=outline)
    body = {
        "id": lesson.pk,
        "slug": lesson.slug,
        "title": lesson.title,
        "course": lesson.course.slug,
        "module": {"id": lesson.module_id, "title": lesson.module.title, "position": lesson.module.position},
        "position": lesson.position,
        "estimated_minutes": lesson.estimated_minutes,
        "body_html": lesson.body_html,
        "previous": neighbours.previous,
        "next": neighbours.next,
    }
    return LessonPage(lesson_id=lesson.pk, course=lesson.course, module_id=lesson.module_id, body=body)


@dataclass(frozen=True)
class LessonNeighbours:
    previous: dict | None  # {"id", "slug", "title"}
    next: dict | None


def lesson_neighbours(*, lesson: Lesson, outline: list[dict]) -> LessonNeighbours:
    """Previous and next lessons in course order (module position, then lesson position), read from
    the course's outline."""

    ordered = [item for module in outline for item in module["lessons"]]
    index = next((i for i, item in enumerate(ordered) if item["id"] == lesson.pk), None)
    if index is None:  # the outline is being rebuilt under a concurrent change
        return LessonNeighbours(previous=None, next=None)

    def link(i: int) -> dict | None:
        if 0 <= i < len(ordered):
            return {"id": ordered[i]["id"], "slug": ordered[i]["slug"], "title": ordered[i]["title"]}
        return None

    return LessonNeighbours(previous=link(index - 1), next=link(index + 1))
