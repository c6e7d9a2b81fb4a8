"""Sending recorded email: templates, idempotency, retries with backoff, permanent failures, resend."""

import smtplib
import socket

import pytest
from django.core import mail
from django.db import OperationalError

from learning.certificates.services import certificate_email_queue
from notifications import tasks
from notifications.models import OutboundEmail
from notifications.sending import _BUILDERS, email_failure_is_transient, email_send
from notifications.services import email_queue
from tests.factories import CertificateFactory, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def welcome(db):
    enrollment = EnrollmentFactory(course__title="Rust & Friends", learner__first_name="Ada", learner__last_name="B")
    return email_queue(
        kind="welcome",
        key=f"welcome:{enrollment.pk}",
        user=enrollment.learner,
        context={"enrollment_id": enrollment.pk, "course_id": enrollment.course_id},
    )


def test_welcome_email_has_text_and_html_parts_from_the_templates(welcome, settings):
    email_send(email_id=welcome.pk)

    [message] = mail.outbox
    assert message.subject == "Welcome to Rust & Friends"  # subjects are not HTML-escaped
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Hello Ada B," in message.body and '"Rust & Friends"' in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "<html" in html and "Rust &amp; Friends" in html
    assert not message.attachments
    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.SENT and welcome.subject == message.subject


def test_a_sent_email_is_never_sent_again(welcome, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_email.delay(welcome.pk)
        tasks.send_email.delay(welcome.pk)  # a redelivered message
        email_queue(kind="welcome", key=welcome.key, user=welcome.user, context=welcome.context)  # queued again
    assert len(mail.outbox) == 1
    welcome.refresh_from_db()
    assert welcome.attempts == 1


def test_queueing_again_sends_a_pending_message_once_and_a_sent_one_never(welcome, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = email_queue(kind="welcome", key=welcome.key, user=welcome.user, context=welcome.context)
    assert again.pk == welcome.pk and len(callbacks) == 1  # pending: its send message may have been lost
    assert OutboundEmail.objects.count() == 1 and len(mail.outbox) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        email_queue(kind="welcome", key=welcome.key, user=welcome.user, context=welcome.context)
    assert callbacks == []  # sent: nothing to do


def test_no_address_no_email():
    user = UserFactory(email="")
    assert email_queue(kind="welcome", key="welcome:x", user=user, context={}) is None
    assert not OutboundEmail.objects.exists()


def test_certificate_email_attaches_the_pdf():
    certificate = CertificateFactory()
    certificate_email_queue(certificate=certificate)
    email_send(email_id=OutboundEmail.objects.get().pk)

    [message] = mail.outbox
    [attachment] = message.attachments
    assert attachment.filename == f"certificate-{certificate.code}.pdf"
    assert attachment.mimetype == "application/pdf" and attachment.content.startswith(b"%PDF")
    raw = message.message().as_bytes()
    assert b"multipart/mixed" in raw and b"multipart/alternative" in raw and b"application/pdf" in raw


def test_transient_failures_retry_then_succeed(welcome, flaky_mail, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_MAX_ATTEMPTS = 5
    flaky_mail.fail_next(2, ConnectionRefusedError(111, "Connection refused"))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_email.delay(welcome.pk)

    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.SENT and welcome.attempts == 3 and welcome.last_error == ""
    assert flaky_mail.calls() == 3 and len(mail.outbox) == 1


def test_each_failed_try_is_recorded(welcome, flaky_mail):
    flaky_mail.fail_next(1, smtplib.SMTPServerDisconnected("gone"))
    with pytest.raises(Exception, match="gone"):
        email_send(email_id=welcome.pk)
    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.PENDING
    assert welcome.attempts == 1 and welcome.last_error == "SMTPServerDisconnected: gone"


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"5.1.1 No such user")}),
        smtplib.SMTPDataError(554, b"5.7.1 Message rejected"),
        smtplib.SMTPSenderRefused(553, b"Sender not allowed", "no-reply@courses.localhost"),
    ],
    ids=["recipient-refused", "5xx-data", "5xx-sender"],
)
def test_permanent_failures_are_not_retried(welcome, flaky_mail, error, django_capture_on_commit_callbacks):
    flaky_mail.fail_next(5, error)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_email.delay(welcome.pk)

    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.FAILED and welcome.attempts == 1
    assert type(error).__name__ in welcome.last_error
    assert flaky_mail.calls() == 1 and not mail.outbox


