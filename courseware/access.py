"""Who may write to a course (authoring): one place decides, so every authoring endpoint answers alike."""

from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from accounts.models import User
from courseware.models import Course, Module
from courseware.permissions import CanWriteCourse
from courseware.structure.selectors import course_can_write, course_get, course_list, module_get, user_can_author

# --- Authoring: who may write to a course ---------------------------------------------------------
# In this order: users who neither hold the instructor role nor teach a course (learners) → 403;
# a course the caller cannot see at all (someone else's unpublished course) → 404; a course the
# caller can see but does not teach → 403; the course's instructors and admins → allowed.
NOT_AN_AUTHOR = "Only instructors and admins may author courses."


def authoring_gate(*, user: User) -> None:
    """Learners (no instructor role, no course taught) → 403 before anything is looked up."""
    if not user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)


def course_write_access(*, user: User, course: Course) -> Course:
    """Raise unless ``user`` may write to ``course`` (see the module's docstring for the answers)."""
    if not user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)
    if not course_list(user=user).filter(pk=course.pk).exists():
        raise NotFound("Not found.")
    if not course_can_write(course=course, user=user):
        raise PermissionDenied(CanWriteCourse.message)
    return course


def course_for_write(*, user: User, slug: str) -> Course:
    if not user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)
    course = course_get(user=user, slug=slug)
    if course is None:
        raise NotFound("No course with this slug.")
    return course_write_access(user=user, course=course)


def module_for_write(*, user: User, module_id: int) -> Module:
    if not user_can_author(user=user):
        raise PermissionDenied(NOT_AN_AUTHOR)
    module = module_get(module_id=module_id)
    if module is None:
        raise NotFound("No module with this id.")
    course_write_access(user=user, course=module.course)
    return module


def module_of_course(*, module_id: int | None, course_id: int) -> Module | None:
    """The target module of a move (None: stay in the current one); 400 when it is not in the course."""
    if module_id is None:
        return None
    module = module_get(module_id=module_id)
    if module is None or module.course_id != course_id:
        raise ValidationError({"module": ["No module with this id in this course."]})
    return module
