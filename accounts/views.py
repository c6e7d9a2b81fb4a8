from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts.models import User
from accounts.selectors import user_is_admin, user_roles
from accounts.services import instructor_grant, user_register, user_update_profile
from config.openapi import ERRORS_400, ERRORS_401, ERRORS_403, ERRORS_429
from config.throttling import ScopedRateThrottle


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
    """Exchange a username and password for an API token (send it as ``Authorization: Token <token>``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=s.TokenInputSerializer, responses={200: s.TokenOutputSerializer, **ERRORS_400, **ERRORS_429})
    def post(self, request):
        data = s.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            # One message for an unknown user and a wrong password: no account enumeration.
            raise ValidationError({"non_field_errors": ["Unable to log in with the provided credentials."]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    def _out(self, user):
        return {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "roles": user_roles(user),
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
