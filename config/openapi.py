"""Shared pieces of the OpenAPI description: the error bodies every endpoint may answer with."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

_detail = inline_serializer(
    "ErrorDetail",
    fields={"detail": serializers.CharField(), "code": serializers.CharField(required=False)},
)
_validation = inline_serializer(
    "ValidationErrors",
    fields={
        "detail": serializers.CharField(required=False),
        "code": serializers.CharField(required=False),
    },
)

ERRORS_400 = {400: OpenApiResponse(_validation, description='Invalid input: `{"field": ["message"]}` or `{"detail"}`.')}
ERRORS_401 = {401: OpenApiResponse(_detail, description="Not signed in.")}
ERRORS_403 = {403: OpenApiResponse(_detail, description="Signed in but not allowed (the reason is in `detail`).")}
ERRORS_404 = {404: OpenApiResponse(_detail, description="Not found (or not visible to the caller).")}
ERRORS_409 = {409: OpenApiResponse(_detail, description="Conflicts with the current state (see `detail`).")}
ERRORS_429 = {429: OpenApiResponse(_detail, description="Too many requests; retry later (see `Retry-After`).")}


def document_pagination_errors(result, generator, request, public):
    """Postprocessing hook: every paginated list also answers 400 (``page_size`` not an integer) and
    404 (``page`` past the end or not a number), as DRF's pagination does; say so in the schema."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            if "page" not in names:
                continue
            responses = operation["responses"]
            for code, component, description in (
                ("400", "ValidationErrors", "A filter or `page_size` is invalid."),
                ("404", "ErrorDetail", "No such page."),
            ):
                schema = {"$ref": f"#/components/schemas/{component}"}
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": schema}}}
                )
    return result
