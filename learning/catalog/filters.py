"""Filters of the catalog (``GET /api/courses/``)."""

import django_filters

from config.filters import StrictBooleanFilter
from courseware.models import Course


class CourseFilter(django_filters.FilterSet):
    is_published = StrictBooleanFilter()
    sequential = StrictBooleanFilter()
    instructor = django_filters.CharFilter(field_name="instructors__username", lookup_expr="iexact", distinct=True)
    max_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="lte")
    min_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="gte")

    class Meta:
        model = Course
        fields = ["is_published", "sequential", "instructor", "max_hours", "min_hours"]
