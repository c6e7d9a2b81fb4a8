"""Reads for courses, enrollments, progress and certificates. Every queryset a view uses comes from
here, already limited to what the caller may see."""

import functools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from accounts.models import User
from accounts.selectors import user_is_admin
from accounts.tokens import TOKEN_TABLE, token_sql_params, token_sql_where
from config import rawsql
from courseware.models import Certificate, Course, Enrollment
from lessons.models import Lesson, LessonCompletion
from quizzes.models import Quiz, QuizAttempt


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

    from courseware.catalog_cache import local_get

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


@dataclass(frozen=True)
class QuizStanding:
    quiz_id: int
    best_score: float | None
    passed: bool
    attempts: int


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


def progress_snapshot(*, learner_id: int, course_id: int, outline: list[dict] | None = None) -> ProgressSnapshot:
    """One learner's progress in one course, from the source-of-truth rows: one query for their own
    completions and quiz standings (the cost grows with neither the course nor the tables), plus
    two for the course's lessons and quizzes unless the caller passes the course's ``outline``."""
    completed, standings = learner_items(learner_id=learner_id, course_id=course_id)
    if outline is not None:
        lesson_ids = {lesson["id"] for m in outline for lesson in m["lessons"]}
        quiz_ids = [q["id"] for m in outline for q in m["quizzes"]]
    else:
        lesson_ids = set(Lesson.objects.filter(course_id=course_id).values_list("id", flat=True))
        quiz_ids = list(Quiz.objects.filter(course_id=course_id).values_list("id", flat=True))
    quizzes = {}
    last_quiz = None
    for quiz_id in quiz_ids:
        best, passes, tries, last = standings.get(quiz_id, (None, 0, 0, None))
        quizzes[quiz_id] = QuizStanding(quiz_id=quiz_id, best_score=best, passed=passes > 0, attempts=tries)
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


# --- One learner's state in one course, in one round trip each ----------------------------------
# The hot learner paths (course page, lesson, progress, completion, quiz attempt) need the caller's
# enrollment, whether they teach the course, their certificate, and their completions and quiz
# standings. These two selectors read them in one small query each, with SQL written once here
# (portable: SQLite and PostgreSQL) so no request pays for building queries; every lookup is on an
# index that starts with the learner, so the cost grows with neither the course nor the tables.
def _header_parts(*, user: str, course: str) -> tuple[str, str]:
    """The header's select list and its joins, for SQL expressions naming the user and the course
    (parameters here; the token's columns in ``_token_state_sql``)."""
    columns = f"""{rawsql.columns(Enrollment, "e")},
            EXISTS(SELECT 1 FROM "{Course.instructors.through._meta.db_table}" i
                   WHERE i."course_id" = {course} AND i."user_id" = {user}),
            c."code", c."issued_at", c."revoked",
            (SELECT lc."completed_at" FROM "{LessonCompletion._meta.db_table}" lc
             WHERE lc."learner_id" = {user} AND lc."course_id" = {course} AND lc."lesson_id" = %(lesson)s)"""  # noqa: S608 (identifiers only)
    joins = f"""
        LEFT JOIN "{Enrollment._meta.db_table}" e ON e."learner_id" = {user} AND e."course_id" = {course}
        LEFT JOIN "{Certificate._meta.db_table}" c ON c."learner_id" = {user} AND c."course_id" = {course}"""
    return columns, joins


@functools.cache
def _header_sql() -> str:
    columns, joins = _header_parts(user="%(user)s", course="%(course)s")
    return f"SELECT {columns} FROM (SELECT 1 AS one) AS one {joins}"  # noqa: S608 (identifiers only)


@dataclass(frozen=True)
class LearnerHeader:
    enrollment: Enrollment | None  # whatever its status (dropped too)
    teaches: bool
    certificate: dict | None  # {"code", "issued_at", "revoked"}
    lesson_completed_at: datetime | None  # of the ``lesson_id`` asked about

    @property
    def active_enrollment(self) -> Enrollment | None:
        """The enrollment that grants access (active or completed)."""
        e = self.enrollment
        return e if e is not None and e.status != Enrollment.Status.DROPPED else None


NO_HEADER = LearnerHeader(enrollment=None, teaches=False, certificate=None, lesson_completed_at=None)


