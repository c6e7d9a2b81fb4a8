"""A course's outline (modules with their lessons and quizzes, in order), built once per content
version and shared by every reader through the content cache."""

from django.db.models import Count

from courseware.catalog_cache import local_get
from courseware.models import Course, Module
from lessons.models import Lesson
from quizzes.models import Quiz


# --- Outline --------------------------------------------------------------------------------------
def outline_cache_key(course: Course) -> str:
    # Every content write bumps content_version (structure) or updated_at (text): the key changes,
    # so a stale outline is never served, on any host.
    return f"outline:v1:{course.pk}:{course.content_version}:{course.updated_at.timestamp()}"


def course_outline(*, course: Course) -> list[dict]:
    """The course's modules with their lessons and quizzes, as plain data, ordered by position.
    Built from 3 queries and cached until the course's content changes."""

    key = outline_cache_key(course)
    return local_get(key, lambda: _course_outline_shared(course=course, key=key))


def _course_outline_shared(*, course: Course, key: str) -> list[dict]:
    from django.core.cache import cache

    outline = cache.get(key)
    if outline is not None:
        return outline
    modules = {
        m["id"]: {**m, "lessons": [], "quizzes": []}
        for m in Module.objects.filter(course=course)
        .order_by("position")
        .values("id", "slug", "title", "summary", "position")
    }
    for lesson in (
        Lesson.objects.filter(course=course)
        .order_by("position")
        .values("id", "module_id", "slug", "title", "position", "estimated_minutes")
    ):
        modules[lesson.pop("module_id")]["lessons"].append(lesson)
    for quiz in (
        Quiz.objects.filter(course=course)
        .annotate(question_count=Count("questions"))
        .order_by("position")
        .values("id", "module_id", "slug", "title", "position", "pass_percent", "max_attempts", "question_count")
    ):
        modules[quiz.pop("module_id")]["quizzes"].append(quiz)
    outline = list(modules.values())
    cache.set(key, outline, timeout=24 * 3600)
    return outline
