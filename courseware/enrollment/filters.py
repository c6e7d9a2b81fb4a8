"""Filters of the roster (``GET /api/courses/{slug}/enrollments/``)."""

import django_filters

from courseware.models import Enrollment


class EnrollmentFilter(django_filters.FilterSet):
    course = django_filters.CharFilter(field_name="course__slug")

    class Meta:
        model = Enrollment
        fields = ["status", "course"]
