"""Filter fields shared by the API's filter sets (framework glue; no domain rule)."""

import re

import django_filters
from django import forms
from django_filters import rest_framework as filters_drf
from rest_framework import filters
from rest_framework.exceptions import ValidationError


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


class DjangoFilterBackend(filters_drf.DjangoFilterBackend):
    """django-filter's backend, which builds and validates its filter set's form on every request, also
    when the query string names none of its filters (a catalog page, a search): about 0.5 ms of CPU
    for nothing to filter. Then the queryset is returned as it is, which is what the filter set does
    with only empty values (every filter skips an empty value, and ours do nothing else). A parameter
    named after a filter, or after one with a suffix (``_min``, ``_after``: the range widgets' names),
    takes django-filter's way, so a bad value is the same 400."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            param == name or param.startswith(f"{name}_")
            for param in request.query_params
            for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class OrderingFilter(filters.OrderingFilter):
    """``?ordering=`` with one or more of the view's ``ordering_fields`` (comma-separated, ``-`` before a
    field for descending). An unknown field is a 400 naming the allowed ones, not silently the default
    order; the schema states the allowed values as a pattern. Without one, rows a search ranked
    (annotated ``search_rank``) come most relevant first, then in the view's default order."""

    def _allowed(self, view) -> list[str]:
        fields = getattr(view, "ordering_fields", None)
        if fields in (None, "__all__"):
            return []
        return [field if isinstance(field, str) else field[0] for field in fields]

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        allowed = self._allowed(view)
        if raw and allowed:
            terms = raw.split(",")
            unknown = [term for term in terms if term.lstrip("-") not in allowed]
            if unknown:
                raise ValidationError(
                    {self.ordering_param: [f"Unknown ordering {', '.join(unknown)}; one of: {', '.join(allowed)}."]}
                )
            return terms
        default = self.get_default_ordering(view)
        if "search_rank" in queryset.query.annotations:
            return ["-search_rank", *(default or [])]
        return default

    def get_schema_operation_parameters(self, view):
        allowed = self._allowed(view)
        if not allowed:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": ordering_description(allowed),
                "schema": ordering_schema(allowed),
            }
        ]


def ordering_schema(fields: list[str]) -> dict:
    """``?ordering=``'s values as a pattern: the fields, comma-separated, each optionally after ``-``
    (empty means the default order)."""
    alternatives = "|".join(re.escape(field) for field in fields)
    return {"type": "string", "pattern": f"^(-?({alternatives})(,-?({alternatives}))*)?$"}  # empty: the default


def ordering_description(fields: list[str]) -> str:
    return f"Sort by {', '.join(fields)} (comma-separated; `-` before a field for descending)."
