"""Load benchmark of the production stack: `make bench` (full) or `bench/run.py --quick` (smoke).

Creates the PostgreSQL database ``courses_bench``, loads a data set with COPY, starts gunicorn
(config/gunicorn.conf.py, serving bench/floor_wsgi.py: the production app plus one authenticated-floor
route) and a Celery worker on loopback, drives the learner endpoints with wrk (each one right after a
/livez ceiling run, authenticated ones also after an authenticated-floor run), reads the CPU each
request cost by process, measures progress against table size, Celery throughput and worker RSS over
a soak, and writes bench/results.md. Every figure comes from the run.
"""

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
VENV_BIN = ROOT / ".venv" / "bin"
MAIL_DIR = OUT / "mail"
DB_NAME = "courses_bench"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS_CACHE = "redis://127.0.0.1:6379/8"
REDIS_BROKER = "redis://127.0.0.1:6379/9"
BIG_SLUG = "big-course"
BIG_MODULES, BIG_LESSONS_PER_MODULE = 30, 10
CATALOG_COURSES, CATALOG_MODULES, CATALOG_LESSONS = 200, 3, 4
COMPLETIONS_PER_LEARNER = 10
HIGH = "1000000/minute"

ENV = {
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "REDIS_URL": REDIS_CACHE,
    "CELERY_BROKER_URL": REDIS_BROKER,
    "SECRET_KEY": "bench-" + secrets.token_hex(24),
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "THROTTLE_ANON": HIGH,
    "THROTTLE_USER": HIGH,
    "THROTTLE_LOGIN": HIGH,
    "THROTTLE_REGISTER": HIGH,
    "THROTTLE_QUIZ_SUBMIT": HIGH,
    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "EMAIL_FILE_PATH": str(MAIL_DIR),
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


# --- Data set ------------------------------------------------------------------------------------
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


def reset_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


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
            "published_at", "estimated_hours", "sequential", "content_version",
        ]  # fmt: skip
        courses = [
            (1, ts, ts, BIG_SLUG, "The Big Course", "Thirty modules of ten lessons.", "", True, ts, 50, False, 1)
        ]
        for i in range(CATALOG_COURSES):
            title = f"Course {i + 1:03d}: {' '.join(rng.choice(WORDS) for _ in range(3)).title()}"
            summary = " ".join(rng.choice(WORDS) for _ in range(15))
            courses.append((i + 2, ts, ts, f"course-{i + 1:03d}", title, summary, "", True, ts, 3, False, 1))
        copy_rows(cur, "courseware_course", course_cols, courses)
        module_cols = ["id", "created_at", "updated_at", "slug", "title", "summary", "position", "course_id"]
        lesson_cols = [
            "id", "created_at", "updated_at", "slug", "title", "body_markdown", "body_html", "estimated_minutes",
            "position", "course_id", "module_id",
        ]  # fmt: skip
        modules, lessons, big_lessons = [], [], []
        mid = lid = 0
        for course_id, n_mod, n_les, md_, html in [(1, BIG_MODULES, BIG_LESSONS_PER_MODULE, big_md, big_html)] + [
            (c, CATALOG_MODULES, CATALOG_LESSONS, small_md, small_html) for c in range(2, CATALOG_COURSES + 2)
        ]:
            for m in range(1, n_mod + 1):
                mid += 1
                modules.append((mid, ts, ts, f"module-{m}", f"Module {m}", "", m, course_id))
                for p in range(1, n_les + 1):
                    lid += 1
                    lessons.append((lid, ts, ts, f"m{m}-l{p}", f"Lesson {m}.{p}", md_, html, 2, p, course_id, mid))
                    if course_id == 1:
                        big_lessons.append(lid)
        copy_rows(cur, "courseware_module", module_cols, modules)
        copy_rows(cur, "lessons_lesson", lesson_cols, lessons)
        # One quiz per module of the big course: 4 questions, single and multiple choice.
        quiz_cols = [
            "id", "created_at", "updated_at", "slug", "title", "description", "position", "pass_percent",
            "max_attempts", "scoring", "reveal_answers", "shuffle", "course_id", "module_id",
        ]  # fmt: skip
        quizzes, questions, choices, answer_key = [], [], [], {}
        qid = cid = 0
        for m in range(1, BIG_MODULES + 1):
            quizzes.append(
                (m, ts, ts, f"quiz-{m}", f"Quiz {m}", "", 1, 70, 1000, "all_or_nothing",
                 "after_pass_or_last_attempt", False, 1, m)
            )  # fmt: skip
            for qp in range(1, 5):
                qid += 1
                kind = "single" if qp % 2 else "multiple"
                questions.append((qid, f"Question {qp} of quiz {m}?", kind, qp, m))
                correct = {1} if kind == "single" else {1, 3}
                ids = []
                for cp in range(1, 5):
                    cid += 1
                    choices.append((cid, f"Choice {cp}", cp in correct, "", cp, qid))
                    if cp in correct:
                        ids.append(cid)
                answer_key.setdefault(m, []).append({"question": qid, "choices": ids})
        copy_rows(cur, "quizzes_quiz", quiz_cols, quizzes)
        copy_rows(cur, "quizzes_question", ["id", "text", "kind", "position", "quiz_id"], questions)
        copy_rows(
            cur, "quizzes_choice", ["id", "text", "is_correct", "explanation", "position", "question_id"], choices
        )
        conn.commit()
        timings["content"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        user_cols = [
            "id", "password", "is_superuser", "username", "first_name", "last_name", "is_staff", "is_active",
            "date_joined", "email", "email_reminders", "updated_at",
        ]  # fmt: skip
        copy_rows(
            cur,
            "accounts_user",
            user_cols,
            (
                (i, password, False, f"bench-{i}", "", "", False, True, ts, f"bench-{i}@example.com", True, ts)
                for i in range(1, learners + 1)
            ),
        )
        tokens = [secrets.token_hex(20) for _ in range(learners)]
        copy_rows(
            cur,
            "authtoken_token",
            ["key", "created", "user_id"],
            ((tokens[i - 1], ts, i) for i in range(1, learners + 1)),
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
                "courseware_course", "lessons_lesson", "quizzes_quiz", "accounts_user", "authtoken_token",
                "courseware_enrollment", "lessons_lessoncompletion",
            ]
        }  # fmt: skip
    info["load_seconds"] = (
        timings["content"] + timings["users"] + timings["completions_1k"] + timings["completions_rest"]
    )
    info["timings"] = timings
    info["tokens"] = tokens
    info["big_lessons"] = big_lessons
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


