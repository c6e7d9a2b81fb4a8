"""The data set, loaded with COPY: the big course, the catalog, learners with tokens and enrollments,
and completion rows (loaded in two steps so the progress probe runs at 1,000 rows and at all of them)."""

import hashlib
import random
import secrets
import time
from datetime import UTC, datetime, timedelta

from bench.env import ENV
from bench.floors import FLOOR_DDL

BIG_SLUG = "big-course"
BIG_MODULES, BIG_LESSONS_PER_MODULE = 30, 10
CATALOG_COURSES, CATALOG_MODULES, CATALOG_LESSONS = 200, 3, 4
COMPLETIONS_PER_LEARNER = 10
# The course the completion POSTs write to: 20 modules x 10 lessons, every learner enrolled, none done.
WRITE_SLUG, WRITE_MODULES, WRITE_LESSONS_PER_MODULE = "write-course", 20, 10

# Project code (Django models, services, the Celery app) is imported inside the functions below, not
# here: it can be imported only after django.setup(), which bench.main runs once the environment is set
# and courses_bench is migrated.


WORDS = [
    "pricing",
    "audience",
    "craft",
    "market",
    "value",
    "story",
    "brand",
    "listen",
    "trust",
    "studio",
    "record",
    "release",
    "label",
    "fans",
    "venue",
    "budget",
    "contract",
    "royalty",
    "stream",
    "playlist",
    "merch",
    "tour",
    "press",
    "review",
    "identity",
    "honest",
    "choice",
    "money",
    "art",
    "career",
    "risk",
    "growth",
    "niche",
    "channel",
    "email",
    "launch",
    "feedback",
    "community",
    "patron",
]


def lesson_markdown(rng: random.Random, words: int = 400) -> str:
    """About ``words`` words of Markdown with headings, lists, emphasis, a link and a code block."""
    parts: list[str] = []
    while len(" ".join(parts).split()) < words:
        kind = len(parts) % 4
        sentence = " ".join(rng.choice(WORDS) for _ in range(12))
        if kind == 0:
            parts.append(f"## {sentence[:40].title()}\n\n{sentence.capitalize()}. *{sentence[:30]}* and **more**.")
        elif kind == 1:
            parts.append("\n".join(f"- {' '.join(rng.choice(WORDS) for _ in range(4))}" for _ in range(3)))
        elif kind == 2:
            parts.append(f"{sentence.capitalize()}, see [the notes](https://example.com/notes). > quoted")
        else:
            parts.append(f"```\n{sentence}\n```\n\n{sentence.capitalize()}.")
    return "\n\n".join(parts)


