from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

_TOTAL = "pagination_total"


class OneQueryPaginator(Paginator):
    """Django's paginator, reading a page and the total in one statement: the page's rows carry
    ``COUNT(*) OVER ()``, the number of rows the query matches before its LIMIT. Django's asks for
    ``COUNT(*)`` first and then the page: a second round trip, and the whole query (filters, search,
    ranking) compiled and run twice. A page past the end has no rows to carry the total; it is
    refused as Django refuses it (``EmptyPage``), and an empty first page means no rows at all.

    Querysets where the window would count something else, or that it cannot annotate, take Django's
    way: ``DISTINCT`` (the window counts rows before duplicates go), ``GROUP BY`` and set operations,
    ``values()`` rows, sliced querysets and plain lists; so does ``?page=last`` (the number of pages
    is needed before the page)."""

    def page(self, number):
        if "count" in self.__dict__ or not _windowable(self.object_list, self.orphans):
            return super().page(number)
        number = self._validate_number(number, float("inf"))  # an integer, at least 1
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list.annotate(**{_TOTAL: Window(Count("*"))})[bottom : bottom + self.per_page])
        if rows:
            total = getattr(rows[0], _TOTAL)
        elif number == 1 and self.allow_empty_first_page:
            total = 0
        else:
            raise EmptyPage(self.error_messages["no_results"])
        self.__dict__["count"] = total  # the cached_property, read by num_pages and the page links
        return self._get_page(rows, number, self)


def _windowable(object_list, orphans: int) -> bool:
    if not isinstance(object_list, QuerySet) or orphans:
        return False
    query = object_list.query
    return (
        object_list._iterable_class is ModelIterable
        and not query.distinct
        and query.group_by is None
        and not query.combinator
        and not query.is_sliced
    )


class PageNumberPagination(pagination.PageNumberPagination):
    """A page and its total in one query (``OneQueryPaginator``). ``?page=`` and ``?page_size=`` (capped,
    so no client can ask for the whole table). A ``page_size`` that is not a positive integer is a 400,
    as the schema (an integer, at least 1) says, not silently the default; one above ``max_page_size``
    is capped (the schema says so too)."""

    django_paginator_class = OneQueryPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                value = int(raw)
            except ValueError:
                raise ValidationError({self.page_size_query_param: ["A valid integer is required."]})
            if value < 1:
                raise ValidationError({self.page_size_query_param: ["Must be at least 1."]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page (default {self.page_size}; above {self.max_page_size} is capped to it)."
                )
        return parameters

    def get_paginated_response_schema(self, schema):
        """DRF's, with ``next``/``previous`` typed as OpenAPI 3.1 says null (``nullable`` is 3.0 only)."""
        result = super().get_paginated_response_schema(schema)
        for name in ("next", "previous"):
            field = result["properties"][name]
            field.pop("nullable", None)
            field["type"] = ["string", "null"]
        return result

    def get_page_number(self, request, paginator):
        # DRF reads ``?page=`` (empty) as page 1; it is not a number, so it answers like ``?page=abc``.
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message="Not a number."))
        return super().get_page_number(request, paginator)
