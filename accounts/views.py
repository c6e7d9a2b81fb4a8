from django.contrib.auth import logout, update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts.models import AuthToken, User
from accounts.selectors import user_is_admin, user_roles, user_tokens
from accounts.services import (
    instructor_grant,
    password_reset_confirm,
    password_reset_request,
    token_create,
    token_revoke,
    token_revoke_current,
    user_password_set,
    user_register,
    user_update_profile,
)
from accounts.signin import signin_check
from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_404, ERRORS_429
from config.throttling import ScopedRateThrottle, SignInAccountRateThrottle, SignInRateThrottle

_LOCKED = {
    429: OpenApiResponse(
        ERRORS_429[429].response,
        description="Too many sign-in attempts from this client (`THROTTLE_LOGIN`), or too many failed "
        "passwords for this account (`LOGIN_LOCKOUT_FAILURES`: locked for `LOGIN_LOCKOUT_MINUTES`); "
        "`Retry-After` says when to try again.",
    )
}


def _current_digest(request) -> str | None:
    """The digest of the token that authenticated this request (None: a session)."""
    return request.auth.digest if isinstance(request.auth, AuthToken) else None


class RegisterView(APIView):
    """Create a learner account."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(
        request=s.RegisterInputSerializer, responses={201: s.UserOutputSerializer, **ERRORS_400, **ERRORS_429}
    )
    def post(self, request):
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        return Response(s.UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """Exchange a username and password for a new API token for this client (send it as
    ``Authorization: Token <token>``). Each sign-in makes its own token; the key is shown only here."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInRateThrottle]

    @extend_schema(
        auth=[], request=s.TokenInputSerializer, responses={200: s.TokenOutputSerializer, **ERRORS_400, **_LOCKED}
    )
    def post(self, request):
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = signin_check(request, **data.validated_data)
        _token, key = token_create(user=user, client=request.headers.get("User-Agent", ""))
        return Response({"token": key})


class LogoutView(APIView):
    """Sign this client out: the token that makes the call stops working (a session ends too)."""

    @extend_schema(request=None, responses={204: None, **ERRORS_401})
    def post(self, request):
        digest = _current_digest(request)
        if digest is not None:
            token_revoke_current(user=request.user, digest=digest)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(APIView):
    """The caller's API tokens, one per signed-in client (keys are never shown again)."""

    @extend_schema(responses={200: s.TokenListOutputSerializer(many=True), **ERRORS_401})
    def get(self, request):
        current = _current_digest(request)
        rows = [
            {"id": t.pk, "client": t.client, "created_at": t.created_at, "expires_at": t.expires_at,
             "current": t.digest == current}
            for t in user_tokens(user=request.user)
        ]  # fmt: skip
        return Response(s.TokenListOutputSerializer(rows, many=True).data)


class TokenDetailView(APIView):
    @extend_schema(summary="Revoke one of the caller's tokens.", responses={204: None, **ERRORS_401, **ERRORS_404})
    def delete(self, request, token_id: int):
        token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """Change the caller's password. Every other token and session of the user stops working; the
    one making the call keeps working. A wrong ``old_password`` counts as a failed sign-in."""

    throttle_classes = [SignInRateThrottle]

    @extend_schema(
        request=s.PasswordChangeInputSerializer, responses={204: None, **ERRORS_400, **ERRORS_401, **_LOCKED}
    )
    def post(self, request):
        data = s.PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            signin_check(
                request,
                username=request.user.get_username(),
                password=data.validated_data["old_password"],
                sign_in=False,
            )
        except ValidationError:
            raise ValidationError({"old_password": ["The current password is not correct."]})
        user = user_password_set(
            user=request.user, password=data.validated_data["new_password"], keep_token_digest=_current_digest(request)
        )
        if _current_digest(request) is None:
            update_session_auth_hash(request._request, user)  # this session stays signed in
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    """Ask for a password reset link by email. The answer is the same whether or not an account has
    this address; the link works once, within ``PASSWORD_RESET_MINUTES``."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInRateThrottle, SignInAccountRateThrottle]

    @extend_schema(
        auth=[],
        request=s.PasswordResetInputSerializer,
        responses={202: OpenApiResponse(description="Accepted (whether or not the address is known)."),
                   **ERRORS_400, **_LOCKED},
    )  # fmt: skip
    def post(self, request):
        data = s.PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_request(email=data.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    """Set a new password with the ``uid`` and ``token`` of a reset link. Every token and session of
    the user stops working; the link cannot be used again."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInRateThrottle]

    @extend_schema(
        auth=[], request=s.PasswordResetConfirmInputSerializer, responses={204: None, **ERRORS_400, **_LOCKED}
    )
    def post(self, request):
        data = s.PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    def _out(self, user):
        return {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "roles": user_roles(user),
            "name": user.name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email_reminders": user.email_reminders,
        }

    @extend_schema(responses={200: s.MeOutputSerializer, **ERRORS_401})
    def get(self, request):
        return Response(self._out(request.user))

    @extend_schema(request=s.MeInputSerializer, responses={200: s.MeOutputSerializer, **ERRORS_400, **ERRORS_401})
    def patch(self, request):
        data = s.MeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_update_profile(user=request.user, **data.validated_data)
        return Response(self._out(user))


_GRANT_OUTPUT = inline_serializer(
    "InstructorGrantOutput",
    fields={
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "email": serializers.EmailField(),
        "roles": serializers.ListField(child=serializers.CharField()),
    },
)


class InstructorGrantView(APIView):
    """Admins grant the instructor role: the user may then create courses (and be named co-instructor)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Grant the instructor role (admins).",
        request=s.UsernameInputSerializer,
        responses={
            201: OpenApiResponse(_GRANT_OUTPUT, description="Granted."),
            200: OpenApiResponse(_GRANT_OUTPUT, description="Already an instructor (nothing changed)."),
            **ERRORS_400,
            **ERRORS_401,
            **ERRORS_403,
        },
    )
    def post(self, request):
        if not user_is_admin(request.user):
            raise PermissionDenied("Only admins may grant the instructor role.")
        data = s.UsernameInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = User.objects.filter(username__iexact=data.validated_data["username"].strip()).first()
        if user is None:
            raise ValidationError({"username": ["No user with this username."]})
        granted = instructor_grant(user=user)
        body = {"id": user.pk, "username": user.username, "email": user.email, "roles": user_roles(user)}
        return Response(body, status=status.HTTP_201_CREATED if granted else status.HTTP_200_OK)