def test_failure_classification():
    assert email_failure_is_transient(ConnectionRefusedError())
    assert email_failure_is_transient(TimeoutError())
    assert email_failure_is_transient(socket.gaierror())
    assert email_failure_is_transient(smtplib.SMTPServerDisconnected())
    assert email_failure_is_transient(smtplib.SMTPConnectError(421, b"busy"))
    assert email_failure_is_transient(smtplib.SMTPDataError(451, b"try later"))
    assert email_failure_is_transient(smtplib.SMTPRecipientsRefused({"a@x": (450, b"greylisted")}))
    assert not email_failure_is_transient(smtplib.SMTPRecipientsRefused({"a@x": (550, b"unknown")}))
    assert not email_failure_is_transient(smtplib.SMTPAuthenticationError(535, b"bad credentials"))
    assert not email_failure_is_transient(ValueError("bug"))


def test_retry_countdown_backs_off_exponentially(settings):
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 30
    assert [tasks.email_retry_countdown(retries=n) for n in range(4)] == [30, 60, 120, 240]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    assert tasks.email_retry_countdown(retries=5) == 240  # kept below the visibility timeout
    del settings.EMAIL_RETRY_BACKOFF_SECONDS
    assert tasks.email_retry_countdown(retries=0) == 30  # the default


def test_on_a_worker_a_transient_failure_schedules_a_retry_with_backoff(welcome, flaky_mail, settings, monkeypatch):
    """Not eager: the task asks Celery to retry after the backoff countdown (here intercepted)."""
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 7
    flaky_mail.fail_next(1, TimeoutError("timed out"))
    asked = {}

    class Retrying(Exception):
        pass

    def retry(**kwargs):
        asked.update(kwargs)
        return Retrying()

    monkeypatch.setattr(tasks.send_email, "retry", retry)
    tasks.send_email.push_request(retries=2, is_eager=False)
    try:
        with pytest.raises(Retrying):
            tasks.send_email.run(welcome.pk)
    finally:
        tasks.send_email.pop_request()
    assert asked["countdown"] == 28 and isinstance(asked["exc"], Exception)
    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.PENDING and welcome.attempts == 1


def test_rendering_bug_marks_the_email_failed_instead_of_retrying_forever(welcome, monkeypatch):
    def broken(email, user):
        raise KeyError("oops")

    monkeypatch.setitem(_BUILDERS, OutboundEmail.Kind.WELCOME, broken)
    email_send(email_id=welcome.pk)
    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.FAILED and "KeyError" in welcome.last_error
    assert welcome.attempts == 0 and not mail.outbox


def test_database_blip_is_left_to_the_task_retry(welcome, monkeypatch):
    def blip(email, user):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setitem(_BUILDERS, OutboundEmail.Kind.WELCOME, blip)
    with pytest.raises(OperationalError):
        email_send(email_id=welcome.pk)
    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.PENDING and welcome.attempts == 0


def test_resend_sends_a_sent_email_once_more_to_the_current_address(welcome, django_capture_on_commit_callbacks):
    email_send(email_id=welcome.pk)
    user = welcome.user
    user.email = "new-address@example.com"
    user.save()

    with django_capture_on_commit_callbacks(execute=True):
        email_queue(kind="welcome", key=welcome.key, user=user, context=welcome.context, resend=True)

    assert [m.to for m in mail.outbox] == [[welcome.recipient], ["new-address@example.com"]]
    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.SENT and welcome.attempts == 2


def test_email_of_a_deleted_user_is_not_sent(welcome):
    welcome.user.delete()
    email_send(email_id=welcome.pk)
    welcome.refresh_from_db()
    assert welcome.status == OutboundEmail.Status.FAILED and "no longer exists" in welcome.last_error
    assert not mail.outbox
