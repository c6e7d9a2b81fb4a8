"""Access to a course's content (lessons, quizzes) for the caller: one place decides, so lessons
and quizzes answer the same way.

- not visible to the caller (unpublished, not theirs) → 404, as if it did not exist;
- the course's instructors and admins → full access (preview), no enrollment needed;
- visible but not enrolled (or dropped) → 403 "not enrolled";
- enrolled in a sequential course, module locked → 403 with the reason."""

from dataclasses import dataclass

from rest_framework.exceptions import NotFound, PermissionDenied

from accounts.models import User
from accounts.selectors import user_is_admin
from courseware.models import Course, Enrollment
from learning.progress.selectors import module_lock_reason
from learning.state import LearnerHeader, learner_header


@dataclass(frozen=True)
class ContentAccess:
    course: Course
    enrollment: Enrollment | None  # None for staff previewing
    is_staff_view: bool
    header: LearnerHeader  # the caller's state, read once (see ``learner_header``)


def content_access(*, user: User, course: Course, module_id: int, lesson_id: int | None = None) -> ContentAccess:
    """Decide in one query (the caller's ``learner_header``; given ``lesson_id``, it also says when
    they completed that lesson), plus one more in a sequential course to find locked modules."""
    header = learner_header(user=user, course_id=course.pk, lesson_id=lesson_id)
    staff = user_is_admin(user) or header.teaches
    if not (course.is_published or staff):
        raise NotFound("Not found.")
    if staff:
        return ContentAccess(course=course, enrollment=header.active_enrollment, is_staff_view=True, header=header)
    enrollment = header.active_enrollment
    if enrollment is None:
        raise PermissionDenied("You are not enrolled in this course.")
    reason = module_lock_reason(course=course, module_id=module_id, learner_id=user.pk)
    if reason:
        raise PermissionDenied(reason)
    return ContentAccess(course=course, enrollment=enrollment, is_staff_view=False, header=header)


def draft_requested(request) -> bool:
    """The caller asks for the draft (``?version=draft``) rather than the published version."""
    return request.query_params.get("version") == "draft"
