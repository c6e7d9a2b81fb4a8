"""Celery throughput: forced progress recomputes and no-op tasks drained from a backlog, and real
completion events recorded through the service the API calls, drained the same way."""

import time

from bench.env import log
from bench.queues import broker, paused, wait_drained

# Project code (Django models, services, the Celery app) is imported inside the functions below, not
# here: it can be imported only after django.setup(), which bench.main runs once the environment is set
# and courses_bench is migrated.


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
    _, resume = paused("progress")
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
        "per_s": created / drain,  # events recomputed per second (one drain covers many)
        "stale_after": stale,
    }


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
        replies, resume = paused("progress")
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