def progress_probe(*, calls: int):
    """Time ``courseware.selectors.progress_snapshot`` for learner 1 (10 completions) in-process."""

    def probe(*, cur_rows: int) -> dict:
        from django.db import connection

        from learning.progress.selectors import progress_snapshot

        progress_snapshot(learner_id=1, course_id=1)  # connect and warm up
        batches = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(calls):
                snap = progress_snapshot(learner_id=1, course_id=1)
            batches.append((time.perf_counter() - t) / calls * 1000)
        assert snap.completed_lessons == COMPLETIONS_PER_LEARNER, snap
        connection.close()
        return {"rows": cur_rows, "ms_per_call": min(batches), "ms_median_batch": statistics.median(batches)}

    return probe


# --- Processes ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stats():
    """(pid, command name, the fields of /proc/<pid>/stat after the name) of every process now."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        yield int(entry.name), stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()


def children_of(pid: int) -> list[int]:
    return [kid for kid, _, fields in proc_stats() if int(fields[1]) == pid]


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def stop(proc: subprocess.Popen | None, name: str) -> None:
    if proc is None or proc.poll() is not None:
        return
    kids = children_of(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop on SIGTERM; SIGKILL")
        proc.kill()
        proc.wait(timeout=10)
    for kid in kids:
        try:
            os.kill(kid, 0)
        except OSError:
            continue
        os.kill(kid, signal.SIGKILL)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (http://127.0.0.1 only)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


# --- CPU accounting ------------------------------------------------------------------------------
CPU_GROUPS = ("gunicorn", "postgres", "redis", "celery", "wrk", "rest")


def cpu_snapshot(*, gunicorn_pid: int, worker_pid: int) -> dict:
    """CPU seconds used so far by each live process of interest, by pid with its group; the whole
    machine's busy seconds; wrk's (it has exited by the time its run is read: this script's children)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[str, float]] = {}
    for pid, comm, fields in proc_stats():
        ppid, secs = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if gunicorn_pid in (pid, ppid):
            procs[pid] = ("gunicorn", secs)
        elif worker_pid in (pid, ppid):
            procs[pid] = ("celery", secs)
        elif comm.startswith("postgres"):
            procs[pid] = ("postgres", secs)
        elif comm.startswith("redis-server"):
            procs[pid] = ("redis", secs)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    busy = sum(int(v) for i, v in enumerate(cpu[:8]) if i not in (3, 4)) / tick
    return {"procs": procs, "wrk": children.ru_utime + children.ru_stime, "machine": busy}


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request by group (a process that exited in between is not counted; one
    that started counts whole); "rest" is the machine's busy time nobody above used (the kernel's
    network work outside those processes, this script, anything else running)."""
    secs = dict.fromkeys(CPU_GROUPS, 0.0)
    for pid, (group, used) in after["procs"].items():
        secs[group] += used - before["procs"].get(pid, (group, 0.0))[1]
    secs["wrk"] = after["wrk"] - before["wrk"]
    secs["machine"] = after["machine"] - before["machine"]
    secs["rest"] = secs["machine"] - sum(secs[k] for k in CPU_GROUPS if k != "rest")
    return {k: v * 1000 / max(1, requests) for k, v in secs.items()}


# --- wrk ----------------------------------------------------------------------------------------
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(out: str) -> dict:
    res: dict = {"raw": out}
    res["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for pct in ("50", "99"):
        res[f"p{pct}"] = _ms(re.search(rf"\s{pct}%\s+(\S+)", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"STATUS 2xx=(\d+) 409=(\d+) 4xx=(\d+) 5xx=(\d+) other=(\d+)", out)
    res["status"] = dict(zip(["2xx", "409", "4xx", "5xx", "other"], map(int, m.groups()), strict=True)) if m else {}
    return res


def run_wrk(base: str, requests_file: Path, tokens_file: str, seconds: int, *, conns: int = 32, threads: int = 2,
            pause_ms: int = 0, pids: dict[str, int] | None = None) -> dict:  # fmt: skip
    """One wrk run; with ``pids`` (gunicorn_pid, worker_pid) also the CPU it cost per request."""
    cmd = [
        "wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(BENCH / "wrk.lua"),
        base, "--", tokens_file, str(requests_file), str(pause_ms),
    ]  # fmt: skip
    before = cpu_snapshot(**pids) if pids else None
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    res = parse_wrk(out)
    res["cmd"] = " ".join(cmd)
    if before is not None:
        res["cpu_ms"] = cpu_per_request(before, cpu_snapshot(**pids), res["requests"])
    return res


# --- Measurements -------------------------------------------------------------------------------
def broker():
    import redis

    return redis.Redis.from_url(REDIS_BROKER)


def queue_depth(r) -> int:
    return r.llen("progress") + r.llen("default") + r.llen("email") + r.hlen("unacked")


def wait_drained(r, timeout: float) -> float:
    t = time.perf_counter()
    while queue_depth(r) and time.perf_counter() - t < timeout:
        time.sleep(0.05)
    return time.perf_counter() - t


def _paused(queue: str):
    """Cancel the worker's consumer of ``queue`` (work piles up as a backlog); returns resume()."""
    from config.celery import app

    replies = app.control.cancel_consumer(queue, reply=True, limit=1, timeout=5)
    time.sleep(1)

    def resume() -> float:
        t = time.perf_counter()
        app.control.add_consumer(queue, reply=False)
        return t

    return replies, resume


