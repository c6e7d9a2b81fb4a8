"""``?search=`` with bounded input: at most ``SEARCH_MAX_TERMS`` terms and ``SEARCH_MAX_CHARS``
characters (400 naming the limit beyond). Each term is one more ``LIKE`` per searched field; an
unbounded search built a statement SQLite refused ("Expression tree is too large": a 500)."""

from django.conf import settings
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class BoundedSearchFilter(filters.SearchFilter):
    search_description = (
        f"Words to look for (all must match). At most {settings.SEARCH_MAX_TERMS} terms and "
        f"{settings.SEARCH_MAX_CHARS} characters."
    )

    def get_search_terms(self, request):
        raw = request.query_params.get(self.search_param, "")
        if len(raw) > settings.SEARCH_MAX_CHARS:
            raise ValidationError({self.search_param: [f"At most {settings.SEARCH_MAX_CHARS} characters."]})
        if "\x00" in raw:
            raise ValidationError({self.search_param: ["Must not contain NUL characters."]})
        terms = super().get_search_terms(request)
        if len(terms) > settings.SEARCH_MAX_TERMS:
            raise ValidationError({self.search_param: [f"At most {settings.SEARCH_MAX_TERMS} terms."]})
        return terms
