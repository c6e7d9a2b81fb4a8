"""Learners finishing a course at once: up to 1,000 learners complete its last lesson while the worker
does not consume ``progress``; then the time until every certificate is issued and every certificate
email sent, and the file email backend's output counted (none missing, none doubled)."""

import time
from datetime import UTC, datetime
from pathlib import Path

from bench.env import log
from bench.queues import broker, paused, wait_drained

# Project code (Django models, services, the Celery app) is imported inside the functions below, not
# here: it can be imported only after django.setup(), which bench.main runs once the environment is set
# and courses_bench is migrated.


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
        from courseware.versions.services import version_publish

        version_publish(course=course, actor=None)  # learners read the published version
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
    _, resume = paused("progress")
    t = time.perf_counter()
    for i in range(1, learners + 1):
        lesson_completion_record(learner=users[i], lesson=last, enrollment=enrollments[i])
    record_s = time.perf_counter() - t
    t0 = resume()
    certs_s = emails_s = queued_s = None
    deadline = t0 + 900
    while time.perf_counter() < deadline:
        certs = Certificate.objects.filter(course_id=course_id).count()
        sent = _sent_certificate_emails(course_id)
        now = time.perf_counter()
        if certs_s is None and certs >= learners:
            certs_s = now - t0
        if queued_s is None and _sent_certificate_emails(course_id, status=None) >= learners:
            queued_s = now - t0
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
        "emails_queued_s": queued_s,
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


def _sent_certificate_emails(course_id: int, status: str | None = "sent") -> int:
    """Certificate email rows of the course (``status`` None: queued, whatever their status)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM notifications_outboundemail e JOIN courseware_certificate c "
            "ON e.key = 'certificate:' || c.code WHERE c.course_id = %s "
            "AND (CAST(%s AS TEXT) IS NULL OR e.status = %s)",
            [course_id, status, status],
        )
        return cur.fetchone()[0]
