import django_filters

from courseware.models import Course, Enrollment


class CourseFilter(django_filters.FilterSet):
    instructor = django_filters.CharFilter(field_name="instructors__username", lookup_expr="iexact", distinct=True)
    max_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="lte")
    min_hours = django_filters.NumberFilter(field_name="estimated_hours", lookup_expr="gte")

    class Meta:
        model = Course
        fields = ["is_published", "sequential", "instructor", "max_hours", "min_hours"]


class EnrollmentFilter(django_filters.FilterSet):
    course = django_filters.CharFilter(field_name="course__slug")

    class Meta:
        model = Enrollment
        fields = ["status", "course"]
