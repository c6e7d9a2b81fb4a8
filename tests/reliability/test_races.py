"""Races on the real stack: parallel HTTP requests to a throwaway gunicorn (production settings, several
worker processes and threads, each with its own database connection) on the pytest PostgreSQL test
database, publishing to a dedicated Redis database. What must happen once happens once; no request
answers 5xx. The last test checks the embedded default (SQLite) makes concurrent writers wait.

PostgreSQL + Redis runs: DATABASE_URL (postgres) and REDIS_URL/CELERY_BROKER_URL set. The SQLite test
runs on the embedded default only."""

import random
import sqlite3
import threading
import time

import pytest
from django.db import connection

from courseware.models import Certificate, Enrollment
from lessons.models import Lesson, LessonCompletion
from notifications.models import OutboundEmail
from quizzes.models import Quiz, QuizAttempt
from tests.factories import (
    PASSWORD,
    AdminFactory,
    EnrollmentFactory,
    LessonCompletionFactory,
    QuizAttemptFactory,
    UserFactory,
    build_course,
    right_answers,
)
from tests.reliability.conftest import token_for
from tests.reliability.stack import parallel, record_figures, statuses
from tests.worker import requires_worker, wait_until


def on_postgres(timeout: int = 120):
    """PostgreSQL + Redis (a real broker), a transactional test database, a bounded run time."""
    marks = [
        pytest.mark.postgres,
        pytest.mark.worker,
        requires_worker,
        pytest.mark.django_db(transaction=True),
        pytest.mark.timeout(timeout),
    ]

    def apply(test):
        for mark in marks:
            test = mark(test)
        return test

    return apply


def no_server_errors(answers) -> bool:
    return all(200 <= a.status < 500 for a in answers)


@on_postgres()
def test_twenty_parallel_enrollments_of_one_learner_make_one_enrollment(api_server):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    learner = UserFactory()
    token = token_for(learner)

    answers = parallel([lambda: api_server.post(f"/api/courses/{course.slug}/enroll/", token=token)] * 20, threads=20)

    counts = statuses(answers)
    ids = {a.json()["id"] for a in answers if a.status in (200, 201)}
    rows = Enrollment.objects.filter(learner=learner, course=course).count()
    welcome = OutboundEmail.objects.filter(kind="welcome", user=learner).count()
    record_figures(
        "race_enrollments",
        requests_sent=len(answers),
        statuses=dict(counts),
        rows_checked=rows,
        duplicates_found=rows - 1 + welcome - 1,
    )
    assert set(counts) <= {200, 201}, (counts, api_server.log()[-3000:])
    assert counts[201] == 1, counts  # exactly one request created it, the others found it
    assert rows == 1 and len(ids) == 1
    assert welcome == 1  # one welcome email queued, not one per request


@on_postgres()
def test_parallel_quiz_submissions_at_max_attempts_store_exactly_max(api_server):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=True)
    quiz = Quiz.objects.get(course=course)
    Quiz.objects.filter(pk=quiz.pk).update(max_attempts=3)
    enrollment = EnrollmentFactory(course=course)
    token = token_for(enrollment.learner)
    body = {"answers": right_answers(quiz)}

    answers = parallel(
        [lambda: api_server.post(f"/api/quizzes/{quiz.pk}/attempts/", token=token, body=body)] * 12, threads=12
    )

    counts = statuses(answers)
    stored = QuizAttempt.objects.filter(quiz=quiz, learner=enrollment.learner).count()
    numbers = sorted(QuizAttempt.objects.filter(quiz=quiz, learner=enrollment.learner).values_list("number", flat=True))
    record_figures(
        "race_quiz_attempts",
        requests_sent=len(answers),
        statuses=dict(counts),
        rows_checked=stored,
        duplicates_found=max(0, stored - 3),
    )
    assert counts == {201: 3, 409: 9}, (counts, api_server.log()[-3000:])
    assert stored == 3 and numbers == [1, 2, 3]


