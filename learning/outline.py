"""A course's outline (modules with their lessons and quizzes, in order): the published version's,
built once per publish and shared by every reader through the content cache; and the draft's, for
its authors."""

from django.db.models import Count, Q

from courseware.catalog_cache import local_get
from courseware.models import Course, Module
from courseware.versions.selectors import published_items
from lessons.models import Lesson
from quizzes.models import Quiz


# --- Outline --------------------------------------------------------------------------------------
def outline_cache_key(course: Course) -> str:
    # Every publish bumps content_version and names a new published_version: the key changes, so a
    # stale outline is never served, on any host.
    return f"outline:v2:{course.pk}:{course.published_version}:{course.content_version}"


def course_outline(*, course: Course) -> list[dict]:
    """The published version's modules with their lessons and quizzes, as plain data, ordered by
    position (empty for a course never published). Built from one query and cached until the next
    publish."""

    key = outline_cache_key(course)
    return local_get(key, lambda: _course_outline_shared(course=course, key=key))


def _course_outline_shared(*, course: Course, key: str) -> list[dict]:
    from django.core.cache import cache

    outline = cache.get(key)
    if outline is not None:
        return outline
    outline = outline_from_items(published_items(course=course))
    cache.set(key, outline, timeout=24 * 3600)
    return outline


def outline_from_items(items: list[dict]) -> list[dict]:
    """An outline from version items (``courseware.versions.selectors``)."""
    ordered = sorted(items, key=lambda i: i["position"])
    modules = {i["item_id"]: {**i["meta"], "lessons": [], "quizzes": []} for i in ordered if i["kind"] == "module"}
    for item in ordered:
        if item["kind"] != "module" and item["module_id"] in modules:
            modules[item["module_id"]]["lessons" if item["kind"] == "lesson" else "quizzes"].append(dict(item["meta"]))
    return list(modules.values())


def draft_outline(*, course: Course) -> list[dict]:
    """The draft's outline (what the next publish would make the outline), from the rows: for the
    course's instructors and admins, never cached."""
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
        .annotate(question_count=Count("questions", filter=Q(questions__removed_at__isnull=True)))
        .order_by("position")
        .values("id", "module_id", "slug", "title", "position", "pass_percent", "max_attempts", "question_count")
    ):
        modules[quiz.pop("module_id")]["quizzes"].append(quiz)
    return list(modules.values())
