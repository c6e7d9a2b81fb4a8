"""Course analytics for its instructors and admins. Every figure comes from a fixed number of
queries (grouped in the database), whatever the number of learners, completions or attempts."""

from datetime import timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    PositiveIntegerField,
    Q,
    Value,
    When,
)

from courseware.models import Course, Enrollment, VersionItem
from lessons.models import Lesson
from quizzes.models import AttemptAnswer, Choice, Question, Quiz, QuizAttempt

STRONG_TIER = 3  # strong learners: the top third of first attempts on a quiz, by score
SUSPECT_MIN_STRONG = 5  # a key is only suspected on the picks of at least this many strong learners


def _first_attempts_sql() -> str:
    """First submitted attempts of the course's quizzes, with their tier (1: the top third by score)."""
    return (
        f"SELECT a.id AS attempt_id, NTILE({STRONG_TIER}) OVER (PARTITION BY a.quiz_id ORDER BY a.score DESC, a.id) "  # noqa: S608
        f'AS tier FROM "{QuizAttempt._meta.db_table}" a '
        "WHERE a.course_id = %s AND a.number = 1 AND a.status = 'submitted'"
    )


def _item_statistics(*, course: Course) -> dict[int, dict]:
    """Per question, over first attempts: how many, how many right, and the sums a point-biserial
    correlation needs between being right (x) and the points of the rest of the attempt (y). One query."""
    answers = AttemptAnswer._meta.db_table
    points = "COALESCE(aa.points_awarded, aa.credit)"
    sql = (
        f"WITH firsts AS ({_first_attempts_sql()}), "  # noqa: S608 - table names and constants only
        f'totals AS (SELECT aa.attempt_id, SUM({points}) AS got FROM "{answers}" aa '
        "JOIN firsts f ON f.attempt_id = aa.attempt_id GROUP BY aa.attempt_id), "
        "items AS (SELECT aa.question_id, CASE WHEN aa.is_correct THEN 1.0 ELSE 0.0 END AS x, "
        f't.got - {points} AS y, f.tier FROM "{answers}" aa '
        "JOIN totals t ON t.attempt_id = aa.attempt_id JOIN firsts f ON f.attempt_id = aa.attempt_id) "
        "SELECT question_id, COUNT(*), SUM(x), SUM(y), SUM(y * y), SUM(x * y), "
        "SUM(CASE WHEN tier = 1 THEN 1 ELSE 0 END) FROM items GROUP BY question_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [course.pk])
        rows = cursor.fetchall()
    return {
        qid: {"n": n, "sx": float(sx), "sy": float(sy), "syy": float(syy), "sxy": float(sxy), "strong": int(strong)}
        for qid, n, sx, sy, syy, sxy, strong in rows
    }


def _choice_picks(*, course: Course) -> dict[int, tuple[int, int]]:
    """Per choice id: (first attempts that picked it, of which strong learners). One query: the picks are
    a JSON list on each answer row, unnested by the database (``jsonb_array_elements_text`` on
    PostgreSQL, ``json_each`` on SQLite)."""
    answers = AttemptAnswer._meta.db_table
    if connection.vendor == "postgresql":
        unnest, value = "CROSS JOIN LATERAL jsonb_array_elements_text(aa.choices) AS e(value)", "e.value::bigint"
    else:
        unnest, value = ", json_each(aa.choices) AS e", "e.value"
    sql = (
        f"WITH firsts AS ({_first_attempts_sql()}) "  # noqa: S608 - table names and constants only
        f"SELECT {value} AS choice_id, COUNT(*), SUM(CASE WHEN f.tier = 1 THEN 1 ELSE 0 END) "
        f'FROM "{answers}" aa JOIN firsts f ON f.attempt_id = aa.attempt_id {unnest} GROUP BY {value}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [course.pk])
        return {int(choice): (int(n), int(strong)) for choice, n, strong in cursor.fetchall()}


def _point_biserial(stats: dict | None) -> float | None:
    """Pearson's r between right (1/0) and the rest of the quiz's points: the point-biserial
    correlation. None when it is undefined (fewer than 2 answers, everyone right or wrong, no spread)."""
    if not stats or stats["n"] < 2:
        return None
    n, sx, sy, syy, sxy = stats["n"], stats["sx"], stats["sy"], stats["syy"], stats["sxy"]
    var_x = n * sx - sx * sx  # x is 0/1: Σx² = Σx
    var_y = n * syy - sy * sy
    if var_x <= 0 or var_y <= 1e-12:
        return None
    return round((n * sxy - sx * sy) / ((var_x * var_y) ** 0.5), 3)


def _item_analysis(*, course: Course, questions: list[dict]) -> None:
    """Adds difficulty, discrimination, pick rates and a suspected-key flag to each question row
    (three queries whatever the number of learners)."""
    stats = _item_statistics(course=course)
    picks = _choice_picks(course=course)
    choices: dict[int, list] = {}
    for choice in (
        Choice.objects.filter(question__quiz__course=course, role=Choice.Role.CHOICE)
        .order_by("question_id", "position")
        .values("id", "question_id", "text", "is_correct")
    ):
        choices.setdefault(choice["question_id"], []).append(choice)
    for row in questions:
        item = stats.get(row["id"])
        row["difficulty"] = round(item["sx"] / item["n"], 3) if item and item["n"] else None
        row["discrimination"] = _point_biserial(item)
        strong = item["strong"] if item else 0
        row["choices"] = [
            {
                "id": c["id"],
                "text": c["text"],
                "is_correct": c["is_correct"],
                "picks": picks.get(c["id"], (0, 0))[0],
                "pick_rate": _rate(picks.get(c["id"], (0, 0))[0], item["n"] if item else 0),
                "strong_pick_rate": _rate(picks.get(c["id"], (0, 0))[1], strong),
            }
            for c in choices.get(row["id"], [])
        ]
        row["key_suspect"] = False
        row["suspect_choice"] = None
        if strong >= SUSPECT_MIN_STRONG and row["choices"]:
            top = max(row["choices"], key=lambda c: picks.get(c["id"], (0, 0))[1])
            if not top["is_correct"] and picks.get(top["id"], (0, 0))[1] * 2 > strong:
                row["key_suspect"], row["suspect_choice"] = True, top["id"]


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
    right, with item analysis (difficulty, discrimination, pick rates, a suspected key) and, per quiz, the
    attempts graded on an older key (stale until a regrade). Nine queries on every database."""
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
        .values("id", "position", "text", "kind", "points", "quiz_id", quiz_title=F("quiz__title"))
        .annotate(
            first_attempts=Count("graded_answers", filter=first),
            first_attempts_right=Count("graded_answers", filter=first & Q(graded_answers__is_correct=True)),
        )
        for quiz_id in [row.pop("quiz_id")]  # as ``quiz``, not twice
    ]
    _item_analysis(course=course, questions=questions)
    # Stale: graded on an older key than the published one (a draft key edit is not live yet).
    published_keys = {
        quiz_id: int(key_version)
        for quiz_id, key_version in VersionItem.objects.filter(
            course=course, kind="quiz", until__isnull=True
        ).values_list("item_id", "blob__payload__key_version")
    }
    live_key = (
        Case(
            *[When(pk=q, then=Value(v)) for q, v in published_keys.items()],
            default=F("key_version"),
            output_field=PositiveIntegerField(),
        )
        if published_keys
        else F("key_version")
    )
    quizzes = [
        {
            "id": row["id"],
            "title": row["title"],
            "stale_attempts": row["stale_attempts"],
            "stale": row["stale_attempts"] > 0,
        }
        for row in Quiz.objects.filter(course=course)
        .order_by("module__position", "position")
        .values("id", "title")
        .annotate(
            stale_attempts=Count(
                "attempts",
                filter=Q(attempts__status=QuizAttempt.Status.SUBMITTED, attempts__graded_key_version__lt=live_key),
            )
        )
    ]
    return {
        "course": course.slug,
        "quizzes": quizzes,
        "enrollments": counts,
        "completion_rate": _rate(ever_completed, total),
        "median_days_to_complete": round(median.total_seconds() / 86400, 2) if median is not None else None,
        "lessons": lessons,
        "questions": questions,
    }
