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
