from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (capped, so no client can ask for the whole table). A ``page_size``
    that is not an integer is a 400, as the schema (an integer) says, not silently the default."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                int(raw)
            except ValueError:
                raise ValidationError({self.page_size_query_param: ["A valid integer is required."]})
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        # DRF reads ``?page=`` (empty) as page 1; it is not a number, so it answers like ``?page=abc``.
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message="Not a number."))
        return super().get_page_number(request, paginator)
