"""The public course page: the course and its outline as every anonymous reader sees it, shared by
processes through the content cache and kept as ready-made bytes."""

from functools import cache

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import connections
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject

from accounts.models import display_name_of
from courseware.catalog_cache import local_get
from courseware.models import Course
from learning.outline import course_outline, draft_outline, outline_cache_key
from learning.progress.selectors import outline_with_learner_state


def catalog_rows(queryset: QuerySet[Course]) -> QuerySet[Course]:
    """Courses as catalog entries: the counts are on the row and the search document is not read. On
    PostgreSQL the instructors' names come in the same statement (``instructor_people``: one JSON
    array per course, by user id), so a catalog page and its total are one statement
    (``config.pagination``); elsewhere they are one more query (a prefetch). ``instructor_names`` reads
    either."""
    queryset = queryset.defer("search_document")
    if connections[queryset.db].vendor != "postgresql":
        return queryset.prefetch_related("instructors")
    return queryset.annotate(instructor_people=Subquery(_instructor_people()))


@cache
def _instructor_people() -> QuerySet:
    """A course's instructors as one JSON array, for ``catalog_rows``. Built once per process (about
    0.3 ms of the ORM's work a page): ``Subquery`` clones it, so nothing changes it."""
    return (
        Course.instructors.through.objects.filter(course_id=OuterRef("pk"))
        .order_by()
        .values("course_id")
        .annotate(
            people=JSONBAgg(
                JSONObject(
                    name="user__name",
                    first_name="user__first_name",
                    last_name="user__last_name",
                    username="user__username",
                ),
                order_by="user_id",
            )
        )
        .values("people")
    )


def course_detail_public(*, course: Course) -> dict:
    """The course page as anyone sees it (no learner state), cached with the outline: every field of
    the catalog entry, the description and the modules. The caller overlays a learner's state."""

    key = _detail_key(course)
    return local_get(key, lambda: _course_detail_shared(course=course, key=key))


def _detail_key(course: Course) -> str:
    # The course's own fields (title, summary, ...) are not versioned: they change the page at once.
    return f"detail:{outline_cache_key(course)}:{course.updated_at.timestamp()}"


def course_detail_public_bytes(*, course: Course) -> bytes:
    """``course_detail_public`` rendered to JSON once per process and content version."""
    from drf_orjson_renderer.renderers import ORJSONRenderer

    key = "json-" + _detail_key(course)
    return local_get(key, lambda: ORJSONRenderer().render(course_detail_public(course=course)))


def _course_detail_shared(*, course: Course, key: str) -> dict:
    from django.core.cache import cache

    data = cache.get(key)
    if data is not None:
        return data
    data = _course_detail(course=course, outline=course_outline(course=course))
    cache.set(key, data, timeout=24 * 3600)
    return data


def course_detail_draft(*, course: Course) -> dict:
    """The course page with the draft's outline (what the next publish makes the outline), for the
    course's instructors and admins (``?version=draft``); never cached."""
    return _course_detail(course=course, outline=draft_outline(course=course))


def _course_detail(*, course: Course, outline: list[dict]) -> dict:
    return {
        **catalog_entry(course),
        "description": course.description,
        "modules": outline_with_learner_state(course=course, outline=outline, snapshot=None),
        "enrollment": None,
    }


def catalog_entry(course: Course) -> dict:
    """A course as the catalog lists it: what ``CourseListOutputSerializer`` renders, written out, and
    the start of the course page. DRF's pass builds the serializer's fields, then calls a field per
    value: 2.7 ms of CPU for a page of 20, the largest part of a page no cache holds (a new search
    term). Datetimes stay datetimes: the JSON renderer writes them as DRF's fields do (RFC 3339, UTC,
    "Z"). ``tests/learning/catalog/test_catalog_entry.py`` checks that both render to the same
    bytes, key for key; a field added to the serializer must be added here."""
    return {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "is_published": course.is_published,
        "published_at": course.published_at,
        "estimated_hours": float(course.estimated_hours),
        "sequential": course.sequential,
        "capacity": course.capacity,
        "enrollment_opens_at": course.enrollment_opens_at,
        "enrollment_closes_at": course.enrollment_closes_at,
        "instructors": instructor_names(course),
        "module_count": course.module_count,
        "lesson_count": course.lesson_count,
        "quiz_count": course.quiz_count,
        "created_at": course.created_at,
        "updated_at": course.updated_at,
    }


def instructor_names(course: Course) -> list[str]:
    """Names by user id: read with the row (``catalog_rows``) or through the course's instructors
    (prefetched or not)."""
    if "instructor_people" in course.__dict__:
        return [display_name_of(**person) for person in course.instructor_people or ()]
    return [user.display_name for user in sorted(course.instructors.all(), key=lambda user: user.pk)]
