"""Filters of the catalog (``GET /api/courses/``)."""

import re

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import F

from config.filters import StrictBooleanFilter
from config.search import BoundedSearchFilter
from courseware.models import SEARCH_CONFIG, Course


class CourseFilter(django_filters.FilterSet):
    is_published = StrictBooleanFilter()
    sequential = StrictBooleanFilter()
    instructor = django_filters.CharFilter(field_name="instructors__username", lookup_expr="iexact", distinct=True)
    max_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="lte")
    min_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="gte")

    class Meta:
        model = Course
        fields = ["is_published", "sequential", "instructor", "max_hours", "min_hours"]


class CatalogSearchFilter(BoundedSearchFilter):
    """``?search=`` of the catalog. On PostgreSQL: full-text search of the course's stored search
    document (title, summary and description, stemmed, ``courseware.models.CourseSearchDocument``)
    through its GIN index. Every term must match, as a word or the start of one ("pric" finds
    "pricing"); stop words ("a", "the") match nothing. The rows come ranked by relevance (a title
    match above a summary match above a description match), unless ``?ordering`` says otherwise
    (``config.filters.OrderingFilter``). Elsewhere (SQLite): every term must appear, in any case,
    in the title, summary or description (``LIKE``)."""

    def filter_queryset(self, request, queryset, view):
        if connections[queryset.db].vendor != "postgresql":
            return super().filter_queryset(request, queryset, view)
        terms = self.get_search_terms(request)  # bounded: a 400 beyond the limits
        words = [word for term in terms for word in _WORD.findall(term)]
        if not terms:
            return queryset
        if not words:
            return queryset.none()
        query = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config=SEARCH_CONFIG)
        return queryset.filter(search_document=query).annotate(search_rank=SearchRank(F("search_document"), query))


_WORD = re.compile(r"[^\W_]+")  # letters and digits: nothing tsquery could read as syntax