@on_postgres()
def test_parallel_starts_of_a_timed_quiz_open_one_attempt(api_server):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=True)
    quiz = Quiz.objects.get(course=course)
    Quiz.objects.filter(pk=quiz.pk).update(time_limit_minutes=10, max_attempts=3)
    enrollment = EnrollmentFactory(course=course)
    token = token_for(enrollment.learner)

    answers = parallel(
        [lambda: api_server.post(f"/api/quizzes/{quiz.pk}/attempts/start/", token=token)] * 12, threads=12
    )

    counts = statuses(answers)
    rows = QuizAttempt.objects.filter(quiz=quiz, learner=enrollment.learner).count()
    ids = {a.json()["id"] for a in answers if a.status in (200, 201)}
    record_figures(
        "race_timed_quiz_start",
        requests_sent=len(answers),
        statuses=dict(counts),
        rows_checked=rows,
        duplicates_found=rows - 1,
    )
    assert counts == {201: 1, 200: 11}, (counts, api_server.log()[-3000:])
    assert rows == 1 and len(ids) == 1  # every request got the one open attempt


@on_postgres(timeout=150)
def test_hundred_parallel_completions_of_the_last_lesson_one_certificate_one_email(live_celery, api_server):
    live_celery.start_worker()
    course = build_course(modules=2, lessons_per_module=2, quiz_per_module=True)
    enrollment = EnrollmentFactory(course=course)
    learner = enrollment.learner
    lessons = list(Lesson.objects.filter(course=course).order_by("module__position", "position"))
    for lesson in lessons[:-1]:
        LessonCompletionFactory(learner=learner, lesson=lesson)
    for quiz in Quiz.objects.filter(course=course):
        QuizAttemptFactory(quiz=quiz, learner=learner, score=100, passed=True)
    last = lessons[-1]
    token = token_for(learner)

    # 100 requests on 25 client threads against 3×4 server threads: the server is saturated.
    answers = parallel(
        [lambda: api_server.post(f"/api/lessons/{last.pk}/complete/", token=token)] * 100, threads=25, barrier=False
    )
    counts = statuses(answers)
    assert set(counts) <= {200, 202}, (counts, api_server.log()[-3000:])

    def certificate_sent() -> bool:
        return OutboundEmail.objects.filter(kind="certificate", status=OutboundEmail.Status.SENT).exists()

    wait_until(certificate_sent, timeout=60, what="the certificate email")
    live_celery.wait_idle(timeout=60)
    completions = LessonCompletion.objects.filter(learner=learner, lesson=last).count()
    certificates = list(Certificate.objects.filter(learner=learner, course=course))
    emails = OutboundEmail.objects.filter(kind="certificate").count()
    files = live_celery.certificate_mails()
    record_figures(
        "race_completions",
        requests_sent=len(answers),
        statuses=dict(counts),
        rows_checked=completions + len(certificates) + emails,
        email_files=len(files),
        duplicates_found=(completions - 1) + (len(certificates) - 1) + (emails - 1) + (len(files) - 1),
    )
    assert completions == 1
    assert len(certificates) == 1
    [certificate] = certificates
    assert OutboundEmail.objects.filter(key=f"certificate:{certificate.code}").count() == 1 and emails == 1
    assert len(live_celery.certificate_mails(certificate.code)) == 1 and len(files) == 1
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED and enrollment.progress == 100


