"""Filters of the catalog (``GET /api/courses/``)."""

import re

import django_filters
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import Exists, F, OuterRef

from config.filters import StrictBooleanFilter
from config.search import BoundedSearchFilter
from courseware.models import SEARCH_CONFIG, Course


class CourseFilter(django_filters.FilterSet):
    is_published = StrictBooleanFilter()
    sequential = StrictBooleanFilter()
    instructor = django_filters.CharFilter(
        method="filter_instructor", help_text="Courses this user (by username, any case) teaches."
    )
    max_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="lte")
    min_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="gte")

    class Meta:
        model = Course
        fields = ["is_published", "sequential", "instructor", "max_hours", "min_hours"]

    def filter_instructor(self, queryset, name, value):
        # EXISTS, not a join: a course appears once without DISTINCT (co-taught by two usernames that
        # differ only in case), so its page and total stay one statement (config.pagination).
        teaches = Course.instructors.through.objects.filter(course_id=OuterRef("pk"), user__username__iexact=value)
        return queryset.filter(Exists(teaches))


class CatalogSearchFilter(BoundedSearchFilter):
    """``?search=`` of the catalog. On PostgreSQL: full-text search of the course's stored search
    document (title, summary and description, stemmed, ``courseware.models.CourseSearchDocument``)
    through its GIN index. Every term must match, as a word or the start of one ("pric" finds
    "pricing"); stop words ("a", "the") are left out of a search that has other words. A search made
    only of stop words would be an empty text query that matches nothing, so it takes the ``LIKE``
    path instead and finds what SQLite finds ("the" in "Theory"). The rows come ranked by relevance
    (a title match above a summary match above a description match), unless ``?ordering`` says
    otherwise (``config.filters.OrderingFilter``). Elsewhere (SQLite): every term must appear, in
    any case, in the title, summary or description (``LIKE``)."""

    search_description = (
        "Words to look for in the title, summary and description (all must match). On PostgreSQL a word "
        "also finds its other forms and the words it starts, and the most relevant courses come first "
        f"unless `ordering` is given. At most {settings.SEARCH_MAX_TERMS} terms and "
        f"{settings.SEARCH_MAX_CHARS} characters."
    )

    def filter_queryset(self, request, queryset, view):
        if connections[queryset.db].vendor != "postgresql":
            return super().filter_queryset(request, queryset, view)
        terms = self.get_search_terms(request)  # bounded: a 400 beyond the limits
        if not terms:
            return queryset
        words = [word for term in terms for word in _WORD.findall(term)]
        if not words:
            return queryset.none()
        if all(word.lower() in _STOP_WORDS for word in words):
            return super().filter_queryset(request, queryset, view)
        query = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config=SEARCH_CONFIG)
        return queryset.filter(search_document=query).annotate(search_rank=SearchRank(F("search_document"), query))


_WORD = re.compile(r"[^\W_]+")  # letters and digits: nothing tsquery could read as syntax
# The stop words of PostgreSQL's "english" configuration (SEARCH_CONFIG; its english.stop file),
# which a text query drops: a search of only these takes the LIKE path.
_STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
    hers herself it its itself they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had having do does did doing a an the and but if or
    because as until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where
    why how all any both each few more most other some such no nor not only own same so than too very s
    t can will just don should now
    """.split()  # noqa: SIM905 (the file's words, as it lists them)
)
