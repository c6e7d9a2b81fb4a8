"""Reads about users and their roles.

Every registered user is a learner; members of the "instructors" group (and admins) may create
courses and teach the courses that name them. Admins are superusers (staff with every permission);
instructors are staff too, so they can work in the admin site, where they see only their courses.
"""

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import AuthToken, User


def user_is_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


def user_is_instructor(user: User) -> bool:
    """Holds the instructor role, so may create courses. Memoised on the user object."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_instructor", None)
    if cached is None:
        cached = user.groups.filter(name=settings.INSTRUCTORS_GROUP).exists()
        user._is_instructor = cached
    return cached


def user_roles(user: User) -> list[str]:
    roles = ["learner"]
    if user_is_instructor(user) or user.taught_courses.exists():
        roles.append("instructor")
    if user_is_admin(user):
        roles.append("admin")
    return roles


def user_tokens(*, user: User) -> QuerySet[AuthToken]:
    """The caller's API tokens, newest first (expired ones are no longer listed)."""
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return AuthToken.objects.filter(live, user=user).order_by("-created_at", "-pk")
