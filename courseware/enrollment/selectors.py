"""Reads for enrollments: the caller's own, a course's roster, an enrollment's history."""

from django.db.models import QuerySet

from accounts.models import User
from courseware.models import Course, Enrollment, EnrollmentEvent


def enrollment_get_active(*, user: User, course_id: int) -> Enrollment | None:
    """The caller's enrollment that grants access (active or completed), or None."""
    if not user.is_authenticated:
        return None
    return (
        Enrollment.objects.filter(learner=user, course_id=course_id).exclude(status=Enrollment.Status.DROPPED).first()
    )


def enrollment_list(*, user: User) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(learner=user).select_related("course").order_by("-enrolled_at", "-id")


def course_roster(*, course: Course) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(course=course).select_related("learner").order_by("learner__username")


def roster_enrollment_get(*, course: Course, enrollment_id: int) -> Enrollment | None:
    return course_roster(course=course).filter(pk=enrollment_id).first()


def enrollment_events(*, enrollment: Enrollment):
    """An enrollment's audit trail, oldest first, with who acted."""

    return EnrollmentEvent.objects.filter(enrollment=enrollment).select_related("actor").order_by("at", "id")
