from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (capped, so no client can ask for the whole table). A ``page_size``
    that is not a positive integer is a 400, as the schema (an integer, at least 1) says, not silently the
    default; one above ``max_page_size`` is capped (the schema says so too)."""

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
