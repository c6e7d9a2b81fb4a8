"""Who may do what with courses. Object permissions; list and detail querysets are limited by
selectors first."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.selectors import user_is_admin, user_is_instructor
from courseware.structure.selectors import course_can_write


class IsAdmin(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request, view) -> bool:
        return user_is_admin(request.user)


class IsInstructor(BasePermission):
    message = "Only instructors and admins may create courses."

    def has_permission(self, request, view) -> bool:
        return user_is_instructor(request.user)


class CanWriteCourse(BasePermission):
    """Writes to a course: its instructors and admins only. ``obj`` is the course (or has ``course``)."""

    message = "Only this course's instructors and admins may change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        course = getattr(obj, "course", obj)
        return course_can_write(course=course, user=request.user)
