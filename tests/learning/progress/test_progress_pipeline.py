"""The certificate promise on the embedded default (tasks run eagerly, in-process): a learner who
completes every lesson and passes every quiz gets exactly one certificate and one email with the
PDF; revocation, reissue, the reconcile sweep, reminders and unsubscribing, and a failing SMTP server."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from courseware.enrollment.services import enrollment_create
from courseware.models import Certificate, Course, Enrollment
from learning.certificates.services import certificate_email_queue, certificate_reissue, certificate_revoke
from learning.progress.reconcile import enrollments_completed_without_certificate, enrollments_with_stale_progress
from learning.progress.reminders import inactivity_reminders_queue
from learning.progress.tasks import (
    DRAIN_MARK_SECONDS,
    DRAIN_QUEUED_KEY,
    recompute_enrollment_progress,
    reconcile,
    reconcile_run,
    send_inactivity_reminders,
)
from lessons.models import Lesson
from lessons.services import lesson_completion_record
from notifications.models import OutboundEmail
from quizzes.models import Quiz
from quizzes.services import quiz_attempt_submit
from tests.factories import (
    CertificateFactory,
    EnrollmentFactory,
    LessonCompletionFactory,
    UserFactory,
    build_course,
    right_answers,
)
from tests.notifications.failing_backend import flaky_mail  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the enqueued tasks, eager here) of everything done inside."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def enroll(learner, course, run_on_commit) -> Enrollment:
    with run_on_commit():
        enrollment, _ = enrollment_create(learner=learner, course=course)
    return enrollment


def complete_course(learner, course, enrollment, run_on_commit) -> None:
    """Every lesson completed and every quiz passed, through the services, tasks run after each commit."""
    for lesson in Lesson.objects.filter(course=course).order_by("module__position", "position"):
        with run_on_commit():
            lesson_completion_record(learner=learner, lesson=lesson, enrollment=enrollment)
    for quiz in Quiz.objects.filter(course=course).order_by("module__position", "position"):
        with run_on_commit():
            quiz_attempt_submit(quiz=quiz, learner=learner, enrollment=enrollment, answers=right_answers(quiz))


def certificate_mails(certificate: Certificate | None = None) -> list:
    found = [m for m in mail.outbox if any(a.filename.startswith("certificate-") for a in m.attachments)]
    if certificate is not None:
        found = [m for m in found if m.attachments[0].filename == f"certificate-{certificate.code}.pdf"]
    return found


def test_completing_the_course_issues_one_certificate_and_emails_it_with_the_pdf(run_on_commit):
    course = build_course(modules=2, lessons_per_module=2)
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment = enroll(learner, course, run_on_commit)

    complete_course(learner, course, enrollment, run_on_commit)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert enrollment.progress == 100 and enrollment.completed_at is not None
    certificate = Certificate.objects.get(learner=learner, course=course)
    assert certificate.learner_name == "Ada Lovelace" and certificate.course_title == course.title
    [message] = certificate_mails()
    assert message.to == [learner.email]
    assert message.subject == f"Your certificate for {course.title}"
    assert f"/certificates/{certificate.code}/" in message.body
    [attachment] = message.attachments
    assert attachment.filename == f"certificate-{certificate.code}.pdf"
    assert attachment.mimetype == "application/pdf"
    assert attachment.content.startswith(b"%PDF")
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and f"/certificates/{certificate.code}/" in html and "Ada Lovelace" in html
    assert message.message()["Subject"]  # serialises as a real MIME message
    email = OutboundEmail.objects.get(key=f"certificate:{certificate.code}")
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 1 and email.sent_at
    # The welcome email came too, and only once.
    assert [m.subject for m in mail.outbox].count(f"Welcome to {course.title}") == 1


def test_recomputing_again_and_again_changes_nothing(run_on_commit):
    course = build_course(modules=1, lessons_per_module=2)
    learner = UserFactory()
    enrollment = enroll(learner, course, run_on_commit)
    complete_course(learner, course, enrollment, run_on_commit)
    outbox = len(mail.outbox)

    with run_on_commit():
        for _ in range(5):
            recompute_enrollment_progress.delay(enrollment.pk)
        reconcile.delay()

    assert Certificate.objects.filter(learner=learner, course=course).count() == 1
    assert OutboundEmail.objects.filter(kind="certificate").count() == 1
    assert len(mail.outbox) == outbox


def test_half_done_course_has_no_certificate(run_on_commit):
    course = build_course(modules=2, lessons_per_module=1)
    learner = UserFactory()
    enrollment = enroll(learner, course, run_on_commit)
    for lesson in Lesson.objects.filter(course=course):
        with run_on_commit():
            lesson_completion_record(learner=learner, lesson=lesson, enrollment=enrollment)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE and enrollment.progress == 50
    assert not Certificate.objects.exists() and not certificate_mails()


def test_revoked_certificate_is_not_reissued_nor_emailed_and_its_pages_say_so(client, run_on_commit):
    course = build_course(modules=1, lessons_per_module=1)
    learner = UserFactory()
    enrollment = enroll(learner, course, run_on_commit)
    complete_course(learner, course, enrollment, run_on_commit)
    certificate = Certificate.objects.get(learner=learner)
    assert client.get(f"/certificates/{certificate.code}.pdf").status_code == 200

    certificate_revoke(certificate=certificate, reason="Plagiarism")
    with run_on_commit():
        recompute_enrollment_progress.delay(enrollment.pk)
        reconcile.delay()

    assert Certificate.objects.get(learner=learner).revoked
    assert len(certificate_mails()) == 1  # the one sent before revocation
    page = client.get(f"/certificates/{certificate.code}/")
    assert page.status_code == 200 and 'data-status="revoked"' in page.content.decode()
    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    assert pdf.status_code == 410 and b"revoked" in pdf.content


def test_pending_email_of_a_certificate_revoked_before_sending_is_not_sent(
    run_on_commit, django_capture_on_commit_callbacks
):
    certificate = CertificateFactory()
    with django_capture_on_commit_callbacks() as callbacks:  # queued, not yet sent
        certificate_email_queue(certificate=certificate)
    certificate_revoke(certificate=certificate)
    for callback in callbacks:
        callback()

    email = OutboundEmail.objects.get(key=f"certificate:{certificate.code}")
    assert email.status == OutboundEmail.Status.FAILED and "revoked" in email.last_error
    assert not mail.outbox


def test_reissue_emails_the_new_certificate_and_the_old_code_stops_verifying(client, run_on_commit):
    course = build_course(modules=1, lessons_per_module=1)
    learner = UserFactory(first_name="Grace", last_name="Hopper")
    enrollment = enroll(learner, course, run_on_commit)
    complete_course(learner, course, enrollment, run_on_commit)
    old = Certificate.objects.get(learner=learner)
    learner.first_name = "Rear Admiral Grace"
    learner.save()

    with run_on_commit():
        new = certificate_reissue(certificate=old)

    assert new.code != old.code and new.learner_name == "Rear Admiral Grace Hopper"
    assert Certificate.objects.filter(learner=learner, course=course).count() == 1
    assert len(certificate_mails(new)) == 1 and len(certificate_mails()) == 2
    assert certificate_mails(new)[0].attachments[0].content.startswith(b"%PDF")
    assert client.get(f"/certificates/{old.code}/").status_code == 404
    assert client.get(f"/certificates/{old.code}.pdf").status_code == 404
    assert client.get(f"/certificates/{new.code}/").status_code == 200
    assert client.get(f"/certificates/{new.code}.pdf").status_code == 200


def test_a_content_change_recomputes_every_live_enrollment(run_on_commit):
    from courseware.structure.changes import course_content_changed

    course = build_course(modules=1, lessons_per_module=2, quiz_per_module=False)
    course.refresh_from_db()  # its first publish bumped the content version
    live = EnrollmentFactory(course=course)
    dropped = EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED)
    with run_on_commit():
        course_content_changed(course_id=course.pk)
    live.refresh_from_db()
    dropped.refresh_from_db()
    assert live.progress_version == course.content_version + 1 and live.progress_computed_at
    assert dropped.progress_computed_at is None


# --- Reconcile: work whose task message was lost ------------------------------------------------------
def test_reconcile_recomputes_progress_whose_task_was_lost(run_on_commit):
    course = build_course(modules=1, lessons_per_module=2, quiz_per_module=False)
    learner = UserFactory()
    enrollment = EnrollmentFactory(learner=learner, course=course)
    fresh = EnrollmentFactory(course=course)  # no activity: nothing to do
    for lesson in Lesson.objects.filter(course=course):
        # Recorded as the API does; its on-commit task message is never sent (lost).
        lesson_completion_record(learner=learner, lesson=lesson, enrollment=enrollment)
    assert enrollments_with_stale_progress(limit=10) == [enrollment.pk]

    with run_on_commit():
        found = reconcile_run()

    assert found["stale_progress"] == 1
    enrollment.refresh_from_db()
    fresh.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED and enrollment.progress == 100
    assert fresh.progress_computed_at is None
    assert len(certificate_mails(Certificate.objects.get(learner=learner))) == 1
    assert enrollments_with_stale_progress(limit=10) == []  # exact: nothing found again
    with run_on_commit():
        assert reconcile_run()["stale_progress"] == 0
    assert Certificate.objects.count() == 1 and len(certificate_mails()) == 1


def test_reconcile_recomputes_after_a_lost_quiz_submission(run_on_commit):
    course = build_course(modules=1, lessons_per_module=1)
    learner = UserFactory()
    enrollment = enroll(learner, course, run_on_commit)
    with run_on_commit():
        lesson_completion_record(learner=learner, lesson=Lesson.objects.get(course=course), enrollment=enrollment)
    assert enrollments_with_stale_progress(limit=10) == []
    quiz = Quiz.objects.get(course=course)
    quiz_attempt_submit(quiz=quiz, learner=learner, enrollment=enrollment, answers=right_answers(quiz))  # task lost
    assert enrollments_with_stale_progress(limit=10) == [enrollment.pk]
    with run_on_commit():
        reconcile_run()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert enrollments_with_stale_progress(limit=10) == []


def test_reconcile_finds_progress_older_than_the_content_or_the_latest_activity(run_on_commit):
    course = build_course(modules=1, lessons_per_module=2, quiz_per_module=False)
    learner = UserFactory()
    enrollment = enroll(learner, course, run_on_commit)
    first, second = Lesson.objects.filter(course=course).order_by("position")
    with run_on_commit():
        lesson_completion_record(learner=learner, lesson=first, enrollment=enrollment)
    assert enrollments_with_stale_progress(limit=10) == []

    Course.objects.filter(pk=course.pk).update(content_version=F("content_version") + 1)  # a lesson moved
    assert enrollments_with_stale_progress(limit=10) == [enrollment.pk]
    with run_on_commit():
        reconcile_run()
    assert enrollments_with_stale_progress(limit=10) == []

    lesson_completion_record(learner=learner, lesson=second, enrollment=enrollment)  # its task message was lost
    assert enrollments_with_stale_progress(limit=10) == [enrollment.pk]
    dropped = Enrollment.objects.filter(pk=enrollment.pk)
    dropped.update(status=Enrollment.Status.DROPPED)
    assert enrollments_with_stale_progress(limit=10) == []  # a dropped learner's progress waits


def test_reconcile_issues_the_missing_certificate_of_a_completed_enrollment(run_on_commit):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    learner = UserFactory()
    enrollment = EnrollmentFactory(learner=learner, course=course)
    LessonCompletionFactory(learner=learner, lesson=Lesson.objects.get(course=course))
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.COMPLETED, progress=100, progress_version=course.content_version,
        progress_computed_at=timezone.now() + timedelta(minutes=1), completed_at=timezone.now(),
    )  # fmt: skip
    assert enrollments_with_stale_progress(limit=10) == []
    assert enrollments_completed_without_certificate(limit=10) == [enrollment.pk]

    with run_on_commit():
        found = reconcile_run()

    assert found["completed_without_certificate"] == 1
    certificate = Certificate.objects.get(learner=learner, course=course)
    assert len(certificate_mails(certificate)) == 1


def test_reconcile_emails_certificates_whose_email_was_never_queued_or_lost(run_on_commit):
    unsent = CertificateFactory()  # no email row at all
    CertificateFactory(revoked=True)  # revoked: never emailed
    CertificateFactory(learner=UserFactory(email=""))  # no address: nothing to do
    lost = CertificateFactory()
    certificate_email_queue(certificate=lost)  # the send message never reached a worker
    OutboundEmail.objects.filter(key=f"certificate:{lost.code}").update(
        updated_at=timezone.now() - timedelta(minutes=2)
    )
    in_flight = CertificateFactory()
    certificate_email_queue(certificate=in_flight)  # queued just now: its message may be on its way

    with run_on_commit():
        found = reconcile_run()

    assert found["certificates_without_email"] == 1 and found["pending_emails"] == 1
    assert len(certificate_mails(unsent)) == 1 and len(certificate_mails(lost)) == 1
    assert certificate_mails(in_flight) == [] and len(certificate_mails()) == 2
    with run_on_commit():
        assert not any(reconcile_run().values())


def test_reconcile_leaves_an_email_waiting_for_its_retry_alone(settings, run_on_commit):
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 30
    settings.EMAIL_MAX_ATTEMPTS = 5  # longest wait 240 s
    certificate = CertificateFactory()
    certificate_email_queue(certificate=certificate)
    email = OutboundEmail.objects.get()
    OutboundEmail.objects.filter(pk=email.pk).update(
        attempts=3, last_error="SMTPServerDisconnected", updated_at=timezone.now() - timedelta(minutes=3)
    )
    with run_on_commit():
        assert reconcile_run()["pending_emails"] == 0
    OutboundEmail.objects.filter(pk=email.pk).update(updated_at=timezone.now() - timedelta(minutes=6))
    with run_on_commit():
        assert reconcile_run()["pending_emails"] == 1
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_reconcile_finders_cost_one_query_each_and_respect_the_batch_size(
    settings, run_on_commit, django_assert_num_queries
):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    lesson = Lesson.objects.get(course=course)
    enrollments = [EnrollmentFactory(course=course) for _ in range(5)]
    for enrollment in enrollments:  # recorded, their task messages lost
        lesson_completion_record(learner=enrollment.learner, lesson=lesson, enrollment=enrollment)
    with django_assert_num_queries(1):
        assert enrollments_with_stale_progress(limit=3) == [e.pk for e in enrollments[:3]]
    with django_assert_num_queries(1):
        enrollments_completed_without_certificate(limit=3)

    settings.RECONCILE_BATCH_SIZE = 2
    with run_on_commit():
        assert reconcile_run()["stale_progress"] == 2
    assert Certificate.objects.count() == 2
    with run_on_commit():
        assert reconcile_run()["stale_progress"] == 2  # the rest, 2 at a time; none found twice
    with run_on_commit():
        assert reconcile_run()["stale_progress"] == 1
    assert Certificate.objects.count() == 5
    assert len(certificate_mails()) == 5


def completed_long_ago_without_certificate(days: int = 30) -> Enrollment:
    """A completed enrollment whose certificate was never issued (its task lost), completed ``days`` ago."""
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    enrollment = EnrollmentFactory(course=course)
    LessonCompletionFactory(learner=enrollment.learner, lesson=Lesson.objects.get(course=course))
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.COMPLETED, progress=100, progress_version=course.content_version,
        progress_computed_at=timezone.now(), completed_at=timezone.now() - timedelta(days=days),
    )  # fmt: skip
    return enrollment


def test_a_completion_whose_drain_never_runs_is_found_by_the_reconcile_sweep(run_on_commit):
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    learner = UserFactory()
    enrollment = enroll(learner, course, run_on_commit)
    # A drain was queued and its message lost (broker restarted empty, worker killed before it began):
    # its mark is still there, so this completion queues none of its own.
    cache.add(DRAIN_QUEUED_KEY, 1, timeout=DRAIN_MARK_SECONDS)
    with run_on_commit():
        lesson_completion_record(learner=learner, lesson=Lesson.objects.get(course=course), enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE and enrollment.progress_seq < enrollment.activity_seq

    with run_on_commit():
        found = reconcile_run()
    assert found["stale_progress"] == 1
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED and enrollment.progress == 100
    certificate = Certificate.objects.get(learner=learner, course=course)
    assert len(certificate_mails(certificate)) == 1


def test_the_watermark_never_passes_a_leftover_whose_redo_was_lost(django_capture_on_commit_callbacks):
    enrollment = completed_long_ago_without_certificate(days=30)
    with django_capture_on_commit_callbacks(execute=False):  # the broker is down: the redo is lost
        assert reconcile_run()["completed_without_certificate"] == 1
    with django_capture_on_commit_callbacks(execute=False):  # a watermark now, and the leftover still in it
        assert reconcile_run()["completed_without_certificate"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_run()["completed_without_certificate"] == 1
    assert Certificate.objects.filter(learner=enrollment.learner, course=enrollment.course).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert not any(reconcile_run().values())


def test_the_watermark_bounds_the_finders_and_losing_the_cache_costs_one_full_sweep(run_on_commit):
    with run_on_commit():
        assert not any(reconcile_run().values())  # the first sweep (everything) sets the watermark
    # A leftover stamped far behind the watermark (as after an outage of the sweep itself, or rows
    # written out of band): a sweep from the watermark does not look that far back...
    enrollment = completed_long_ago_without_certificate(days=30)
    no_email = CertificateFactory(learner=UserFactory(email=""))
    Certificate.objects.filter(pk=no_email.pk).update(issued_at=timezone.now() - timedelta(days=30))
    type(no_email.learner).objects.filter(pk=no_email.learner_id).update(email="late@example.com")
    with run_on_commit():
        found = reconcile_run()
    assert found["completed_without_certificate"] == found["certificates_without_email"] == 0

    cache.clear()  # Redis flushed: no watermark, so the next sweep looks at everything once
    with run_on_commit():
        found = reconcile_run()
    assert found["completed_without_certificate"] == found["certificates_without_email"] == 1
    assert Certificate.objects.filter(learner=enrollment.learner, course=enrollment.course).count() == 1
    assert len(certificate_mails(no_email)) == 1
    with run_on_commit():
        assert not any(reconcile_run().values())


# --- Inactivity reminders and unsubscribing -------------------------------------------------------
def idle_enrollment(days: int, **learner) -> Enrollment:
    enrollment = EnrollmentFactory(learner=UserFactory(**learner))
    Enrollment.objects.filter(pk=enrollment.pk).update(last_activity_at=timezone.now() - timedelta(days=days))
    return enrollment


def reminder_mails() -> list:
    return [m for m in mail.outbox if "List-Unsubscribe" in m.extra_headers]


def test_reminders_go_to_idle_learners_at_most_once_per_period(settings, run_on_commit):
    settings.REMINDER_INACTIVE_DAYS = 7
    idle = idle_enrollment(10)
    recent = idle_enrollment(3)
    idle_enrollment(10, email_reminders=False)  # opted out
    done = idle_enrollment(10)
    Enrollment.objects.filter(pk=done.pk).update(status=Enrollment.Status.COMPLETED)
    dropped = idle_enrollment(10)
    Enrollment.objects.filter(pk=dropped.pk).update(status=Enrollment.Status.DROPPED)

    with run_on_commit():
        send_inactivity_reminders.delay()
    with run_on_commit():
        send_inactivity_reminders.delay()  # the same day: nothing new

    [message] = reminder_mails()
    assert message.to == [idle.learner.email]
    assert idle.course.title in message.subject and idle.course.title in message.body
    [(html, _)] = message.alternatives
    assert "/email/unsubscribe/" in html
    idle.refresh_from_db()
    assert idle.reminder_sent_at is not None
    assert OutboundEmail.objects.filter(kind="reminder").count() == 1

    now = timezone.now()
    with run_on_commit():
        assert inactivity_reminders_queue(now=now + timedelta(days=3)) == 0  # still within the period
    with run_on_commit():  # the next period: a second reminder, and the first for the one idle since
        assert inactivity_reminders_queue(now=now + timedelta(days=7, hours=1)) == 2
    assert sorted(m.to[0] for m in reminder_mails()) == sorted([idle.learner.email] * 2 + [recent.learner.email])
    keys = OutboundEmail.objects.filter(kind="reminder", user=idle.learner).values_list("key", flat=True)
    assert len(set(keys)) == 2 and all(key.startswith(f"reminder:{idle.pk}:") for key in keys)


def test_unsubscribe_link_turns_reminders_off(client, run_on_commit):
    enrollment = idle_enrollment(30)
    with run_on_commit():
        inactivity_reminders_queue()
    [message] = reminder_mails()
    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.startswith("<http") and header.endswith(">")
    raw = message.message().as_bytes().decode()
    assert f"\nList-Unsubscribe: {header}\n" in raw.replace("\r\n", "\n")  # one line, not encoded words
    path = header[1:-1].split("://", 1)[1].split("/", 1)[1]
    assert path.startswith("email/unsubscribe/") and path.rstrip("/").split("/")[-1] in message.body

    response = client.get(f"/{path}")

    assert response.status_code == 200 and b"unsubscribed" in response.content
    assert response["X-Robots-Tag"].startswith("noindex")
    enrollment.learner.refresh_from_db()
    assert enrollment.learner.email_reminders is False
    assert client.get(f"/{path}").status_code == 200  # a second click: still fine
    with run_on_commit():
        assert inactivity_reminders_queue(now=timezone.now() + timedelta(days=60)) == 0


def test_one_click_post_unsubscribes_without_csrf(run_on_commit):
    from django.test import Client

    from notifications.services import unsubscribe_url

    learner = UserFactory()
    url = unsubscribe_url(user_id=learner.pk)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    learner.refresh_from_db()
    assert learner.email_reminders is False


def test_tampered_unsubscribe_link_is_refused(client):
    learner = UserFactory()
    from notifications.services import unsubscribe_token

    token = unsubscribe_token(user_id=learner.pk)
    response = client.get(f"/email/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 400
    learner.refresh_from_db()
    assert learner.email_reminders is True


def test_reminder_queued_before_unsubscribing_is_not_sent(django_capture_on_commit_callbacks):
    enrollment = idle_enrollment(30)
    with django_capture_on_commit_callbacks() as callbacks:
        inactivity_reminders_queue()
    enrollment.learner.email_reminders = False
    enrollment.learner.save()
    for callback in callbacks:
        callback()
    email = OutboundEmail.objects.get(kind="reminder")
    assert email.status == OutboundEmail.Status.FAILED and "unsubscribed" in email.last_error
    assert not mail.outbox


# --- A failing SMTP server --------------------------------------------------------------------------
def test_smtp_failure_is_retried_then_recorded_failed_and_can_be_resent(settings, flaky_mail, run_on_commit):  # noqa: F811
    settings.EMAIL_MAX_ATTEMPTS = 3
    course = build_course(modules=1, lessons_per_module=1, quiz_per_module=False)
    learner = UserFactory()
    enrollment = EnrollmentFactory(learner=learner, course=course)
    flaky_mail.fail_next(100, smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))

    complete_course(learner, course, enrollment, run_on_commit)

    certificate = Certificate.objects.get(learner=learner)  # the certificate stands; only the email failed
    email = OutboundEmail.objects.get(key=f"certificate:{certificate.code}")
    assert flaky_mail.calls() == 3
    assert email.status == OutboundEmail.Status.FAILED and email.attempts == 3
    assert "SMTPServerDisconnected" in email.last_error and "3 tries" in email.last_error
    assert not mail.outbox
    with run_on_commit():
        assert reconcile_run()["pending_emails"] == 0  # failed is final until someone resends

    flaky_mail.reset()  # the server is back
    with run_on_commit():
        certificate_email_queue(certificate=certificate, resend=True)

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 4
    assert len(certificate_mails(certificate)) == 1