def learner_header(*, user: User, course_id: int, lesson_id: int | None = None) -> LearnerHeader:
    """The caller's enrollment, whether they teach the course, their certificate and (given a
    ``lesson_id``) when they completed that lesson: one query, or none when the request read it
    with the caller's credentials (``learner_by_token``)."""
    if not user.is_authenticated:
        return NO_HEADER
    ready = _prefetched_take("header", (user.pk, course_id, lesson_id or 0))
    if ready is not None:
        return ready
    with connection.cursor() as cursor:
        cursor.execute(_header_sql(), {"user": user.pk, "course": course_id, "lesson": lesson_id or 0})
        row = cursor.fetchone()
    return _header_from_row(row)


def _header_from_row(row) -> LearnerHeader:
    """A ``LearnerHeader`` from the enrollment's columns followed by teaches, the certificate's
    code, issued_at and revoked, and the lesson's completed_at."""
    n = len(Enrollment._meta.concrete_fields)
    enrollment = rawsql.instance(Enrollment, row[:n]) if row[0] is not None else None
    teaches, code, issued_at, revoked, lesson_at = row[n : n + 5]
    certificate = {"code": code, "issued_at": rawsql.aware(issued_at), "revoked": bool(revoked)} if code else None
    return LearnerHeader(
        enrollment=enrollment,
        teaches=bool(teaches),
        certificate=certificate,
        lesson_completed_at=rawsql.aware(lesson_at),
    )


@functools.cache
def _items_sql(*, user: str = "%(user)s", course: str = "%(course)s", lead: str = "") -> str:
    """Completions ('l') and submitted-quiz standings ('q') for SQL expressions naming the learner
    and the course; ``lead``: columns to put after the kind (the token statement's blanks)."""
    # PostgreSQL types a UNION's columns pair by pair: a NULL in every branch before the scores
    # would be text, and clash with them.
    score_type = QuizAttempt._meta.get_field("score").db_type(connection)
    return f"""
        SELECT 'l', {lead}"lesson_id", "completed_at", CAST(NULL AS {score_type}), 0, 0
        FROM "{LessonCompletion._meta.db_table}" WHERE "learner_id" = {user} AND "course_id" = {course}
        UNION ALL
        SELECT 'q', {lead}"quiz_id", MAX("submitted_at"), MAX("score"),
            SUM(CASE WHEN "passed" THEN 1 ELSE 0 END), COUNT(*)
        FROM "{QuizAttempt._meta.db_table}"
        WHERE "learner_id" = {user} AND "course_id" = {course} AND "status" = %(submitted)s
        GROUP BY "quiz_id"
    """  # noqa: S608 (identifiers from model metadata only; every value is a parameter)


def learner_items(
    *, learner_id: int, course_id: int
) -> tuple[dict[int, datetime], dict[int, tuple[float | None, int, int, datetime | None]]]:
    """The learner's completed lessons ``{lesson_id: completed_at}`` and submitted-quiz standings
    ``{quiz_id: (best score, passes, attempts, last submitted)}`` in one course: one query."""
    ready = _prefetched_take("items", (learner_id, course_id, None))
    if ready is not None:
        return ready
    with connection.cursor() as cursor:
        cursor.execute(
            _items_sql(), {"user": learner_id, "course": course_id, "submitted": QuizAttempt.Status.SUBMITTED}
        )
        return _items_from_rows(cursor.fetchall())


def _items_from_rows(rows) -> tuple[dict[int, datetime], dict[int, tuple]]:
    completed: dict[int, datetime] = {}
    standings: dict[int, tuple] = {}
    for kind, item_id, at, best, passes, tries in rows:
        if kind == "l":
            completed[item_id] = rawsql.aware(at)
        else:
            standings[item_id] = (float(best) if best is not None else None, int(passes), int(tries), rawsql.aware(at))
    return completed, standings


# --- The caller's state, read with their credentials ---------------------------------------------
# Every authenticated learner request costs a token lookup before the view reads the caller's
# state in the course it is about; both are small indexed reads, and each is a round trip. A view
# that knows what it will read says so (``StateWanted``) and the token authentication reads it in
# the same statement. What it read is kept for this request only, and handed out once, to the
# first ``learner_header``/``learner_items`` call for exactly that caller, course and lesson; any
# other call (another course, a second read after a write) queries as before.
@dataclass(frozen=True)
class StateWanted:
    """The course a request is about, by ``course_by`` ("slug", "lesson" or "quiz") and ``ref``;
    the lesson whose completion it needs; whether it needs the completions and quiz standings."""

    course_by: str
    ref: str | int
    lesson_id: int | None = None
    items: bool = False

    @classmethod
    def of(cls, course_by: str, ref: str | int, **kwargs) -> "StateWanted | None":
        """None when ``ref`` cannot name a row (an integer beyond the database's): no read-ahead."""
        if isinstance(ref, int) and not 0 < ref < 2**63:
            return None
        return cls(course_by, ref, **kwargs)

    def user_by_token(self, key: str) -> User | None:
        """The reader ``accounts.authentication`` calls: see ``learner_by_token``."""
        return learner_by_token(key=key, wanted=self)


