"""Signing in, wherever it happens: the token endpoint, the API session form, the admin form.

Two limits hold on every way in:
- per client address, ``THROTTLE_LOGIN`` (``config.throttling.SignInRateThrottle``): DRF views
  name it in ``throttle_classes``; the two Django form views are counted by ``SignInRateMiddleware``;
- per account, django-axes: ``LOGIN_LOCKOUT_FAILURES`` failed passwords from any address lock the
  account's sign-ins for ``LOGIN_LOCKOUT_MINUTES`` after the last counted failure (a cool-off:
  failures during a lockout are refused uncounted, so nobody can keep an owner out for good).
Both answer 429 with ``Retry-After``: JSON under ``/api/``, a page saying so on the admin.

Failed and successful sign-ins are recorded by django-axes (admin: "Axes").
"""

import math

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import Throttled, ValidationError

from accounts.models import User
from config.throttling import sign_in_wait

LOCKED_OUT = "Too many failed sign-ins for this account."
TOO_MANY = "Too many sign-in attempts from this address."


def lockout_seconds(username: str | None) -> int:
    """Seconds until ``username``'s lockout ends (its last counted failure plus the cool-off)."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(username=username).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return 1
    remaining = (last + settings.AXES_COOLOFF_TIME - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def signin_check(request, *, username: str, password: str, sign_in: bool = True) -> User:
    """The user these credentials name, counted by django-axes; refused with one message for an
    unknown user and a wrong password (no account enumeration), or 429 while the account is locked.
    ``sign_in``: a token sign-in, recorded as a login (``last_login``, axes' access log) as the form
    logins are by ``django.contrib.auth.login``."""
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        wait = lockout_seconds(username)
        raise Throttled(wait=wait, detail=f"{LOCKED_OUT} Try again in {_minutes(wait)} minute(s).")
    if user is None:
        raise ValidationError({"non_field_errors": ["Unable to log in with the provided credentials."]})
    if sign_in:
        user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user


def _too_many(request: HttpRequest, *, message: str, wait: float) -> HttpResponse:
    seconds = max(1, math.ceil(wait))
    text = f"{message} Try again in {_minutes(seconds)} minute(s)."
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": text, "code": "throttled"}, status=429)
    else:
        context = {"title": "Too many sign-ins", "message": text, "site_header": "Courses administration"}
        response = render(request, "accounts/sign_in_refused.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer when an account is locked (``AXES_LOCKOUT_CALLABLE``)."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return _too_many(request, message=LOCKED_OUT, wait=lockout_seconds(username))


class SignInRateMiddleware:
    """Counts each POST to the admin and API session login forms on the client's sign-in allowance
    (the token endpoint and password reset count through their DRF throttles)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: frozenset[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            if self._paths is None:
                self._paths = frozenset((reverse("admin:login"), reverse("rest_framework:login")))
            if request.path in self._paths:
                wait = sign_in_wait(request)
                if wait is not None:
                    return _too_many(request, message=TOO_MANY, wait=wait)
        return self.get_response(request)
