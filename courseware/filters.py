import django_filters
from django import forms

from courseware.models import Course, Enrollment


class _StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (as the schema's boolean says); anything else is a 400, not "no filter"."""

    widget = forms.TextInput  # NullBooleanSelect would quietly read "null" or "yes" as "no filter"

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Must be true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


class CourseFilter(django_filters.FilterSet):
    is_published = StrictBooleanFilter()
    sequential = StrictBooleanFilter()
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