def completion_events(*, learners: int, lessons: list[int]) -> dict:
    """Real completion events: ``lesson_completion_record`` (what POST .../complete/ calls) for
    learners 1..N × ``lessons`` they have not completed, round-robin over learners, recorded while the
    worker does not consume ``progress``; then the worker drains the backlog. Each event's task
    carries the enrollment's activity number, so one recompute per learner covers its later events."""
    from django.db.models import F

    from accounts.models import User
    from courseware.models import Enrollment
    from lessons.models import Lesson
    from lessons.services import lesson_completion_record

    r = broker()
    users = User.objects.in_bulk(list(range(1, learners + 1)))
    enrollments = {e.learner_id: e for e in Enrollment.objects.filter(course_id=1, learner_id__lte=learners)}
    lesson_objs = Lesson.objects.in_bulk(lessons)
    wait_drained(r, 300)
    _, resume = _paused("progress")
    t = time.perf_counter()
    created = 0
    for lesson_id in lessons:
        for learner_id in range(1, learners + 1):
            _, new = lesson_completion_record(
                learner=users[learner_id], lesson=lesson_objs[lesson_id], enrollment=enrollments[learner_id]
            )
            created += new
    record_s = time.perf_counter() - t
    queued = r.llen("progress")
    t = resume()
    time.sleep(0.05)
    wait_drained(r, 900)
    drain = time.perf_counter() - t
    stale = Enrollment.objects.filter(course_id=1, learner_id__lte=learners, progress_seq__lt=F("activity_seq")).count()
    log(f"completion events: {created} recorded in {record_s:.1f}s, {queued} queued, drained in {drain:.1f}s")
    return {
        "events": created,
        "learners": len(enrollments),
        "record_s": record_s,
        "queued_before_start": queued,
        "drain_s": drain,
        "per_s": queued / drain,
        "stale_after": stale,
    }


FINISH_SLUG = "finish-course"


def load_finish_course(*, learners: int) -> int:
    """A small course (1 module × 3 lessons, no quiz) where learners 1..N have done 2 of 3 lessons."""
    from django.db import transaction

    from courseware.models import Course, Enrollment, Module
    from lessons.markdown import render_markdown
    from lessons.models import Lesson, LessonCompletion

    with transaction.atomic():
        course = Course.objects.create(
            slug=FINISH_SLUG, title="The Finishing Course", summary="Three short lessons.", is_published=True,
            published_at=datetime.now(UTC),
        )  # fmt: skip
        module = Module.objects.create(course=course, slug="only", title="Only module", position=1)
        body = "Read this, then mark it done."
        html = render_markdown(body)
        lessons = []
        for p in (1, 2, 3):
            lessons.append(
                Lesson.objects.create(
                    course=course, module=module, slug=f"l{p}", title=f"Lesson {p}", position=p,
                    body_markdown=body, body_html=html, estimated_minutes=1,
                )
            )  # fmt: skip
        Enrollment.objects.bulk_create(
            Enrollment(course=course, learner_id=i, status=Enrollment.Status.ACTIVE) for i in range(1, learners + 1)
        )
        LessonCompletion.objects.bulk_create(
            LessonCompletion(course=course, learner_id=i, lesson=lesson)
            for i in range(1, learners + 1)
            for lesson in lessons[:2]
        )
    return course.pk


def count_sent_mail(mail_dir: Path, subject: str) -> dict[str, int]:
    """Messages the file email backend wrote whose subject is ``subject``: recipient -> count."""
    import email
    from email import policy

    counts: dict[str, int] = {}
    for f in sorted(mail_dir.glob("*.log")):
        # The file backend writes each message followed by a line of 79 dashes.
        for raw in f.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not raw.strip():
                continue
            msg = email.message_from_bytes(raw, policy=policy.default)
            if str(msg["Subject"] or "") == subject:
                to = str(msg["To"])
                counts[to] = counts.get(to, 0) + 1
    return counts


def finish_at_once(*, course_id: int, learners: int, mail_dir: Path) -> dict:
    """Learners 1..N complete the last lesson of the finishing course while the worker does not
    consume ``progress``; then it does: time until every certificate is issued and every certificate
    email sent (the file email backend's output is counted: none missing, none doubled)."""
    from accounts.models import User
    from courseware.models import Certificate, Course, Enrollment
    from lessons.models import Lesson
    from lessons.services import lesson_completion_record

    r = broker()
    course = Course.objects.get(pk=course_id)
    last = Lesson.objects.get(course_id=course_id, position=3)
    users = User.objects.in_bulk(list(range(1, learners + 1)))
    enrollments = {e.learner_id: e for e in Enrollment.objects.filter(course_id=course_id)}
    wait_drained(r, 300)
    _, resume = _paused("progress")
    t = time.perf_counter()
    for i in range(1, learners + 1):
        lesson_completion_record(learner=users[i], lesson=last, enrollment=enrollments[i])
    record_s = time.perf_counter() - t
    t0 = resume()
    certs_s = emails_s = None
    deadline = t0 + 900
    while time.perf_counter() < deadline:
        certs = Certificate.objects.filter(course_id=course_id).count()
        sent = _sent_certificate_emails(course_id)
        now = time.perf_counter()
        if certs_s is None and certs >= learners:
            certs_s = now - t0
        if sent >= learners:
            emails_s = now - t0
            break
        time.sleep(0.1)
    wait_drained(r, 120)
    subject = f"Your certificate for {course.title}"
    mail = count_sent_mail(mail_dir, subject)
    expected = {users[i].email for i in range(1, learners + 1)}
    result = {
        "learners": learners,
        "record_s": record_s,
        "certificates_s": certs_s,
        "emails_s": emails_s,
        "certificates": Certificate.objects.filter(course_id=course_id).count(),
        "completed_enrollments": Enrollment.objects.filter(
            course_id=course_id, status=Enrollment.Status.COMPLETED
        ).count(),
        "emails_rows_sent": _sent_certificate_emails(course_id),
        "mail_messages": sum(mail.values()),
        "mail_missing": len(expected - set(mail)),
        "mail_doubled": sum(1 for v in mail.values() if v > 1),
        "mail_unexpected": len(set(mail) - expected),
    }
    log(f"finish at once: {result}")
    return result


