from drf_orjson_renderer.renderers import ORJSONRenderer


class JSONRenderer(ORJSONRenderer):
    """The feed's default answer (``?format=json`` or none)."""


class XAPIRenderer(ORJSONRenderer):
    """``?format=xapi``: the same JSON envelope, the results rendered as xAPI statements by the view."""

    format = "xapi"
