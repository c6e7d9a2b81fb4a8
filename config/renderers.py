"""Renderers for the API's non-JSON answers (CSV), and a mixin that keeps such views' errors JSON."""

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