def _sent_certificate_emails(course_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM notifications_outboundemail e JOIN courseware_certificate c "
            "ON e.key = 'certificate:' || c.code WHERE c.course_id = %s AND e.status = 'sent'",
            [course_id],
        )
        return cur.fetchone()[0]


def celery_throughput(*, tasks: int, learners: int) -> dict:
    from bench.noop import noop
    from config.celery import app
    from courseware.models import Enrollment
    from learning.progress.tasks import recompute_enrollment_progress

    r = broker()
    ids = list(Enrollment.objects.filter(learner_id__lte=learners, course_id=1).values_list("pk", flat=True))
    result = {"tasks": tasks, "learners": len(ids)}
    for name, task, args in [
        ("recompute_enrollment_progress", recompute_enrollment_progress, lambda i: [ids[i % len(ids)]]),
        ("noop", noop, lambda i: [i]),
    ]:
        wait_drained(r, 300)
        replies, resume = _paused("progress")
        te = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for i in range(tasks):
                task.apply_async(args(i), queue="progress", producer=producer)
        enqueue_s = time.perf_counter() - te
        queued = r.llen("progress")
        t = resume()
        time.sleep(0.05)
        wait_drained(r, 900)
        drain = time.perf_counter() - t
        result[name] = {
            "enqueue_s": enqueue_s,
            "queued_before_start": queued,
            "drain_s": drain,
            "per_s": queued / drain,
            "cancel_replies": len(replies or []),
        }
        log(f"celery {name}: {queued} queued tasks drained in {drain:.1f}s ({queued / drain:.0f}/s)")
    result["ratio"] = result["recompute_enrollment_progress"]["per_s"] / result["noop"]["per_s"]
    return result


PROFILE_FOCUS = (
    r"(?:^|/)(courseware|lessons|quizzes|accounts|config)/|rest_framework/(authentication|throttling|permissions"
    r"|renderers|views)|django/db/(backends/utils|models/query\.py)|psycopg/cursor|django_redis/client|authtoken"
)


def profile_endpoints(token: str, lesson_id: int, quiz_id: int, answers: list, n: int) -> dict:
    """Queries per request and a cProfile of the outline and lesson paths, in-process (test Client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    auth = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    anon = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    paths = {
        "GET /api/courses/ (anonymous)": lambda: anon.get("/api/courses/"),
        f"GET /api/courses/{BIG_SLUG}/ (anonymous)": lambda: anon.get(f"/api/courses/{BIG_SLUG}/"),
        f"GET /api/courses/{BIG_SLUG}/ (enrolled)": lambda: auth.get(f"/api/courses/{BIG_SLUG}/"),
        f"GET /api/lessons/{lesson_id}/": lambda: auth.get(f"/api/lessons/{lesson_id}/"),
        f"GET /api/courses/{BIG_SLUG}/progress/": lambda: auth.get(f"/api/courses/{BIG_SLUG}/progress/"),
        f"POST /api/lessons/{lesson_id}/complete/": lambda: auth.post(f"/api/lessons/{lesson_id}/complete/"),
        f"POST /api/quizzes/{quiz_id}/attempts/": lambda: auth.post(
            f"/api/quizzes/{quiz_id}/attempts/", data=json.dumps({"answers": answers}), content_type="application/json"
        ),
    }
    out: dict = {"queries": {}, "profiles": {}}
    for label, call in paths.items():
        call()  # warm (cache, connection)
        with CaptureQueriesContext(connection) as ctx:
            resp = call()
        out["queries"][label] = {"status": resp.status_code, "queries": len(ctx.captured_queries)}
    from courseware.models import Enrollment
    from learning.progress.services import enrollment_progress_recompute

    enrollment_id = Enrollment.objects.filter(learner_id=2, course_id=1).values_list("pk", flat=True).get()
    enrollment_progress_recompute(enrollment_id=enrollment_id)
    with CaptureQueriesContext(connection) as ctx:
        enrollment_progress_recompute(enrollment_id=enrollment_id)
    t = time.perf_counter()
    for _ in range(n):
        enrollment_progress_recompute(enrollment_id=enrollment_id)
    out["recompute"] = {"queries": len(ctx.captured_queries), "ms": (time.perf_counter() - t) / n * 1000, "n": n}
    for label in (f"GET /api/courses/{BIG_SLUG}/ (enrolled)", f"GET /api/lessons/{lesson_id}/"):
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        for _ in range(n):
            paths[label]()
        prof.disable()
        per = (time.perf_counter() - t) / n * 1000
        parts = []
        for sort, restrict in (("cumulative", [PROFILE_FOCUS, 25]), ("tottime", [15])):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats(sort).print_stats(*restrict)
            text = buf.getvalue()
            text = text[text.find("ncalls") :] if "ncalls" in text else text
            text = text.replace(str(ROOT / ".venv" / "lib" / "python3.12" / "site-packages") + "/", "")
            parts.append(
                f"# by {sort}" + (" (app code, DRF auth/throttling, DB, cache)" if sort == "cumulative" else "")
            )
            parts.append(text.replace(str(ROOT) + "/", "").rstrip())
        out["profiles"][label] = {"ms_per_request_profiled": per, "n": n, "top": "\n".join(parts)}
    connection.close()
    return out


# --- Environment --------------------------------------------------------------------------------
def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def select1_ms(n: int = 1000) -> float:
    import psycopg

    with psycopg.connect(f"{PG}/postgres") as conn:
        t = time.perf_counter()
        for _ in range(n):
            conn.execute("SELECT 1").fetchone()
        return (time.perf_counter() - t) / n * 1000


def versions() -> dict:
    import celery
    import django
    import gunicorn
    import psycopg
    import rest_framework

    with psycopg.connect(f"{PG}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = broker().info("server")["redis_version"]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_v = (wrk.stdout + wrk.stderr).strip().splitlines()[0]
    return {
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "DRF": rest_framework.VERSION,
        "Celery": celery.__version__,
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
        "PostgreSQL": pg,
        "Redis": redis_version,
        "wrk": wrk_v,
    }


# --- Report -------------------------------------------------------------------------------------
def fmt_ms(v: float) -> str:
    return f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"


def table(rows: list[dict]) -> str:
    head = (
        "| endpoint | req/s | p50 | p99 | errors | ratio to adjacent /livez | target | met? "
        "| ratio to adjacent auth floor |\n"
    )
    head += "|---|---:|---:|---:|---|---:|---|---|---:|\n"
    lines = []
    for r in rows:
        res, ceil = r["res"], r["ceiling"]
        ratio = res["rps"] / ceil["rps"]
        p99_ok = res["p99"] <= 5 * ceil["p99"]
        met = ratio >= r["target"] and p99_ok
        st = res["status"]
        err = f"non-2xx {res['non2xx']}"
        if st.get("409"):
            err += f" (409: {st['409']}, accepted)"
        err += f"; other 4xx {st.get('4xx', 0)}, 5xx {st.get('5xx', 0)}; socket {res['socket_errors']}"
        why = "" if met else (" (ratio)" if not ratio >= r["target"] else "") + ("" if p99_ok else " (p99)")
        lines.append(
            f"| {r['label']} | {res['rps']:.0f} | {fmt_ms(res['p50'])} | {fmt_ms(res['p99'])} | {err} | "
            f"{ratio:.2f} (livez {ceil['rps']:.0f}/s, p99 {fmt_ms(ceil['p99'])}) | ≥ {r['target']}, "
            f"p99 ≤ {fmt_ms(5 * ceil['p99'])} | {'yes' if met else 'no' + why} | "
            + (f"{res['rps'] / floor['rps']:.2f} (floor {floor['rps']:.0f}/s) |" if (floor := r["floor"]) else "— |")
        )
    return head + "\n".join(lines) + "\n"


def floor_notes(rows: list[dict], *, noop_per_s: float) -> list[str]:
    """What the authenticated floor and the Celery worker's own rate say about the targets."""
    floors = [r["floor"]["rps"] / r["ceiling"]["rps"] for r in rows if r["floor"]]
    writes = [r for r in rows if r["label"].startswith("POST")]
    read_targets = [r["target"] for r in rows if r["floor"] and not r["label"].startswith("POST")]
    if not floors:
        return []
    asked = ", ".join(
        f"{r['label'].split()[1]} {r['target'] * r['ceiling']['rps']:.0f}/s (measured {r['res']['rps']:.0f}/s)"
        for r in writes
    )
    return [
        "The **authenticated floor** is `GET /bench/auth-floor` (`bench/floor_wsgi.py`): a DRF view with the "
        "project's default token authentication, permission and throttles answering a two-key object, served "
        "by the same gunicorn. It is what every learner endpoint pays before its own work. It ran at "
        f"{min(floors):.2f}-{max(floors):.2f} of the adjacent `/livez`; the targets for authenticated reads "
        f"are {min(read_targets)}-{max(read_targets)}.",
        "",
        "Each write queues one progress task (Celery tracks progress, by design). The targets ask for "
        f"{asked}, each with its task; this machine's Celery worker runs {noop_per_s:.0f} no-op tasks/s "
        "(below), on the same two cores.",
        "",
    ]


