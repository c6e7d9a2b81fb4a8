"""Reads of progress: a learner's snapshot in a course, locked modules of sequential courses, the
next step, and the progress report."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import F

from courseware.models import Course, Enrollment
from learning.outline import course_outline
from learning.state import learner_items


@dataclass(frozen=True)
class QuizStanding:
    quiz_id: int
    best_score: float | None
    passed: bool
    attempts: int
    extra_attempts: int = 0  # a per-learner override (accommodation)


@dataclass(frozen=True)
class ProgressSnapshot:
    total_lessons: int
    completed_lessons: int
    total_quizzes: int
    passed_quizzes: int
    completed_lesson_ids: frozenset[int] = frozenset()
    quizzes: dict[int, QuizStanding] = field(default_factory=dict)
    last_lesson_activity: datetime | None = None
    last_quiz_activity: datetime | None = None

    @property
    def total_items(self) -> int:
        return self.total_lessons + self.total_quizzes

    @property
    def done_items(self) -> int:
        return self.completed_lessons + self.passed_quizzes

    @property
    def percent(self) -> int:
        """0–100, rounded down: 100 exactly when every lesson is completed and every quiz passed."""
        if not self.total_items:
            return 0
        return (100 * self.done_items) // self.total_items

    @property
    def is_complete(self) -> bool:
        return self.total_items > 0 and self.done_items == self.total_items

    @property
    def last_activity(self) -> datetime | None:
        stamps = [s for s in (self.last_lesson_activity, self.last_quiz_activity) if s]
        return max(stamps) if stamps else None


def progress_counted_items(*, course_id: int, outline: list[dict]) -> tuple[frozenset[int], list[int]]:
    """The items a course's progress counts: ``(lesson ids, quiz ids in course order)`` of its published
    version's ``outline`` (``learning.outline.course_outline``). The one place that says which items
    count, for the per-learner snapshot and the set-based drain alike (``services.progress_stale_drain``)."""
    lesson_ids = frozenset(lesson["id"] for m in outline for lesson in m["lessons"])
    quiz_ids = [q["id"] for m in outline for q in m["quizzes"]]
    return lesson_ids, quiz_ids


def progress_stale_remaining() -> bool:
    """Whether a live enrollment's stored progress still lags its activity: what the progress drain
    works through. Ordered by id, as the drain's scan, so PostgreSQL reads the partial index of stale
    rows (an unordered ``EXISTS`` guesses a third of the table matches and scans it all: 130 ms at
    500,000 enrollments, against 0.05 ms)."""
    stale = Enrollment.objects.filter(progress_seq__lt=F("activity_seq")).exclude(status=Enrollment.Status.DROPPED)
    return stale.order_by("pk").values_list("pk", flat=True).first() is not None


def progress_snapshot(*, learner_id: int, course_id: int, outline: list[dict]) -> ProgressSnapshot:
    """One learner's progress in one course, from the source-of-truth rows: one query for their own
    completions and quiz standings (the cost grows with neither the course nor the tables). Only the
    items of ``outline`` (the published version's, ``learning.outline.course_outline``) count, so
    progress never exceeds 100 and an item a version removed no longer counts (its completions and
    attempts stay, and count again if a later version brings it back)."""
    completed, standings = learner_items(learner_id=learner_id, course_id=course_id)
    lesson_ids, quiz_ids = progress_counted_items(course_id=course_id, outline=outline)
    quizzes = {}
    last_quiz = None
    for quiz_id in quiz_ids:
        best, passes, tries, last, *extra = standings.get(quiz_id, (None, 0, 0, None))
        quizzes[quiz_id] = QuizStanding(
            quiz_id=quiz_id, best_score=best, passed=passes > 0, attempts=tries, extra_attempts=extra[0] if extra else 0
        )
        if last and (last_quiz is None or last > last_quiz):
            last_quiz = last
    done_lessons = frozenset(completed) & lesson_ids
    return ProgressSnapshot(
        total_lessons=len(lesson_ids),
        completed_lessons=len(done_lessons),
        total_quizzes=len(quizzes),
        passed_quizzes=sum(1 for q in quizzes.values() if q.passed),
        completed_lesson_ids=done_lessons,
        quizzes=quizzes,
        last_lesson_activity=max(completed.values(), default=None),
        last_quiz_activity=last_quiz,
    )


def enrollment_progress_covers(*, enrollment_id: int, activity_seq: int) -> bool:
    """Whether the enrollment's stored progress already counts the activity numbered ``activity_seq``:
    it was computed from a sequence at least that high, at the course's current content version. One
    read by primary key, no lock."""
    with connection.cursor() as cursor:  # written once: the ORM would compile this join on every task
        cursor.execute(
            f'SELECT 1 FROM "{Enrollment._meta.db_table}" e JOIN "{Course._meta.db_table}" c '  # noqa: S608
            'ON c."id" = e."course_id" WHERE e."id" = %s AND e."progress_seq" >= %s '
            'AND e."progress_version" = c."content_version"',
            [enrollment_id, activity_seq],
        )
        return cursor.fetchone() is not None


def locked_module_ids(*, course: Course, outline: list[dict], snapshot: ProgressSnapshot | None) -> set[int]:
    """The modules a learner may not open yet: in a sequential course, every module after the first
    one with a lesson not completed or a quiz not passed; none in other courses (or without a
    learner's ``snapshot``)."""
    if not (course.sequential and snapshot):
        return set()
    locked: set[int] = set()
    blocked = False
    for module in outline:
        if blocked:
            locked.add(module["id"])
            continue
        lessons_done = all(lesson["id"] in snapshot.completed_lesson_ids for lesson in module["lessons"])
        quizzes_done = all(
            (standing := snapshot.quizzes.get(quiz["id"])) and standing.passed for quiz in module["quizzes"]
        )
        if not (lessons_done and quizzes_done):
            blocked = True
    return locked


def module_lock_reason(*, course: Course, module_id: int, learner_id: int) -> str | None:
    """Why a learner may not open content of ``module_id`` yet, or None when it is open."""
    if not course.sequential:
        return None
    outline = course_outline(course=course)
    snapshot = progress_snapshot(learner_id=learner_id, course_id=course.pk, outline=outline)
    if module_id in locked_module_ids(course=course, outline=outline, snapshot=snapshot):
        return "This lesson is locked: complete every lesson and pass every quiz of the earlier modules first."
    return None


def outline_with_learner_state(*, course: Course, outline: list[dict], snapshot: ProgressSnapshot | None) -> list[dict]:
    """Overlay one learner's state (completed / passed / locked) on a copy of the shared outline."""
    locked = locked_module_ids(course=course, outline=outline, snapshot=snapshot)
    result = []
    for module in outline:
        lessons = [
            {**lesson, "completed": (lesson["id"] in snapshot.completed_lesson_ids) if snapshot else None}
            for lesson in module["lessons"]
        ]
        quizzes = []
        for quiz in module["quizzes"]:
            standing = snapshot.quizzes.get(quiz["id"]) if snapshot else None
            quizzes.append(
                {
                    **quiz,
                    "passed": (standing.passed if standing else False) if snapshot else None,
                    "best_score": standing.best_score if standing else None,
                }
            )
        result.append({**module, "locked": module["id"] in locked, "lessons": lessons, "quizzes": quizzes})
    return result


def next_lesson(*, outline: list[dict], snapshot: ProgressSnapshot, locked: set[int]) -> dict | None:
    """Where to resume reading: the first lesson in course order that is not completed and that the
    learner may open now (none in a module ``locked`` by a sequential course)."""
    for module in outline:
        if module["id"] in locked:
            break
        for lesson in module["lessons"]:
            if lesson["id"] not in snapshot.completed_lesson_ids:
                return _step(lesson, module)
    return None


def next_step(*, outline: list[dict], snapshot: ProgressSnapshot, locked: set[int]) -> dict | None:
    """What completes the course next, in course order: each open module's first incomplete lesson,
    then its first quiz not yet passed with attempts left. None when nothing open is left to do (the
    course is complete, or what is left is locked behind a quiz with no attempts left)."""
    for module in outline:
        if module["id"] in locked:
            break
        for lesson in module["lessons"]:
            if lesson["id"] not in snapshot.completed_lesson_ids:
                return {"kind": "lesson", **_step(lesson, module)}
        for quiz in module["quizzes"]:
            standing = snapshot.quizzes.get(quiz["id"])
            allowed = quiz["max_attempts"] + (standing.extra_attempts if standing else 0)  # overrides count
            if not (standing and standing.passed) and (standing.attempts if standing else 0) < allowed:
                return {"kind": "quiz", **_step(quiz, module)}
    return None


def _step(item: dict, module: dict) -> dict:
    return {"id": item["id"], "slug": item["slug"], "title": item["title"], "module": module["id"]}


def progress_report(*, enrollment: Enrollment, course: Course, certificate: dict | None) -> dict:
    """The progress endpoint's body for one enrollment, computed live from the source rows
    (``certificate``: the learner's, as ``learner_header`` read it)."""
    from django.conf import settings

    outline = course_outline(course=course)
    snapshot = progress_snapshot(learner_id=enrollment.learner_id, course_id=course.pk, outline=outline)
    locked = locked_module_ids(course=course, outline=outline, snapshot=snapshot)
    quizzes = []
    for module in outline:
        for quiz in module["quizzes"]:
            standing = snapshot.quizzes.get(quiz["id"])
            quizzes.append(
                {
                    "id": quiz["id"],
                    "title": quiz["title"],
                    "best_score": standing.best_score if standing else None,
                    "passed": standing.passed if standing else False,
                    "attempts": standing.attempts if standing else 0,
                    "max_attempts": quiz["max_attempts"] + (standing.extra_attempts if standing else 0),
                    "attempts_left": max(
                        0,
                        quiz["max_attempts"]
                        + (standing.extra_attempts if standing else 0)
                        - (standing.attempts if standing else 0),
                    ),
                }
            )
    base = settings.PUBLIC_BASE_URL
    return {
        "course": course.slug,
        "progress": snapshot.percent,
        "status": enrollment.status,
        "completed_lessons": snapshot.completed_lessons,
        "total_lessons": snapshot.total_lessons,
        "passed_quizzes": snapshot.passed_quizzes,
        "total_quizzes": snapshot.total_quizzes,
        "quizzes": quizzes,
        "next_lesson": next_lesson(outline=outline, snapshot=snapshot, locked=locked),
        "next_step": next_step(outline=outline, snapshot=snapshot, locked=locked),
        "enrolled_at": enrollment.enrolled_at,
        "completed_at": enrollment.completed_at,
        "last_activity_at": snapshot.last_activity or enrollment.last_activity_at,
        "certificate": {
            **certificate,
            "url": f"{base}/certificates/{certificate['code']}/",
            "pdf_url": f"{base}/certificates/{certificate['code']}.pdf",
        }
        if certificate
        else None,
    }
