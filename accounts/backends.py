"""django-axes' lockout check, for sign-ins that come with a request.

Every HTTP sign-in (token, API session, admin, password change) passes its request to
``authenticate`` and is checked. A call without one is no HTTP sign-in (a management command, the
test client's ``login``): axes' own backend would refuse it outright; this one lets the password
backend answer it, unchecked and uncounted."""

from axes.backends import AxesStandaloneBackend


class SignInLockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
