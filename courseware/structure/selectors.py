"""Reads for course structure: which courses a caller sees, may write or teaches; modules; instructors."""

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.selectors import user_is_admin, user_is_instructor
from courseware.catalog_cache import local_get
from courseware.models import Course, Module


def course_list(*, user: User) -> QuerySet[Course]:
    qs = Course.objects.all()
    if not user_is_admin(user):
        if user.is_authenticated:
            taught = Course.objects.filter(instructors=user).values("pk")
            qs = qs.filter(Q(is_published=True) | Q(pk__in=taught))
        else:
            qs = qs.filter(is_published=True)
    return qs


def catalog_is_public_for(*, user: User) -> bool:
    """The caller sees exactly the published courses (no unpublished course of their own)."""
    if not user.is_authenticated:
        return True
    return not user_is_admin(user) and not Course.objects.filter(instructors=user, is_published=False).exists()


def course_get(*, user: User, slug: str) -> Course | None:
    return course_list(user=user).filter(slug=slug).first()


def course_get_published(*, user: User, slug: str) -> Course | None:
    """``course_get`` for the learner paths: a published course comes from this process's memory
    while the content version holds (no query); anything else is looked up as ``course_get`` does.
    The caller gets its own copy."""
    from copy import copy

    course = local_get(f"course:{slug}", lambda: Course.objects.filter(slug=slug).first())
    if course is not None and course.is_published:
        return copy(course)
    if course is None or not user.is_authenticated:
        return None
    return course_get(user=user, slug=slug)


def course_is_taught_by(*, course: Course, user: User) -> bool:
    if not user.is_authenticated:
        return False
    return course.instructors.filter(pk=user.pk).exists()


def course_can_write(*, course: Course, user: User) -> bool:
    return user_is_admin(user) or course_is_taught_by(course=course, user=user)


# --- Authoring and enrollment management ------------------------------------------------------------
def user_can_author(*, user: User) -> bool:
    """Holds the instructor role, teaches some course, or is an admin: may call authoring endpoints
    (each course still decides whether they may write to it)."""

    return user_is_instructor(user) or (user.is_authenticated and user.taught_courses.exists())


def module_get(*, module_id: int):
    return Module.objects.select_related("course").filter(pk=module_id).first()


def course_instructors(*, course: Course) -> QuerySet[User]:
    return course.instructors.order_by("username")