_prefetched = threading.local()


def prefetched_clear(**kwargs) -> None:
    """Drop whatever was read ahead (a request starts or ends)."""
    _prefetched.entries = {}


def _prefetched_take(kind: str, key: tuple) -> Any | None:
    entries = getattr(_prefetched, "entries", None)
    return entries.pop((kind, *key), None) if entries else None


@functools.cache
def _token_state_sql(course_by: str, items: bool) -> str:
    course_of = {
        "slug": f'(SELECT "id" FROM "{Course._meta.db_table}" WHERE "slug" = %(ref)s)',  # noqa: S608 (identifiers only)
        "lesson": f'(SELECT "course_id" FROM "{Lesson._meta.db_table}" WHERE "id" = %(ref)s)',  # noqa: S608 (identifiers only)
        "quiz": f'(SELECT "course_id" FROM "{Quiz._meta.db_table}" WHERE "id" = %(ref)s)',  # noqa: S608 (identifiers only)
    }[course_by]
    token = TOKEN_TABLE
    columns, joins = _header_parts(user='t."user_id"', course='k."cid"')
    sql = f"""
        SELECT 'h', {rawsql.columns(User, "u")}, {columns}, k."cid", NULL, NULL, NULL, NULL, NULL
        FROM "{token}" t
        JOIN "{User._meta.db_table}" u ON u."{User._meta.pk.column}" = t."user_id"
        CROSS JOIN (SELECT {course_of} AS "cid") k {joins}
        WHERE {token_sql_where("t")}
    """  # noqa: S608 (identifiers from model metadata only; every value is a parameter)
    if items:
        blanks = "NULL, " * (len(User._meta.concrete_fields) + len(Enrollment._meta.concrete_fields) + 6)
        learner = f'(SELECT "user_id" FROM "{token}" tt WHERE {token_sql_where("tt")})'  # noqa: S608 (identifiers only)
        sql += " UNION ALL " + _items_sql(user=learner, course=course_of, lead=blanks)
    return sql


def learner_by_token(*, key: str, wanted: StateWanted) -> User | None:
    """The user holding API token ``key`` (None: no such token), whatever their ``is_active``, and
    in the same statement their state in the course ``wanted`` names, kept for this request's
    ``learner_header`` (and ``learner_items`` when asked)."""
    params = {**token_sql_params(key), "ref": wanted.ref, "lesson": wanted.lesson_id or 0}
    if wanted.items:
        params["submitted"] = QuizAttempt.Status.SUBMITTED
    sql = _token_state_sql(wanted.course_by, wanted.items)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    head = next((row for row in rows if row[0] == "h"), None)
    if head is None:
        return None
    n_user, n_enrollment = len(User._meta.concrete_fields), len(Enrollment._meta.concrete_fields)
    user = rawsql.instance(User, head[1 : 1 + n_user])
    course_id = head[1 + n_user + n_enrollment + 5]
    if course_id is not None:
        entries = {("header", user.pk, course_id, wanted.lesson_id or 0): _header_from_row(head[1 + n_user :])}
        if wanted.items:
            entries[("items", user.pk, course_id, None)] = _items_from_rows(
                (row[0], *row[-5:]) for row in rows if row[0] != "h"
            )
        _prefetched.entries = entries
    return user


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


def certificate_list(*, user: User) -> QuerySet[Certificate]:
    return Certificate.objects.filter(learner=user).select_related("course").order_by("-issued_at")


def certificate_get_public(*, code: str) -> Certificate | None:
    return Certificate.objects.filter(code=code).first()


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


# --- Outline --------------------------------------------------------------------------------------
def _outline_cache_key(course: Course) -> str:
    # Every content write bumps content_version (structure) or updated_at (text): the key changes,
    # so a stale outline is never served, on any host.
    return f"outline:v1:{course.pk}:{course.content_version}:{course.updated_at.timestamp()}"


