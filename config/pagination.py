from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (capped, so no client can ask for the whole table). A ``page_size``
    that is not an integer is a 400, as the schema (an integer) says, not silently the default; so is an
    empty ``?page=`` (DRF would read it as page 1)."""

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
        if request.query_params.get(self.page_query_param) == "":
            raise ValidationError({self.page_query_param: ["A valid integer is required."]})
        return super().get_page_number(request, paginator)
