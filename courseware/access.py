"""Access to a course's content (lessons, quizzes) for the caller: one place decides, so lessons
and quizzes answer the same way.

- not visible to the caller (unpublished, not theirs) → 404, as if it did not exist;
- the course's instructors and admins → full access (preview), no enrollment needed;
- visible but not enrolled (or dropped) → 403 "not enrolled";
- enrolled in a sequential course, module locked → 403 with the reason.
"""

from dataclasses import dataclass

from rest_framework.exceptions import NotFound, PermissionDenied

from accounts.models import User
from courseware import selectors
from courseware.models import Course, Enrollment


@dataclass(frozen=True)
class ContentAccess:
    course: Course
    enrollment: Enrollment | None  # None for staff previewing
    is_staff_view: bool


def content_access(*, user: User, course: Course, module_id: int, for_write: bool = False) -> ContentAccess:
    if not selectors.course_list(user=user).filter(pk=course.pk).exists():
        raise NotFound("Not found.")
    if selectors.course_can_write(course=course, user=user):
        enrollment = selectors.enrollment_get_active(user=user, course_id=course.pk)
        return ContentAccess(course=course, enrollment=enrollment, is_staff_view=True)
    enrollment = selectors.enrollment_get_active(user=user, course_id=course.pk)
    if enrollment is None:
        raise PermissionDenied("You are not enrolled in this course.")
    reason = selectors.module_lock_reason(course=course, module_id=module_id, learner_id=user.pk)
    if reason:
        raise PermissionDenied(reason)
    return ContentAccess(course=course, enrollment=enrollment, is_staff_view=False)
