"""Filter fields shared by the API's filter sets (framework glue; no domain rule)."""

import django_filters
from django import forms


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
