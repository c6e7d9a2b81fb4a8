"""The write pipeline alone (issue 22, part 4): ``bench/write_pipeline.py`` prints figures.

1. 1,000 learners finish at once: the worker does not consume ``progress`` while their last
   completions are recorded; then time from its resume until every certificate is issued and every
   certificate email row queued (and sent), none missing or doubled.
2. Recompute throughput: completion events recorded with the worker paused, drained, as events/s,
   beside the no-op task rate of the same worker.
3. The reconcile certificate finders at 500,000 completed enrollments (rows made with SQL), per sweep.

Uses BENCH_DB_NAME (default courses_bench) and BENCH_REDIS_DBS ("8,9"), see bench/env.py; the
database is recreated."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.env import MAIL_DIR, OUT, log


def finder_figures(*, completed: int) -> dict:
    """Add ``completed`` completed enrollments (certified, emailed, a month old) and time both
    certificate finders over everything and from the watermark a sweep leaves."""
    from django.db import connection
    from django.utils import timezone

    from learning.progress.reconcile import (
        certificates_checked_since,
        certificates_without_email,
        enrollments_completed_without_certificate,
    )
    from learning.progress.tasks import reconcile_run

    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM accounts_user")
        top = cur.fetchone()[0]
    log("finders: loading completed enrollments")
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM courseware_course ORDER BY id LIMIT 1")
        course_id = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined, name, email_reminders, updated_at) "
            "SELECT '', false, 'bulk' || (%s + g), '', '', 'bulk' || (%s + g) || '@example.com', false, true, now(), "
            "'', false, now() FROM generate_series(1, %s) g",
            [top, top, completed],
        )
        cur.execute(
            "INSERT INTO courseware_enrollment (learner_id, course_id, status, enrolled_at, completed_at, progress, "
            "completed_items, progress_version, progress_computed_at, activity_seq, progress_seq, created_at, "
            "updated_at) SELECT id, %s, 'completed', now() - interval '30 days', now() - interval '30 days' "
            "+ (id %% 1000) * interval '1 minute', 100, 3, 1, now() - interval '30 days', 1, 1, now(), now() "
            "FROM accounts_user WHERE id > %s",
            [course_id, top],
        )
        cur.execute(
            "INSERT INTO courseware_certificate (learner_id, course_id, code, learner_name, course_title, issued_at, "
            "revoked, revoked_reason) SELECT learner_id, course_id, 'BULK-' || id, 'x', 'y', completed_at, false, '' "
            "FROM courseware_enrollment WHERE course_id = %s AND learner_id > %s",
            [course_id, top],
        )
        cur.execute(
            "INSERT INTO notifications_outboundemail (key, kind, user_id, recipient, subject, context, status, "
            "attempts, last_error, created_at, updated_at) SELECT 'certificate:' || code, 'certificate', learner_id, "
            "'a@example.com', '', '{}', 'sent', 1, '', now(), now() FROM courseware_certificate "
            "WHERE code LIKE 'BULK-%%' AND learner_id > %s",
            [top],
        )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM courseware_enrollment WHERE status = 'completed'")
        total = cur.fetchone()[0]

    def timed(fn, n=20) -> float:
        fn()
        t = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t) / n * 1000

    full = {
        "completed_without_certificate_ms": timed(
            lambda: enrollments_completed_without_certificate(limit=500, since=None), 5
        ),
        "certificates_without_email_ms": timed(lambda: list(certificates_without_email(limit=500, since=None)), 5),
    }
    reconcile_run()  # sets the watermark
    since = certificates_checked_since(now=timezone.now())
    assert since is not None, "the sweep left no watermark"
    windowed = {
        "completed_without_certificate_ms": timed(
            lambda: enrollments_completed_without_certificate(limit=500, since=since)
        ),
        "certificates_without_email_ms": timed(lambda: list(certificates_without_email(limit=500, since=since))),
    }
    sweep = timed(reconcile_run, 5)
    return {
        "completed_enrollments": total,
        "full_scan": {k: round(v, 2) for k, v in full.items()},
        "watermark": {k: round(v, 2) for k, v in windowed.items()},
        "reconcile_sweep_ms": round(sweep, 2),
    }


def load_learners_and_events_course(*, learners: int, lessons: int) -> list[int]:
    """Learners 1..N (with addresses) enrolled in course 1 (``lessons`` lessons, none completed)."""
    from datetime import UTC, datetime

    from accounts.models import User
    from courseware.models import Course, Enrollment, Module
    from lessons.models import Lesson

    User.objects.bulk_create(
        User(id=i, username=f"learner{i}", email=f"learner{i}@example.com", password="") for i in range(1, learners + 1)
    )
    course = Course.objects.create(
        id=1, slug="events-course", title="Events", summary="", is_published=True, published_at=datetime.now(UTC)
    )
    module = Module.objects.create(course=course, slug="m", title="M", position=1)
    made = [
        Lesson.objects.create(course=course, module=module, slug=f"e{p}", title=f"E{p}", position=p,
                              body_markdown="x", body_html="<p>x</p>", estimated_minutes=1)
        for p in range(1, lessons + 1)
    ]  # fmt: skip
    from courseware.versions.services import version_publish

    version_publish(course=course, actor=None)  # learners read the published version
    Enrollment.objects.bulk_create(Enrollment(course=course, learner_id=i) for i in range(1, learners + 1))
    with __import__("django.db").db.connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [learners])
        cur.execute("SELECT setval(pg_get_serial_sequence('courseware_course', 'id'), 1)")
    return [lesson.pk for lesson in made]


def main() -> int:
    import argparse
    import shutil

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--finders-only", action="store_true", help="only the third figure, on a fresh database")
    args = ap.parse_args()

    from bench.celery_throughput import celery_throughput, completion_events
    from bench.finishers import finish_at_once, load_finish_course
    from bench.stack import celery_command, free_port, fresh_start, gunicorn_command, running_stack

    OUT.mkdir(exist_ok=True)
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    MAIL_DIR.mkdir()
    fresh_start()
    if args.finders_only:
        load_learners_and_events_course(learners=10, lessons=1)
        for f in [finder_figures(completed=50_000), finder_figures(completed=450_000)]:
            print(f"reconcile finders at {f['completed_enrollments']:,} completed: full scan {f['full_scan']}, "
                  f"from the watermark {f['watermark']}, whole sweep {f['reconcile_sweep_ms']} ms")  # fmt: skip
        return 0
    big_lessons = load_learners_and_events_course(learners=1000, lessons=10)
    finish_course_id = load_finish_course(learners=1000)
    port = free_port()
    with running_stack(gunicorn_command(port), celery_command(port), f"http://127.0.0.1:{port}"):
        celery = celery_throughput(tasks=5_000, learners=1000)
        events = completion_events(learners=1000, lessons=big_lessons[-5:])
        finish = finish_at_once(course_id=finish_course_id, learners=1000, mail_dir=MAIL_DIR)
    finders = [finder_figures(completed=50_000), finder_figures(completed=450_000)]
    noop = celery["noop"]["per_s"]
    print("\n=== write pipeline figures ===")
    print(f"1,000 finishers: certificates issued {finish['certificates_s']:.2f} s after resume, emails queued "
          f"{finish.get('emails_queued_s') or float('nan'):.2f} s, "
          f"emails sent {finish['emails_s'] or float('nan'):.2f} s; "
          f"certificates {finish['certificates']}, completed {finish['completed_enrollments']}, mail missing "
          f"{finish['mail_missing']}, doubled {finish['mail_doubled']}")  # fmt: skip
    print(f"recompute throughput: {events['events']} events drained in {events['drain_s']:.2f} s = "
          f"{events['events'] / events['drain_s']:.0f} events/s; no-op tasks {noop:.0f}/s; ratio "
          f"{events['events'] / events['drain_s'] / noop:.2f}x; stale after {events['stale_after']}")  # fmt: skip
    for f in finders:
        print(f"reconcile finders at {f['completed_enrollments']:,} completed: full scan {f['full_scan']}, "
              f"from the watermark {f['watermark']}, whole sweep {f['reconcile_sweep_ms']} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