def course_outline(*, course: Course) -> list[dict]:
    """The course's modules with their lessons and quizzes, as plain data, ordered by position.
    Built from 3 queries and cached until the course's content changes."""
    from courseware.catalog_cache import local_get

    key = _outline_cache_key(course)
    return local_get(key, lambda: _course_outline_shared(course=course, key=key))


def _course_outline_shared(*, course: Course, key: str) -> list[dict]:
    from django.core.cache import cache

    from courseware.models import Module

    outline = cache.get(key)
    if outline is not None:
        return outline
    modules = {
        m["id"]: {**m, "lessons": [], "quizzes": []}
        for m in Module.objects.filter(course=course)
        .order_by("position")
        .values("id", "slug", "title", "summary", "position")
    }
    for lesson in (
        Lesson.objects.filter(course=course)
        .order_by("position")
        .values("id", "module_id", "slug", "title", "position", "estimated_minutes")
    ):
        modules[lesson.pop("module_id")]["lessons"].append(lesson)
    for quiz in (
        Quiz.objects.filter(course=course)
        .annotate(question_count=Count("questions"))
        .order_by("position")
        .values("id", "module_id", "slug", "title", "position", "pass_percent", "max_attempts", "question_count")
    ):
        modules[quiz.pop("module_id")]["quizzes"].append(quiz)
    outline = list(modules.values())
    cache.set(key, outline, timeout=24 * 3600)
    return outline


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
            if not (standing and standing.passed) and (standing.attempts if standing else 0) < quiz["max_attempts"]:
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
                    "max_attempts": quiz["max_attempts"],
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


# --- Authoring and enrollment management ------------------------------------------------------------
def user_can_author(*, user: User) -> bool:
    """Holds the instructor role, teaches some course, or is an admin: may call authoring endpoints
    (each course still decides whether they may write to it)."""
    from accounts.selectors import user_is_instructor

    return user_is_instructor(user) or (user.is_authenticated and user.taught_courses.exists())


def module_get(*, module_id: int):
    from courseware.models import Module

    return Module.objects.select_related("course").filter(pk=module_id).first()


def course_instructors(*, course: Course) -> QuerySet[User]:
    return course.instructors.order_by("username")


def roster_enrollment_get(*, course: Course, enrollment_id: int) -> Enrollment | None:
    return course_roster(course=course).filter(pk=enrollment_id).first()


def enrollment_events(*, enrollment: Enrollment):
    """An enrollment's audit trail, oldest first, with who acted."""
    from courseware.models import EnrollmentEvent

    return EnrollmentEvent.objects.filter(enrollment=enrollment).select_related("actor").order_by("at", "id")


def course_detail_public(*, course: Course) -> dict:
    """The course page as anyone sees it (no learner state), cached with the outline: every field of
    the catalog entry, the description and the modules. The caller overlays a learner's state."""
    from courseware.catalog_cache import local_get

    key = "detail:" + _outline_cache_key(course)
    return local_get(key, lambda: _course_detail_shared(course=course, key=key))


def course_detail_public_bytes(*, course: Course) -> bytes:
    """``course_detail_public`` rendered to JSON once per process and content version."""
    from drf_orjson_renderer.renderers import ORJSONRenderer

    from courseware.catalog_cache import local_get

    key = "detail-json:" + _outline_cache_key(course)
    return local_get(key, lambda: ORJSONRenderer().render(course_detail_public(course=course)))


def _course_detail_shared(*, course: Course, key: str) -> dict:
    from django.core.cache import cache

    data = cache.get(key)
    if data is not None:
        return data
    outline = course_outline(course=course)
    instructors = [u.display_name for u in course.instructors.all()]
    data = {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "is_published": course.is_published,
        "published_at": course.published_at,
        "estimated_hours": float(course.estimated_hours),
        "sequential": course.sequential,
        "capacity": course.capacity,
        "enrollment_opens_at": course.enrollment_opens_at,
        "enrollment_closes_at": course.enrollment_closes_at,
        "instructors": instructors,
        "module_count": len(outline),
        "lesson_count": sum(len(m["lessons"]) for m in outline),
        "quiz_count": sum(len(m["quizzes"]) for m in outline),
        "created_at": course.created_at,
        "updated_at": course.updated_at,
        "description": course.description,
        "modules": outline_with_learner_state(course=course, outline=outline, snapshot=None),
        "enrollment": None,
    }
    cache.set(key, data, timeout=24 * 3600)
    return data