@on_postgres()
def test_parallel_bulk_enrollments_of_overlapping_lists_make_no_duplicates(api_server):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    admin = AdminFactory()
    token = token_for(admin)
    learners = [UserFactory() for _ in range(40)]
    rng = random.Random(7)
    lists = []
    for _ in range(12):  # each list: 20 of the 40, by username or by email (upper-cased, sometimes)
        names = []
        for user in rng.sample(learners, 20):
            ident = rng.choice([user.username, user.email, user.email.upper()])
            names.append(ident)
        lists.append(names)
    named = {ident.lower() for names in lists for ident in names}
    wanted = {u.pk for u in learners if u.username.lower() in named or u.email.lower() in named}
    path = f"/api/courses/{course.slug}/enrollments/"

    answers = parallel(
        [(lambda names=names: api_server.post(path, token=token, body={"learners": names})) for names in lists],
        threads=12,
    )

    counts = statuses(answers)
    rows = Enrollment.objects.filter(course=course).count()
    distinct = Enrollment.objects.filter(course=course).values("learner").distinct().count()
    enrolled_reports = sum(len(a.json().get("enrolled", [])) for a in answers if a.status in (200, 201))
    record_figures(
        "race_bulk_enrollments",
        requests_sent=len(answers),
        statuses=dict(counts),
        rows_checked=rows,
        duplicates_found=rows - distinct + max(0, enrolled_reports - distinct),
    )
    assert no_server_errors(answers) and set(counts) <= {200, 201}, (counts, api_server.log()[-3000:])
    assert rows == distinct == len(wanted)
    assert set(Enrollment.objects.filter(course=course).values_list("learner_id", flat=True)) == wanted
    assert enrolled_reports == len(wanted)  # each learner reported "enrolled" by exactly one request


@on_postgres()
def test_parallel_enrollments_at_the_capacity_boundary_fill_exactly_the_places(api_server):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False, capacity=5)
    tokens = [token_for(UserFactory()) for _ in range(20)]

    answers = parallel(
        [(lambda t=t: api_server.post(f"/api/courses/{course.slug}/enroll/", token=t)) for t in tokens], threads=20
    )

    counts = statuses(answers)
    rows = Enrollment.objects.filter(course=course).count()
    record_figures(
        "race_capacity",
        requests_sent=len(answers),
        statuses=dict(counts),
        rows_checked=rows,
        duplicates_found=max(0, rows - 5),
    )
    assert counts == {201: 5, 400: 15}, (counts, api_server.log()[-3000:])
    assert rows == 5
    assert all("full" in a.json()["detail"] for a in answers if a.status == 400)


@on_postgres()
def test_parallel_registrations_of_one_name_make_one_account(api_server):
    from accounts.models import User

    names = ["Grace", "grace", "GRACE", "gRaCe"] * 3  # the same name, cased differently
    bodies = [
        {"username": name, "email": f"grace{i}@example.com" if i % 2 else "Grace@Example.com", "password": PASSWORD}
        for i, name in enumerate(names)
    ]

    answers = parallel(
        [(lambda b=b: api_server.post("/api/auth/register/", body=b)) for b in bodies], threads=len(bodies)
    )

    counts = statuses(answers)
    accounts = User.objects.filter(username__iexact="grace").count()
    by_email = User.objects.filter(email__iexact="grace@example.com").count()
    record_figures(
        "race_registrations",
        requests_sent=len(answers),
        statuses=dict(counts),
        rows_checked=accounts,
        duplicates_found=max(0, accounts - 1) + max(0, by_email - 1),
    )
    assert counts == {201: 1, 400: len(bodies) - 1}, (counts, [a.body[:200] for a in answers], api_server.log()[-3000:])
    assert accounts == 1 and by_email <= 1


# --- SQLite (the embedded default) ------------------------------------------------------------------
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default's SQLite settings only")
def test_sqlite_runs_in_wal_mode_and_concurrent_writers_wait_instead_of_failing(tmp_path, django_db_blocker):
    # A file database of its own (the test database is in memory), opened with the default's settings.
    with django_db_blocker.unblock():
        sqlite_file_db_check(tmp_path)