def cpu_table(rows: list[dict]) -> list[str]:
    """CPU milliseconds per request by process group: /livez and the floor averaged over their runs."""

    def mean(runs: list[dict]) -> dict[str, float]:
        return {k: statistics.fmean(r["cpu_ms"][k] for r in runs) for k in runs[0]["cpu_ms"]}

    lines = [
        "| run | gunicorn | PostgreSQL | Redis | Celery | wrk | rest | machine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    shown = [(f"GET /livez (mean of {len(rows)} runs)", mean([r["ceiling"] for r in rows]))]
    floors = [r["floor"] for r in rows if r["floor"]]
    if floors:
        shown.append((f"GET /bench/auth-floor (mean of {len(floors)} runs)", mean(floors)))
    shown += [(r["label"], r["res"]["cpu_ms"]) for r in rows]
    for label, ms in shown:
        lines.append(f"| {label} | " + " | ".join(f"{ms[k]:.2f}" for k in (*CPU_GROUPS, "machine")) + " |")
    return [
        "### CPU per request",
        "",
        "CPU milliseconds each request cost, by process, read from `/proc` around each wrk run above (wrk's "
        "own from this script's children; `rest` is the machine's busy time outside these processes: the "
        "kernel's network work, anything else running). Two cores give 2,000 CPU ms per second, so "
        "`machine` ≈ 2,000 ÷ req/s when the cores are saturated.",
        "",
        *lines,
        "",
    ]


def _secs(v: float | None) -> str:
    return "**not reached** (15-minute limit)" if v is None else f"**{v:.1f} s**"


def slope_kb_per_min(samples: list[tuple[float, int]]) -> float:
    if len(samples) < 2:
        return 0.0
    xs = [s[0] / 60 for s in samples]
    ys = [s[1] for s in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2,000 learners, 20,000 completions, 3 s per endpoint")
    ap.add_argument("--learners", type=int)
    ap.add_argument("--completions", type=int)
    ap.add_argument("--seconds", type=int, help="wrk duration per endpoint and per /livez run")
    ap.add_argument("--soak-seconds", type=int)
    ap.add_argument("--celery-tasks", type=int, default=10_000)
    ap.add_argument("--keep-db", action="store_true", help="leave courses_bench in place afterwards")
    ap.add_argument("--output", default=str(BENCH / "results.md"))
    args = ap.parse_args()
    learners = args.learners or (2_000 if args.quick else 100_000)
    completions = args.completions or (20_000 if args.quick else 1_000_000)
    seconds = args.seconds or (3 if args.quick else 15)
    soak = args.soak_seconds if args.soak_seconds is not None else (20 if args.quick else 300)
    if not shutil.which("wrk"):
        print("wrk is not installed (make bench installs it)", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    MAIL_DIR.mkdir()
    started = datetime.now(UTC)
    load_before = loadavg()
    git_head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    git_dirty = subprocess.run(
        ["git", "status", "--short", "--untracked-files=no", "--", ".", ":!bench", ":!Makefile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    git_dirty = [line.strip() for line in git_dirty if line.strip()]
    argv = " ".join(sys.argv[1:])
    log(f"bench: {learners} learners, {completions} completions, {seconds}s per run, soak {soak}s")

    import redis

    for url in (REDIS_CACHE, REDIS_BROKER):
        redis.Redis.from_url(url).flushdb()

    reset_database()
    t = time.perf_counter()
    subprocess.run([str(VENV_BIN / "python"), "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, check=True)
    migrate_s = time.perf_counter() - t
    log(f"migrated in {migrate_s:.1f}s")

    import django

    django.setup()
    data = load_dataset(learners=learners, completions=completions, probe=progress_probe(calls=200))
    finishers = min(1000, learners)
    finish_course_id = load_finish_course(learners=finishers)
    log(f"data loaded in {data['load_seconds']:.1f}s: {data['counts']}")
    ratio_progress = data["probe_big"]["ms_per_call"] / data["probe_small"]["ms_per_call"]
    log(f"progress_snapshot {data['probe_small']} vs {data['probe_big']}: ratio {ratio_progress:.2f}")

    tokens_file = OUT / "tokens.txt"
    tokens_file.write_text("\n".join(data["tokens"]) + "\n")
    big_lessons = data["big_lessons"]
    answers = data["answer_key"][1]

    def reqfile(name: str, lines: list[str]) -> Path:
        p = OUT / f"{name}.txt"
        p.write_text("\n".join(lines) + "\n")
        return p

    livez = reqfile("livez", ["GET /livez"])
    auth_floor = reqfile("auth_floor", ["GET /bench/auth-floor"])
    tok = str(tokens_file)
    outline = reqfile("outline", [f"GET /api/courses/{BIG_SLUG}/"])
    lesson_lines = [f"GET /api/lessons/{i}/" for i in big_lessons]
    complete_lines = [f"POST /api/lessons/{i}/complete/" for i in big_lessons]
    attempt_line = f"POST /api/quizzes/1/attempts/ {json.dumps({'answers': answers})}"
    endpoints = [
        ("GET /api/courses/ (catalog, anonymous)", reqfile("catalog", ["GET /api/courses/"]), "-", 0.6),
        (f"GET /api/courses/{BIG_SLUG}/ (anonymous)", outline, "-", 0.75),
        (f"GET /api/courses/{BIG_SLUG}/ (enrolled)", outline, tok, 0.75),
        ("GET /api/lessons/<id>/", reqfile("lesson", lesson_lines), tok, 0.6),
        (
            f"GET /api/courses/{BIG_SLUG}/progress/",
            reqfile("progress", [f"GET /api/courses/{BIG_SLUG}/progress/"]),
            tok,
            0.5,
        ),
        ("POST /api/lessons/<id>/complete/", reqfile("complete", complete_lines), tok, 0.35),
        ("POST /api/quizzes/<id>/attempts/", reqfile("attempt", [attempt_line]), tok, 0.25),
    ]
    soak_file = reqfile(
        "soak",
        [f"GET /api/courses/{BIG_SLUG}/", f"GET /api/courses/{BIG_SLUG}/progress/", "GET /api/courses/"]
        + [f"GET /api/lessons/{i}/" for i in big_lessons[:50]]
        + [f"POST /api/lessons/{i}/complete/" for i in big_lessons[:20]],
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The production settings file (config/gunicorn.conf.py: workers = cores + 1, sync), on loopback.
    gunicorn_cmd = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        "config/gunicorn.conf.py",
        "bench.floor_wsgi",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    celery_cmd = [str(VENV_BIN / "celery"), "-A", "config", "worker", "-Q", "default,progress,email,webhooks",
                  "-c", "2", "-I", "bench.noop", "-n", f"bench-{port}@%h", "-l", "warning"]  # fmt: skip
    gunicorn = worker = None
    rows: list[dict] = []
    drains: dict[str, float] = {}
    try:
        with open(OUT / "gunicorn.log", "w") as glog, open(OUT / "celery.log", "w") as clog:
            gunicorn = subprocess.Popen(gunicorn_cmd, cwd=ROOT, stdout=glog, stderr=subprocess.STDOUT)
            worker = subprocess.Popen(celery_cmd, cwd=ROOT, stdout=clog, stderr=subprocess.STDOUT)
        wait_http(base + "/livez")
        log(f"gunicorn pid {gunicorn.pid} on {base}, celery worker pid {worker.pid}")
        r = broker()
        deadline = time.monotonic() + 60
        while not children_of(worker.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        procs = {"gunicorn_pid": gunicorn.pid, "worker_pid": worker.pid}
        # Warm every endpoint once (connections, outline cache).
        run_wrk(base, soak_file, str(tokens_file), 2, conns=4)
        for label, req, tok, target in endpoints:
            drains[label] = wait_drained(r, 300)
            # Authenticated endpoints also run right after the authenticated floor (before /livez, so
            # /livez stays adjacent): what they cost beyond authenticating and throttling.
            floor = run_wrk(base, auth_floor, tok, seconds, pids=procs) if tok != "-" else None
            ceiling = run_wrk(base, livez, "-", seconds, pids=procs)
            res = run_wrk(base, req, tok, seconds, pids=procs)
            rows.append({"label": label, "res": res, "ceiling": ceiling, "floor": floor, "target": target})
            log(f"{label}: {res['rps']:.0f} req/s p50 {res['p50']:.1f} ms p99 {res['p99']:.1f} ms "
                f"(livez {ceiling['rps']:.0f}/s, auth floor {floor['rps'] if floor else 0:.0f}/s) "
                f"status {res['status']}")  # fmt: skip
        drains["after POSTs"] = wait_drained(r, 600)

        celery = celery_throughput(tasks=args.celery_tasks, learners=1000)
        # The last ten lessons of the big course: none of learners 1..1,000 has them (the POST runs
        # above may have hit a few; those are not events and are not counted).
        events_learners = min(1000, learners)
        events = completion_events(
            learners=events_learners, lessons=big_lessons[-max(1, args.celery_tasks // events_learners) :]
        )
        finish = finish_at_once(course_id=finish_course_id, learners=finishers, mail_dir=MAIL_DIR)

        # Soak: moderate mixed load (4 connections, 20 ms pause between requests per connection).
        def pids() -> dict[str, list[int]]:
            return {
                "celery": [worker.pid, *children_of(worker.pid)],
                "gunicorn": [gunicorn.pid, *children_of(gunicorn.pid)],
            }

        def sample() -> dict[str, int]:
            return {k: sum(rss_kb(p) for p in v) for k, v in pids().items()}

        rss_after_run = {k: {p: rss_kb(p) for p in v} for k, v in pids().items()}
        samples: list[tuple[float, dict]] = []
        log(f"soak {soak}s; RSS after the run {rss_after_run}")
        soak_proc = subprocess.Popen(
            ["wrk", "-t1", "-c4", f"-d{soak}s", "--latency", "-s", str(BENCH / "wrk.lua"), base, "--",
             str(tokens_file), str(soak_file), "20"], stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        t0 = time.monotonic()
        interval = max(1.0, soak / 60)
        while soak_proc.poll() is None:
            samples.append((time.monotonic() - t0, sample()))
            time.sleep(interval)
        soak_res = parse_wrk(soak_proc.stdout.read())
        samples.append((time.monotonic() - t0, sample()))
        drains["after soak"] = wait_drained(r, 300)
    finally:
        stop(gunicorn, "gunicorn")
        stop(worker, "celery")
        log("servers stopped")

    # cProfile in-process against the bench DB (the servers are down: no noise).
    prof = profile_endpoints(data["tokens"][0], big_lessons[0], 1, answers, 200 if not args.quick else 50)
    from django.db import connections

    connections.close_all()
    if not args.keep_db:
        drop_database()

    # --- results.md
    mach, vers, load_after, rtt_ms = machine(), versions(), loadavg(), select1_ms()
    soak_slopes = {k: slope_kb_per_min([(t, s[k]) for t, s in samples]) for k in ("celery", "gunicorn")}
    tbl = table(rows)
    counts = data["counts"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{' '.join(['bench/run.py', *sys.argv[1:]])}`" + f" on {started:%Y-%m-%d %H:%M} UTC "
        f"({'quick smoke run' if args.quick else 'full run'}). Every figure below comes from this run.",
        "",
        f"App code measured: commit {git_head}"
        + (
            f" plus uncommitted changes to {', '.join(x.split()[-1] for x in git_dirty)} "
            "(other engineers work in this tree)"
            if git_dirty
            else " (clean tree)"
        )
        + ".",
        "",
        "## Machine and versions",
        "",
        f"- nproc {mach['nproc']}, memory {mach['memory_gb']} GB, CPU {mach['cpu']}, kernel {mach['kernel']}",
        "- " + ", ".join(f"{k} {v}" for k, v in vers.items()),
        "- wrk, gunicorn, Celery, PostgreSQL and Redis all share this machine (loopback); load average "
        f"before the run {load_before}, after it {load_after} (other work on the machine shows here).",
        f"- Loopback round trip of `SELECT 1` through psycopg: {rtt_ms:.2f} ms (the floor under every SQL query).",
        "",
        "## Commands",
        "",
        "```",
        f"make bench   # = .venv/bin/python bench/run.py {argv}".rstrip(),
        f"gunicorn: {' '.join(gunicorn_cmd).replace(str(ROOT) + '/', '')}",
        f"celery:   {' '.join(celery_cmd).replace(str(ROOT) + '/', '')}",
        f"wrk:      {rows[0]['res']['cmd'].replace(str(ROOT) + '/', '') if rows else ''}",
        "env: " + " ".join(f"{k}={v}" for k, v in ENV.items() if k != "SECRET_KEY") + " SECRET_KEY=<random>",
        "```",
        "",
        "Each endpoint run (`wrk -t2 -c32 --latency`, one random learner token per request from "
        f"{len(data['tokens']):,} tokens) comes right after a `/livez` run of the same length; the ratio is "
        "endpoint req/s ÷ that adjacent `/livez` req/s. An authenticated endpoint's pair is preceded by a run "
        "of the authenticated floor (`/bench/auth-floor`, below) with the same tokens. The progress queue is "
        "drained before each group. gunicorn serves `bench.floor_wsgi`: `config.wsgi`'s application with that "
        "one route appended.",
        "",
        "## Data set",
        "",
        f"- Loaded with COPY in **{data['load_seconds']:.1f} s** (migrate {migrate_s:.1f} s before it): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in data["timings"].items()),
        "- Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        f"- Big course `{BIG_SLUG}`: {BIG_MODULES} modules × {BIG_LESSONS_PER_MODULE} lessons "
        f"(~{data['big_words']}-word Markdown body, HTML rendered once), one quiz per module (4 questions, "
        f"single and multiple choice, max_attempts 1000); every learner enrolled; "
        f"{COMPLETIONS_PER_LEARNER} completions per learner on its first lessons.",
        f"- Catalog: {CATALOG_COURSES} more published courses of {CATALOG_MODULES} modules × "
        f"{CATALOG_LESSONS} lessons.",
        "",
        "## Endpoints",
        "",
        tbl,
        "Errors: `non-2xx` is wrk's count; for quiz attempts 409 (over max_attempts) is an accepted answer. "
        f"Queue drain waits before each pair (s): {', '.join(f'{v:.1f}' for v in drains.values())}.",
        "",
        *floor_notes(rows, noop_per_s=celery["noop"]["per_s"]),
        *cpu_table(rows),
        "## Progress against table size",
        "",
        f"`courseware.selectors.progress_snapshot` for one learner with {COMPLETIONS_PER_LEARNER} completions, "
        "in-process against the bench database, best of 5 batches of 200 calls:",
        "",
        "| completion rows in table | ms per call | median batch |",
        "|---:|---:|---:|",
        f"| {data['probe_small']['rows']:,} | {data['probe_small']['ms_per_call']:.3f} | "
        f"{data['probe_small']['ms_median_batch']:.3f} |",
        f"| {data['probe_big']['rows']:,} | {data['probe_big']['ms_per_call']:.3f} | "
        f"{data['probe_big']['ms_median_batch']:.3f} |",
        "",
        f"Ratio {ratio_progress:.2f} (goal ≤ 1.3: {'met' if ratio_progress <= 1.3 else 'not met'}).",
        "",
        "## Celery throughput",
        "",
        f"{celery['tasks']:,} tasks enqueued on `progress` with the consumer cancelled, then the worker (`-c 2`) "
        "consumes again; time until the queue and the unacked set are empty.",
        "",
        "| task | enqueue | queued when consuming resumed | drain | tasks/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, shown in (
        (
            "recompute_enrollment_progress",
            f"courseware.tasks.recompute_enrollment_progress ({celery['learners']:,} learners)",
        ),
        ("noop", "bench.noop.noop"),
    ):
        c = celery[name]
        lines.append(
            f"| {shown} | {c['enqueue_s']:.1f} s | {c['queued_before_start']:,} | "
            f"{c['drain_s']:.1f} s | {c['per_s']:.0f} |"
        )
    ev_ratio = events["per_s"] / celery["noop"]["per_s"]
    lines += [
        "",
        f"Forced recompute ratio {celery['ratio']:.2f}: every task recomputes (the content-change and reconcile "
        "path, and what each completion costs when the worker keeps up).",
        "",
        f"**Completion events**: {events['events']:,} completions recorded through "
        f"`lessons.services.lesson_completion_record` (what `POST /api/lessons/<id>/complete/` calls) for "
        f"{events['learners']:,} learners in {events['record_s']:.1f} s while the worker did not consume "
        f"`progress`; {events['queued_before_start']:,} task messages drained in {events['drain_s']:.1f} s = "
        f"**{events['per_s']:.0f} events/s, ratio {ev_ratio:.2f} to the no-op** "
        f"(goal ≥ 0.5: {'met' if ev_ratio >= 0.5 else 'not met'}). Each message carries the enrollment's "
        "activity number, so the first recompute of a learner's backlog covers its later events, which end "
        f"after one read. Enrollments whose stored progress lags their activity afterwards: {events['stale_after']}.",
        "",
        f"**{finish['learners']:,} learners finishing at once**: each completes the last lesson of "
        f"`{FINISH_SLUG}` (recorded in {finish['record_s']:.1f} s while the worker did not consume `progress`); "
        "from the moment it consumes again, every certificate was issued after "
        f"{_secs(finish['certificates_s'])} and every certificate email sent after {_secs(finish['emails_s'])}. "
        f"Certificates {finish['certificates']:,}, completed enrollments {finish['completed_enrollments']:,}, "
        f"email rows sent {finish['emails_rows_sent']:,}; messages the file email backend wrote "
        f"{finish['mail_messages']:,}: missing {finish['mail_missing']}, doubled {finish['mail_doubled']}, "
        f"unexpected {finish['mail_unexpected']}.",
        "",
        "## Worker memory",
        "",
        "VmRSS from /proc after the endpoint runs (KB): "
        + "; ".join(f"{k}: " + ", ".join(f"pid {p} {v:,}" for p, v in d.items()) for k, d in rss_after_run.items()),
        "",
        f"Soak: {soak} s of mixed load (`wrk -t1 -c4`, 20 ms pause per request: outline, progress, catalog, "
        f"lessons, completions), {soak_res['rps']:.0f} req/s, p99 {fmt_ms(soak_res['p99'])}, "
        f"non-2xx {soak_res['non2xx']}; {len(samples)} samples of total RSS:",
        "",
        "| processes | start KB | end KB | slope KB/min |",
        "|---|---:|---:|---:|",
    ]
    for k in ("celery", "gunicorn"):
        lines.append(
            f"| {k} (main + children) | {samples[0][1][k]:,} | {samples[-1][1][k]:,} | {soak_slopes[k]:+.0f} |"
        )
    lines += ["", "## Where the time goes (in-process, Django test Client against the bench DB)", ""]
    lines += ["| request | status | SQL queries |", "|---|---:|---:|"]
    for label, q in prof["queries"].items():
        lines.append(f"| {label} | {q['status']} | {q['queries']} |")
    rc = prof["recompute"]
    cr = celery["recompute_enrollment_progress"]
    per_task_ms = cr["drain_s"] / max(1, cr["queued_before_start"]) * 2 * 1000  # 2 worker processes
    lines += [
        "",
        f"`courseware.services.enrollment_progress_recompute` (the body of the progress task) called directly: "
        f"{rc['queries']} SQL queries, {rc['ms']:.2f} ms per call (mean of {rc['n']}), against "
        f"{per_task_ms:.1f} ms "
        "per task per worker process through Celery.",
    ]
    for label, p in prof["profiles"].items():
        lines += ["", f"cProfile of {p['n']} × `{label}` ({p['ms_per_request_profiled']:.2f} ms per request under "
                  "the profiler), top cumulative:", "", "```", p["top"], "```"]  # fmt: skip
    lines.append("")
    Path(args.output).write_text("\n".join(lines))
    print()
    print(tbl)
    print(f"load {data['load_seconds']:.1f}s; progress ratio {ratio_progress:.2f}; celery forced ratio "
          f"{celery['ratio']:.2f}, events ratio {ev_ratio:.2f}; finish {finish}; "
          f"soak slopes KB/min {soak_slopes}")  # fmt: skip
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
