from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` and ``?page_size=`` (capped, so no client can ask for the whole table)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