def copy_rows(cur, table: str, cols: list[str], rows) -> int:
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load_dataset(*, learners: int, completions: int, probe) -> dict:
    """COPY the data set in. ``probe(label)`` runs once with 1,000 completion rows in the table and
    once with all of them. Returns ids the benchmark needs and timings."""
    import psycopg
    from django.contrib.auth.hashers import make_password

    from lessons.markdown import render_markdown

    rng = random.Random(42)
    now = datetime.now(UTC)
    ts = now.isoformat()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    big_md = lesson_markdown(rng)
    big_html = render_markdown(big_md)  # rendered once, reused for every lesson
    small_md = lesson_markdown(rng, 80)
    small_html = render_markdown(small_md)
    password = make_password("bench-password-not-secret")
    info: dict = {"big_words": len(big_md.split())}
    with psycopg.connect(ENV["DATABASE_URL"]) as conn, conn.cursor() as cur:
        # Courses: id 1 is the big course, then the catalog.
        course_cols = [
            "id", "created_at", "updated_at", "slug", "title", "summary", "description", "is_published",
            "published_at", "estimated_hours", "sequential", "content_version", "module_count", "lesson_count",
            "quiz_count", "published_version",
        ]  # fmt: skip
        # COPY bypasses the services, which keep the counts the catalog shows on the course row
        # (courseware.structure.counts): the rows below carry the counts of what is loaded after them.
        courses = [
            (1, ts, ts, BIG_SLUG, "The Big Course", "Thirty modules of ten lessons.", "", True, ts, 50, False, 1,
             BIG_MODULES, BIG_MODULES * BIG_LESSONS_PER_MODULE, BIG_MODULES)
        ]  # fmt: skip
        for i in range(CATALOG_COURSES):
            title = f"Course {i + 1:03d}: {' '.join(rng.choice(WORDS) for _ in range(3)).title()}"
            summary = " ".join(rng.choice(WORDS) for _ in range(15))
            courses.append(
                (i + 2, ts, ts, f"course-{i + 1:03d}", title, summary, "", True, ts, 3, False, 1, CATALOG_MODULES,
                 CATALOG_MODULES * CATALOG_LESSONS, 0)
            )  # fmt: skip
        write_course_id = CATALOG_COURSES + 2
        courses.append(
            (write_course_id, ts, ts, WRITE_SLUG, "The Write Course", "Twenty modules of ten lessons.", "", True, ts,
             30, False, 1, WRITE_MODULES, WRITE_MODULES * WRITE_LESSONS_PER_MODULE, 0)
        )  # fmt: skip
        # published_version 0: nothing published yet; every course is published below, once its content is in
        copy_rows(cur, "courseware_course", course_cols, [(*row, 0) for row in courses])
        module_cols = ["id", "created_at", "updated_at", "slug", "title", "summary", "position", "course_id"]
        lesson_cols = [
            "id", "created_at", "updated_at", "slug", "title", "body_markdown", "body_html", "estimated_minutes",
            "position", "course_id", "module_id",
        ]  # fmt: skip
        modules, lessons, big_lessons, write_lessons = [], [], [], []
        mid = lid = 0
        for course_id, n_mod, n_les, md_, html in (
            [(1, BIG_MODULES, BIG_LESSONS_PER_MODULE, big_md, big_html)]
            + [(c, CATALOG_MODULES, CATALOG_LESSONS, small_md, small_html) for c in range(2, CATALOG_COURSES + 2)]
            + [(write_course_id, WRITE_MODULES, WRITE_LESSONS_PER_MODULE, small_md, small_html)]
        ):
            for m in range(1, n_mod + 1):
                mid += 1
                modules.append((mid, ts, ts, f"module-{m}", f"Module {m}", "", m, course_id))
                for p in range(1, n_les + 1):
                    lid += 1
                    lessons.append((lid, ts, ts, f"m{m}-l{p}", f"Lesson {m}.{p}", md_, html, 2, p, course_id, mid))
                    if course_id == 1:
                        big_lessons.append(lid)
                    elif course_id == write_course_id:
                        write_lessons.append(lid)
        copy_rows(cur, "courseware_module", module_cols, modules)
        copy_rows(cur, "lessons_lesson", lesson_cols, lessons)
        # One quiz per module of the big course: 4 questions, single and multiple choice.
        quiz_cols = [
            "id", "created_at", "updated_at", "slug", "title", "description", "position", "pass_percent",
            "max_attempts", "scoring", "reveal_answers", "shuffle", "course_id", "module_id", "key_version",
        ]  # fmt: skip
        quizzes, questions, choices, answer_key = [], [], [], {}
        qid = cid = 0
        for m in range(1, BIG_MODULES + 1):
            quizzes.append(
                (m, ts, ts, f"quiz-{m}", f"Quiz {m}", "", 1, 70, 1000, "all_or_nothing",
                 "after_pass_or_last_attempt", False, 1, m, 0)
            )  # fmt: skip
            for qp in range(1, 5):
                qid += 1
                kind = "single" if qp % 2 else "multiple"
                questions.append((qid, f"Question {qp} of quiz {m}?", kind, qp, m, "[]", 1))
                correct = {1} if kind == "single" else {1, 3}
                ids = []
                for cp in range(1, 5):
                    cid += 1
                    choices.append((cid, f"Choice {cp}", cp in correct, "", cp, qid, "choice"))
                    if cp in correct:
                        ids.append(cid)
                answer_key.setdefault(m, []).append({"question": qid, "choices": ids})
        copy_rows(cur, "quizzes_quiz", quiz_cols, quizzes)
        copy_rows(
            cur, "quizzes_question", ["id", "text", "kind", "position", "quiz_id", "accepted", "points"], questions
        )
        copy_rows(
            cur,
            "quizzes_choice",
            ["id", "text", "is_correct", "explanation", "position", "question_id", "role"],
            choices,
        )
        conn.commit()
        cur.execute(
            "SELECT count(*) FROM courseware_course c WHERE module_count <> (SELECT count(*) FROM courseware_module m "
            "WHERE m.course_id = c.id) OR lesson_count <> (SELECT count(*) FROM lessons_lesson l WHERE l.course_id = "
            "c.id) OR quiz_count <> (SELECT count(*) FROM quizzes_quiz q WHERE q.course_id = c.id)"
        )
        assert cur.fetchone()[0] == 0, "the courses' counts differ from their rows"
        # Learners read published versions: publish every course once, as its first version (the rows
        # came in by COPY, past the authoring services).
        from courseware.models import Course
        from courseware.versions.services import version_publish

        for course in Course.objects.all():
            version_publish(course=course, actor=None, checked=False)
        timings["content"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        user_cols = [
            "id", "password", "is_superuser", "username", "first_name", "last_name", "is_staff", "is_active",
            "date_joined", "email", "email_reminders", "updated_at", "name",
        ]  # fmt: skip
        copy_rows(
            cur,
            "accounts_user",
            user_cols,
            (
                (i, password, False, f"bench-{i}", "", "", False, True, ts, f"bench-{i}@example.com", True, ts, "")
                for i in range(1, learners + 1)
            ),
        )
        tokens = [secrets.token_hex(20) for _ in range(learners)]
        # Tokens are stored as digests (accounts.tokens); the bench keeps the keys to send.
        copy_rows(
            cur,
            "accounts_authtoken",
            ["digest", "user_id", "client", "created_at"],
            ((hashlib.sha256(tokens[i - 1].encode()).hexdigest(), i, "bench", ts) for i in range(1, learners + 1)),
        )
        enr_cols = [
            "id", "created_at", "updated_at", "status", "enrolled_at", "progress", "completed_items",
            "progress_version", "course_id", "learner_id",
        ]  # fmt: skip
        copy_rows(
            cur,
            "courseware_enrollment",
            enr_cols,
            ((i, ts, ts, "active", ts, 0, 0, 0, 1, i) for i in range(1, learners + 1)),
        )
        copy_rows(
            cur,
            "courseware_enrollment",
            enr_cols,
            ((learners + i, ts, ts, "active", ts, 0, 0, 0, write_course_id, i) for i in range(1, learners + 1)),
        )
        cur.execute(FLOOR_DDL)
        conn.commit()
        timings["users"] = time.perf_counter() - t1

        # Completions: learner i completed the first lessons of the big course.
        stamps = [(now - timedelta(minutes=k * 37)).isoformat() for k in range(1000)]
        per = COMPLETIONS_PER_LEARNER
        n_learners = min(learners, completions // per)

        def completion_rows(first: int, last: int):
            for i in range(first, last + 1):
                for k in range(per):
                    row_id = (i - 1) * per + k + 1
                    yield (row_id, stamps[row_id % 1000], 1, i, big_lessons[k])

        comp_cols = ["id", "completed_at", "course_id", "learner_id", "lesson_id"]
        t2 = time.perf_counter()
        small_learners = 1000 // per
        copy_rows(cur, "lessons_lessoncompletion", comp_cols, completion_rows(1, small_learners))
        conn.commit()
        timings["completions_1k"] = time.perf_counter() - t2
        timings["vacuum_analyze_1k"] = _analyze(conn)
        info["probe_small"] = probe(cur_rows=_count(conn, "lessons_lessoncompletion"))
        t3 = time.perf_counter()
        copy_rows(cur, "lessons_lessoncompletion", comp_cols, completion_rows(small_learners + 1, n_learners))
        conn.commit()
        timings["completions_rest"] = time.perf_counter() - t3
        for table in [
            "courseware_course", "courseware_module", "lessons_lesson", "quizzes_quiz", "quizzes_question",
            "quizzes_choice", "accounts_user", "courseware_enrollment", "lessons_lessoncompletion",
        ]:  # fmt: skip
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        conn.commit()
        timings["vacuum_analyze"] = _analyze(conn)
        info["probe_big"] = probe(cur_rows=_count(conn, "lessons_lessoncompletion"))
        info["counts"] = {
            t: _count(conn, t)
            for t in [
                "courseware_course", "lessons_lesson", "quizzes_quiz", "accounts_user", "accounts_authtoken",
                "courseware_enrollment", "lessons_lessoncompletion",
            ]
        }  # fmt: skip
    info["load_seconds"] = (
        timings["content"] + timings["users"] + timings["completions_1k"] + timings["completions_rest"]
    )
    info["timings"] = timings
    info["tokens"] = tokens
    info["big_lessons"] = big_lessons
    info["write_lessons"] = write_lessons
    info["answer_key"] = answer_key
    return info


def _analyze(conn) -> float:
    t = time.perf_counter()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False
    return time.perf_counter() - t


def _count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
