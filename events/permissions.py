from rest_framework.permissions import BasePermission

from events.selectors import user_may_integrate


class MayIntegrate(BasePermission):
    """The event feed and webhooks: admins and instructors; learners are refused (403)."""

    message = "Only admins and instructors may read events or subscribe to webhooks."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and user_may_integrate(request.user))
