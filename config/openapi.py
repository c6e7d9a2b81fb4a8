"""Shared pieces of the OpenAPI description: the error bodies every endpoint may answer with, the
schema class that derives each operation's security and its 401/403/429 from the view itself, and the
postprocessing hooks. The schema is served as OpenAPI 3.1 (nullable references are ``oneOf`` with
``{"type": "null"}``, which strict validators and generated clients read as the server means it)."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication

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

# Per-field errors of ``ValidationErrors``: ``{"password": ["..."]}``; a nested serializer's or list's
# errors nest (``{"answers": [{"choices": ["..."]}]}``, ``{"learners": {"0": ["..."]}}``); an invalid
# course folder lists ``errors: [{file, field, message}]``.
FIELD_ERRORS_SCHEMA = {
    "description": "The field's errors: messages, or the errors of its items / nested fields.",
    "anyOf": [
        {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
        {"type": "object"},
    ],
}

ERRORS_400 = {400: OpenApiResponse(_validation, description='Invalid input: `{"field": ["message"]}` or `{"detail"}`.')}
ERRORS_401 = {401: OpenApiResponse(_detail, description="Not signed in.")}
ERRORS_403 = {403: OpenApiResponse(_detail, description="Signed in but not allowed (the reason is in `detail`).")}
ERRORS_404 = {404: OpenApiResponse(_detail, description="Not found (or not visible to the caller).")}

# Content reads answer the published version; a course's instructors and admins ask for its draft.
VERSION_PARAMETER = OpenApiParameter(
    "version",
    str,
    enum=["draft"],
    required=False,
    description="`draft`: the course's draft (what the next publish makes live), for its instructors and admins; "
    "others get 403. Without it: the published version.",
)
ERRORS_406 = {
    406: OpenApiResponse(_detail, description="The requested format (`Accept` or `?format=`) is not offered.")
}
ERRORS_409 = {409: OpenApiResponse(_detail, description="Conflicts with the current state (see `detail`).")}
ERRORS_413 = {413: OpenApiResponse(_detail, description="The upload is too large (see `detail`).")}
ERRORS_429 = {429: OpenApiResponse(_detail, description="Too many requests; retry later (see `Retry-After`).")}

_INVALID_CREDENTIALS = (
    "Not signed in, or the credentials sent are invalid (`Authorization: Token <key>` with an unknown or inactive key)."
)
_INVALID_CREDENTIALS_PUBLIC = (
    "The credentials sent are invalid (an unknown or inactive token): send a valid one, or none to read anonymously."
)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema class, with what every operation answers derived from its view rather than
    repeated on each: security from the view's authenticators and permissions (an operation anyone may call
    has no security requirement; the others list token and session authentication once each), a 401 wherever
    credentials are read (an invalid token is refused even where anonymous callers are welcome), a 403
    for a session-authenticated unsafe call without its CSRF token, a 429 wherever a throttle applies,
    and error bodies that are always JSON (views answering CSV or zip render their errors as JSON)."""

    def get_auth(self) -> list[dict]:
        unique: list[dict] = []
        for requirement in super().get_auth():
            if requirement not in unique:
                unique.append(requirement)
        return unique

    def _allows_anonymous(self) -> bool:
        perms = [p.__class__ for p in self.view.get_permissions()]
        if permissions.AllowAny in perms:
            return True
        return permissions.IsAuthenticatedOrReadOnly in perms and self.method in permissions.SAFE_METHODS

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if str(status_code) >= "400":
            media_types = ["application/json"]
        elif media_types is None and self.method not in permissions.SAFE_METHODS:
            media_types = ["application/json"]  # a write answers JSON whatever else the view renders
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        if self._allows_anonymous():
            # No security requirement: generators (openapi-python-client reads any non-empty ``security``,
            # even ``[{}]``, as "needs a token") then accept an anonymous client; a token sent is still used.
            operation.pop("security", None)
            if self.view.get_authenticators():
                note = "Anyone may call this; with `Authorization: Token <key>` the answer is the caller's."
                operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
        extra = {}
        if self.view.get_authenticators():
            description = _INVALID_CREDENTIALS_PUBLIC if self._allows_anonymous() else _INVALID_CREDENTIALS
            extra["401"] = OpenApiResponse(_detail, description=description)
            if self.method not in permissions.SAFE_METHODS and any(
                isinstance(a, SessionAuthentication) for a in self.view.get_authenticators()
            ):
                extra["403"] = OpenApiResponse(
                    _detail, description="A session-authenticated call without its CSRF token."
                )
        if self.view.get_throttles():
            extra["429"] = ERRORS_429[429]
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code)
        operation["responses"] = dict(sorted(responses.items()))
        return operation


def document_pagination_errors(result, generator, request, public):
    """Postprocessing hook: every paginated list also answers 400 (``page_size`` not a positive integer,
    an unknown ``ordering``) and 404 (``page`` past the end or not a number), as the pagination and
    filters do; say so in the schema."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            responses = operation["responses"]
            wanted = []
            if "page" in names:
                wanted += [
                    ("400", "ValidationErrors", "A filter, `ordering` or `page_size` is invalid."),
                    ("404", "ErrorDetail", "No such page."),
                ]
            if "ordering" in names:
                wanted.append(("400", "ValidationErrors", "A filter or `ordering` is invalid."))
            for code, component, description in wanted:
                schema = {"$ref": f"#/components/schemas/{component}"}
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": schema}}}
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


def type_validation_errors(result, generator, request, public):
    """Postprocessing hook: ``ValidationErrors`` types its per-field entries too (``additionalProperties``),
    so a generated client reads ``{"password": ["..."]}`` as a typed mapping."""
    component = result.get("components", {}).get("schemas", {}).get("ValidationErrors")
    if component is not None:
        component["additionalProperties"] = FIELD_ERRORS_SCHEMA
    return result


def collapse_any_or_null(result, generator, request, public):
    """A nullable field of any type comes out of drf-spectacular (3.1) as ``oneOf: [{}, {type: null}]``;
    ``null`` then matches both branches and ``oneOf`` rejects it, though the server sends it. Any
    value already includes null: such a ``oneOf`` becomes the plain any-schema (its description kept)."""

    def walk(node):
        if isinstance(node, dict):
            branches = node.get("oneOf")
            if isinstance(branches, list) and {} in branches and all(b in ({}, {"type": "null"}) for b in branches):
                del node["oneOf"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
