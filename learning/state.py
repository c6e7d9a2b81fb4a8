"""One learner's state in one course (enrollment, teaching, certificate, completions, quiz standings),
read in one round trip each, and read ahead with the caller's token when the view says what it
needs (``StateWanted``)."""

import functools
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from accounts.models import User
from accounts.tokens import TOKEN_TABLE, token_sql_params, token_sql_where
from config import rawsql
from courseware.models import Certificate, Course, Enrollment
from lessons.models import Lesson, LessonCompletion
from quizzes.models import Quiz, QuizAttempt, QuizOverride


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
        UNION ALL
        SELECT 'o', {lead}"quiz_id", NULL, CAST(NULL AS {score_type}), "extra_attempts", 0
        FROM "{QuizOverride._meta.db_table}" WHERE "learner_id" = {user} AND "course_id" = {course}
    """  # noqa: S608 (identifiers from model metadata only; every value is a parameter)


def learner_items(
    *, learner_id: int, course_id: int
) -> tuple[dict[int, datetime], dict[int, tuple[float | None, int, int, datetime | None]]]:
    """The learner's completed lessons ``{lesson_id: completed_at}`` and submitted-quiz standings
    ``{quiz_id: (best score, passes, attempts, last submitted[, extra attempts])}`` in one course (the
    fifth item where an override gives the learner extra attempts): one query."""
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
    extra: dict[int, int] = {}
    for kind, item_id, at, best, passes, tries in rows:
        if kind == "l":
            completed[item_id] = rawsql.aware(at)
        elif kind == "o":  # an override: extra attempts for this learner
            extra[item_id] = int(passes)
        else:
            standings[item_id] = (float(best) if best is not None else None, int(passes), int(tries), rawsql.aware(at))
    for quiz_id, attempts in extra.items():
        best, passes, tries, at = standings.get(quiz_id, (None, 0, 0, None))
        standings[quiz_id] = (best, passes, tries, at, attempts)
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