def sqlite_file_db_check(tmp_path) -> None:
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings_dict = {**connection.settings_dict, "NAME": str(tmp_path / "db.sqlite3")}
    options = settings_dict["OPTIONS"]
    assert options.get("timeout", 0) >= 5 and "journal_mode=WAL" in options.get("init_command", "")

    setup = DatabaseWrapper(settings_dict, alias="wal-setup")
    with setup.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, writer INTEGER, n INTEGER)")
    setup.close()

    writers, rows_each = 8, 5
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        db = DatabaseWrapper(settings_dict, alias=f"wal-{writer}")
        try:
            start.wait(timeout=10)
            for n in range(rows_each):
                # Each transaction holds the write lock for a while: the others must wait for it.
                db.set_autocommit(False)
                with db.cursor() as cursor:
                    cursor.execute("INSERT INTO item (writer, n) VALUES (%s, %s)", [writer, n])
                    time.sleep(0.02)
                db.commit()
                db.set_autocommit(True)
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    raw = sqlite3.connect(tmp_path / "db.sqlite3")
    count = raw.execute("SELECT COUNT(*) FROM item").fetchone()[0]
    # The control: a writer that does not wait fails at once while another holds the lock.
    holder = sqlite3.connect(tmp_path / "db.sqlite3", timeout=5, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    impatient = sqlite3.connect(tmp_path / "db.sqlite3", timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        impatient.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    for db in (raw, holder, impatient):
        db.close()
    record_figures(
        "race_sqlite_writers",
        writers=writers,
        transactions=writers * rows_each,
        rows_checked=count,
        errors=len(errors),
        duplicates_found=0,
    )
    assert errors == [], errors
    assert count == writers * rows_each


@on_postgres(timeout=180)
def test_publishes_racing_completions_lose_nothing_and_issue_each_certificate_once(live_celery, api_server):
    """Forty learners complete their last lesson while the instructor publishes a version that adds a
    lesson (three publish requests among the completions). Whichever each learner's completion
    meets, nothing is lost: every completion is stored, every learner's progress is exact against
    the version that ends up published, whoever completed keeps one certificate and one email."""
    from tests.factories import InstructorFactory

    live_celery.start_worker()
    course = build_course(modules=2, lessons_per_module=2, quiz_per_module=False)
    instructor = InstructorFactory()
    course.instructors.add(instructor)
    lessons = list(Lesson.objects.filter(course=course).order_by("module__position", "position"))
    enrollments = [EnrollmentFactory(course=course) for _ in range(40)]
    for enrollment in enrollments:
        for lesson in lessons[:-1]:
            LessonCompletionFactory(learner=enrollment.learner, lesson=lesson)
    author = token_for(instructor)
    module = lessons[0].module
    added = api_server.post(
        f"/api/modules/{module.pk}/lessons/", token=author,
        body={"slug": "late-addition", "title": "Late addition", "body_markdown": "Added while learners finish."},
    )  # fmt: skip
    assert added.status == 201, added.body
    last = lessons[-1]
    calls = [
        lambda e=e: api_server.post(f"/api/lessons/{last.pk}/complete/", token=token_for(e.learner))
        for e in enrollments
    ]
    for at in (5, 20, 35):
        calls.insert(at, lambda: api_server.post(f"/api/courses/{course.slug}/publish/", token=author, body={}))
    answers = parallel(calls, threads=12, barrier=False)
    assert no_server_errors(answers), (statuses(answers), api_server.log()[-3000:])
    live_celery.wait_idle(timeout=90)

    assert LessonCompletion.objects.filter(lesson=last).count() == 40
    course.refresh_from_db()
    assert course.published_version == 2  # three publishes, one new version
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        assert enrollment.progress == 80, enrollment  # 4 of the 5 lessons of version 2, for everyone
    completed = [e for e in enrollments if e.status == Enrollment.Status.COMPLETED]
    certificates = Certificate.objects.filter(course=course)
    assert sorted(c.learner_id for c in certificates) == sorted(e.learner_id for e in completed)
    for certificate in certificates:
        assert OutboundEmail.objects.filter(key=f"certificate:{certificate.code}").count() == 1
    record_figures(
        "race_publish", requests_sent=len(answers), statuses=dict(statuses(answers)), completed=len(completed)
    )
