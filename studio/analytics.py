"""Course analytics for its instructors and admins. Every figure comes from a fixed number of
queries (grouped in the database), whatever the number of learners, completions or attempts."""

from datetime import timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q

from courseware.models import Course, Enrollment
from lessons.models import Lesson
from quizzes.models import Question


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median, computed by the database."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _median_duration(*, course: Course, completed: int) -> timedelta | None:
    """Median time from enrollment to completion over the ``completed`` enrollments with a completion
    time: one query (``percentile_cont`` on PostgreSQL; elsewhere the middle row(s) of the ordered
    durations, fetched with OFFSET)."""
    if not completed:
        return None
    duration = ExpressionWrapper(F("completed_at") - F("enrolled_at"), output_field=DurationField())
    rows = Enrollment.objects.filter(course=course, completed_at__isnull=False)
    if connection.vendor == "postgresql":
        return rows.aggregate(median=_Median(duration, output_field=DurationField()))["median"]
    middle = (completed - 1) // 2
    values = list(
        rows.annotate(duration=duration)
        .order_by("duration")
        .values_list("duration", flat=True)[middle : middle + (1 if completed % 2 else 2)]
    )
    return sum(values, timedelta()) / len(values)


def course_analytics(*, course: Course) -> dict:
    """Enrollments by status, completion rate, median days to complete, the lesson funnel (learners who
    completed each lesson, in course order) and, per question, the share of first attempts answered
    right. Four queries on every database."""
    counts = Enrollment.objects.filter(course=course).aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=Enrollment.Status.ACTIVE)),
        completed=Count("id", filter=Q(status=Enrollment.Status.COMPLETED)),
        dropped=Count("id", filter=Q(status=Enrollment.Status.DROPPED)),
        ever_completed=Count("id", filter=Q(completed_at__isnull=False)),
    )
    total, ever_completed = counts["total"], counts.pop("ever_completed")
    median = _median_duration(course=course, completed=ever_completed)

    lessons = [
        {**row, "module": module_id, "completion_rate": _rate(row["completions"], total)}
        for row in Lesson.objects.filter(course=course)
        .order_by("module__position", "position")
        .values("id", "slug", "title", "position", "module_id", module_position=F("module__position"))
        .annotate(completions=Count("completions"))
        for module_id in [row.pop("module_id")]  # as ``module``, not twice
    ]

    first = Q(graded_answers__attempt__number=1)
    questions = [
        {
            **row,
            "quiz": quiz_id,
            "first_attempt_right_rate": _rate(row["first_attempts_right"], row["first_attempts"]),
        }
        for row in Question.objects.filter(quiz__course=course)
        .order_by("quiz__module__position", "quiz__position", "position")
        .values("id", "position", "text", "kind", "quiz_id", quiz_title=F("quiz__title"))
        .annotate(
            first_attempts=Count("graded_answers", filter=first),
            first_attempts_right=Count("graded_answers", filter=first & Q(graded_answers__is_correct=True)),
        )
        for quiz_id in [row.pop("quiz_id")]  # as ``quiz``, not twice
    ]
    return {
        "course": course.slug,
        "enrollments": counts,
        "completion_rate": _rate(ever_completed, total),
        "median_days_to_complete": round(median.total_seconds() / 86400, 2) if median is not None else None,
        "lessons": lessons,
        "questions": questions,
    }
