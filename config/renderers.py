"""Renderers for the API's non-JSON answers (CSV), a mixin that keeps such views' errors JSON, and the
content negotiation every view uses."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class ErrorsAsJSON:
    """Errors answer JSON even when the client asked for a file type (zip, CSV)."""

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class FileContentNegotiation(DefaultContentNegotiation):
    """For views that answer only files: a ``?format=`` or ``Accept`` they do not offer is a 406 naming the
    formats they do (DRF's default answers an unknown ``?format=`` with a 404, and a view that ignores the
    negotiation sends its file whatever was asked)."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise NotAcceptable(f"Format {format!r} is not offered here; one of: {offered}.")
        return matching


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answered without parsing when there is nothing to choose: no ``?format=``
    and an ``Accept`` that is absent, ``*/*`` or exactly the first renderer's media type (what API
    clients send) choose the first renderer with its media type, as DRF's loop does for those
    headers. Any other header or a format goes through DRF's negotiation unchanged. The header is
    read from ``request.META`` (the same value DRF reads through ``request.headers``, which Django
    would build from every header for it)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if renderers and not format_suffix and not request.query_params.get(self.settings.URL_FORMAT_OVERRIDE):
            first = renderers[0]
            if request.META.get("HTTP_ACCEPT", "*/*") in ("*/*", first.media_type):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
