"""Access to a course's content (lessons, quizzes) for the caller: one place decides, so lessons
and quizzes answer the same way.

- not visible to the caller (unpublished, not theirs) → 404, as if it did not exist;
- the course's instructors and admins → full access (preview), no enrollment needed;
- visible but not enrolled (or dropped) → 403 "not enrolled";
- enrolled in a sequential course, module locked → 403 with the reason.
"""

from dataclasses import dataclass

from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from accounts.models import User
from accounts.selectors import user_is_admin
from courseware import selectors
from courseware.models import Course, Enrollment, Module
from courseware.permissions import CanWriteCourse


@dataclass(frozen=True)
class ContentAccess:
    course: Course
    enrollment: Enrollment | None  # None for staff previewing
    is_staff_view: bool
    header: selectors.LearnerHeader  # the caller's state, read once (see ``learner_header``)


def content_access(*, user: User, course: Course, module_id: int, lesson_id: int | None = None) -> ContentAccess:
    """Decide in one query (the caller's ``learner_header``; given ``lesson_id``, it also says when
    they completed that lesson), plus one more in a sequential course to find locked modules."""
    header = selectors.learner_header(user=user, course_id=course.pk, lesson_id=lesson_id)
    staff = user_is_admin(user) or header.teaches
    if not (course.is_published or staff):
        raise NotFound("Not found.")
    if staff:
        return ContentAccess(course=course, enrollment=header.active_enrollment, is_staff_view=True, header=header)
    enrollment = header.active_enrollment
    if enrollment is None:
        raise PermissionDenied("You are not enrolled in this course.")
    reason = selectors.module_lock_reason(course=course, module_id=module_id, learner_id=user.pk)
    if reason:
        raise PermissionDenied(reason)
    return ContentAccess(course=course, enrollment=enrollment, is_staff_view=False, header=header)


# --- Authoring: who may write to a course ---------------------------------------------------------
# In this order: users who neither hold the instructor role nor teach a course (learners) → 403;
# a course the caller cannot see at all (someone else's unpublished course) → 404; a course the
# caller can see but does not teach → 403; the course's instructors and admins → allowed.
NOT_AN_AUTHOR = "Only instructors and admins may author courses."


def authoring_gate(*, user: User) -> None:
    """Learners (no instructor role, no course taught) → 403 before anything is looked up."""
    if not selectors.user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)


def course_write_access(*, user: User, course: Course) -> Course:
    """Raise unless ``user`` may write to ``course`` (see the module's docstring for the answers)."""
    if not selectors.user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)
    if not selectors.course_list(user=user).filter(pk=course.pk).exists():
        raise NotFound("Not found.")
    if not selectors.course_can_write(course=course, user=user):
        raise PermissionDenied(CanWriteCourse.message)
    return course


def course_for_write(*, user: User, slug: str) -> Course:
    if not selectors.user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)
    course = selectors.course_get(user=user, slug=slug)
    if course is None:
        raise NotFound("No course with this slug.")
    return course_write_access(user=user, course=course)


def module_for_write(*, user: User, module_id: int) -> Module:
    if not selectors.user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)
    module = selectors.module_get(module_id=module_id)
    if module is None:
        raise NotFound("No module with this id.")
    course_write_access(user=user, course=module.course)
    return module


def module_of_course(*, module_id: int | None, course_id: int) -> Module | None:
    """The target module of a move (None: stay in the current one); 400 when it is not in the course."""
    if module_id is None:
        return None
    module = selectors.module_get(module_id=module_id)
    if module is None or module.course_id != course_id:
        raise ValidationError({"module": ["No module with this id in this course."]})
    return module
