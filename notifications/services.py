"""Queueing and sending the platform's email. Every message is an ``OutboundEmail`` row first; the send
task turns a pending row into a sent (or failed) one, and never sends a row that is already sent."""

import logging
import smtplib
from dataclasses import dataclass, field
from email.policy import default as default_policy
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import DatabaseError, IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config.tasks import enqueue_on_commit
from notifications.models import OutboundEmail

if TYPE_CHECKING:
    from courseware.models import Enrollment

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "unsubscribe"
ERROR_MAX_CHARS = 2000


class EmailDeferred(Exception):
    """A transient delivery failure (connection refused, timeout, 4xx): the attempt is recorded, the
    message stays pending and the send task tries again later."""


class EmailNotSendable(Exception):
    """The message must not (or can no longer) be sent: it is recorded as failed without a try."""


def email_max_attempts() -> int:
    """Tries per message (the first one and its retries) before it is recorded as failed."""
    return max(1, int(getattr(settings, "EMAIL_MAX_ATTEMPTS", 5)))


# --- Queueing -------------------------------------------------------------------------------------
def email_queue(*, kind: str, key: str, user: User, context: dict, resend: bool = False) -> OutboundEmail | None:
    """Record a message (idempotent by ``key``) and send it after commit.

    Returns None, recording nothing, when the user has no email address or (reminders) opted out.
    Queueing a key again sends nothing new: a sent or failed message stays as it is, and a pending one
    gets another send message (harmless: the send is idempotent; it heals a send message lost when a
    worker died between issuing and publishing). ``resend`` sends an already-sent or failed message
    once more, to the user's current address."""
    if not user.email:
        return None
    if kind == OutboundEmail.Kind.REMINDER and not user.email_reminders:
        return None
    from notifications import tasks

    with transaction.atomic():
        # No lock to look: a send in progress holds the row for as long as the SMTP server takes.
        email = OutboundEmail.objects.filter(key=key).first()
        if email is None:
            try:
                with transaction.atomic():
                    email = OutboundEmail.objects.create(
                        key=key, kind=kind, user=user, recipient=user.email, context=context
                    )
            except IntegrityError:  # queued concurrently: that row is the message
                email = OutboundEmail.objects.get(key=key)
        elif resend and email.status != OutboundEmail.Status.PENDING:
            email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
            if email.status != OutboundEmail.Status.PENDING:
                email.status = OutboundEmail.Status.PENDING
                email.last_error = ""
                email.recipient = user.email
                email.save(update_fields=["status", "last_error", "recipient", "updated_at"])
        if email.status == OutboundEmail.Status.PENDING:
            enqueue_on_commit(tasks.send_email, email.pk)
    return email


# --- Sending --------------------------------------------------------------------------------------
def email_send(*, email_id: int) -> OutboundEmail | None:
    """Send one recorded message if it is still pending; a retried or redelivered task finds it sent
    and does nothing. The row is locked while sending, so two tasks for one message never both send.

    A transient failure records the attempt and raises ``EmailDeferred`` (the caller retries); a
    permanent one (5xx, recipients refused, nothing left to send) records the message as failed."""
    deferred: EmailDeferred | None = None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != OutboundEmail.Status.PENDING:
            return email
        try:
            message = email_message_build(email=email)
        except EmailNotSendable as exc:
            _finish(email, status=OutboundEmail.Status.FAILED, error=f"Not sent: {exc}")
            return email
        except DatabaseError:
            raise  # a database blip: the task retries, nothing was recorded
        except Exception as exc:  # a bug while rendering: record it, an admin resends after the fix
            logger.exception("could not build email %s (%s)", email.pk, email.key)
            _finish(email, status=OutboundEmail.Status.FAILED, error=f"Could not build the message: {_describe(exc)}")
            return email
        email.subject = message.subject
        email.attempts += 1
        try:
            mailers.default.send_messages([message])
        except Exception as exc:
            if not email_failure_is_transient(exc):
                logger.warning("email %s (%s) failed permanently: %s", email.pk, email.key, _describe(exc))
                _finish(email, status=OutboundEmail.Status.FAILED, error=_describe(exc))
                return email
            logger.info("email %s (%s) deferred: %s", email.pk, email.key, _describe(exc))
            email.last_error = _describe(exc)
            email.save(update_fields=["subject", "attempts", "last_error", "updated_at"])
            deferred = EmailDeferred(email.last_error)
        else:
            email.sent_at = timezone.now()
            _finish(email, status=OutboundEmail.Status.SENT, error="")
    if deferred is not None:
        raise deferred  # after commit: the attempt stays recorded
    return email


@transaction.atomic
def email_mark_failed(*, email_id: int, error: str) -> OutboundEmail | None:
    """Give up on a pending message (retries exhausted). A message sent meanwhile stays sent."""
    email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
    if email is not None and email.status == OutboundEmail.Status.PENDING:
        _finish(email, status=OutboundEmail.Status.FAILED, error=error)
    return email


def email_failure_is_transient(exc: BaseException) -> bool:
    """Worth another try later: connection problems, timeouts and 4xx answers. Permanent: 5xx answers,
    recipients refused with 5xx, and anything that is not a delivery problem."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return not 500 <= exc.smtp_code < 600
    # smtplib.SMTPException, ConnectionError and TimeoutError are all OSErrors; a send cut short by
    # the task's soft time limit is a slow server, worth another try too.
    return isinstance(exc, (OSError, SoftTimeLimitExceeded))


def _finish(email: OutboundEmail, *, status: str, error: str) -> None:
    email.status = status
    email.last_error = error[:ERROR_MAX_CHARS]
    email.save(update_fields=["subject", "status", "sent_at", "last_error", "attempts", "updated_at"])


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS]


# --- Building messages ----------------------------------------------------------------------------
class Message(EmailMultiAlternatives):
    """Headers fold at RFC 5322's hard limit (998 characters), not at 78: a ``List-Unsubscribe`` URL is
    one long token that would otherwise be turned into RFC 2047 encoded words no mail client reads as
    a link. Bodies are encoded exactly as usual (that happens before the policy changes)."""

    def message(self, *, policy=default_policy):
        msg = super().message(policy=policy)
        msg.policy = msg.policy.clone(max_line_length=998)
        return msg


@dataclass
class _Content:
    context: dict
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def email_message_build(*, email: OutboundEmail) -> Message:
    """The message for a recorded email: subject, plain-text and HTML parts from the templates of its
    kind (``notifications/<kind>_subject.txt``, ``<kind>.txt``, ``<kind>.html``), headers and
    attachments. Raises ``EmailNotSendable`` when what it is about is gone or the user opted out."""
    user = email.user
    if user is None:
        raise EmailNotSendable("the user no longer exists.")
    builder = _BUILDERS.get(email.kind)
    if builder is None:
        raise EmailNotSendable(f"unknown kind {email.kind!r}.")
    content = builder(email, user)
    context = {
        "email": email,
        "user": user,
        "name": user.display_name,
        "base_url": settings.PUBLIC_BASE_URL,
        **content.context,
    }
    subject = " ".join(render_to_string(f"notifications/{email.kind}_subject.txt", context).split())
    message = Message(
        subject=subject,
        body=render_to_string(f"notifications/{email.kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.recipient],
        headers=content.headers,
    )
    message.attach_alternative(render_to_string(f"notifications/{email.kind}.html", context), "text/html")
    for filename, data, mimetype in content.attachments:
        message.attach(filename, data, mimetype)
    return message


def _certificate_content(email: OutboundEmail, user: User) -> _Content:
    from courseware.certificates import certificate_pdf, certificate_pdf_url, certificate_verify_url
    from courseware.models import Certificate

    certificate = Certificate.objects.filter(pk=email.context.get("certificate_id")).first()
    if certificate is None:
        raise EmailNotSendable("the certificate no longer exists (reissued with a new code?).")
    if certificate.revoked:
        raise EmailNotSendable("the certificate was revoked.")
    return _Content(
        context={
            "certificate": certificate,
            "course_title": certificate.course_title,
            "verify_url": certificate_verify_url(certificate=certificate),
            "pdf_url": certificate_pdf_url(certificate=certificate),
        },
        attachments=[
            (f"certificate-{certificate.code}.pdf", certificate_pdf(certificate=certificate), "application/pdf")
        ],
    )


def _enrollment(email: OutboundEmail) -> "Enrollment":
    from courseware.models import Enrollment

    enrollment = Enrollment.objects.select_related("course").filter(pk=email.context.get("enrollment_id")).first()
    if enrollment is None:
        raise EmailNotSendable("the enrollment no longer exists.")
    return enrollment


def _welcome_content(email: OutboundEmail, user: User) -> _Content:
    enrollment = _enrollment(email)
    return _Content(context={"enrollment": enrollment, "course": enrollment.course})


def _reminder_content(email: OutboundEmail, user: User) -> _Content:
    from courseware.models import Enrollment

    if not user.email_reminders:
        raise EmailNotSendable("the user unsubscribed from reminders.")
    enrollment = _enrollment(email)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise EmailNotSendable(f"the enrollment is {enrollment.status}.")
    url = unsubscribe_url(user_id=user.pk)
    return _Content(
        context={"enrollment": enrollment, "course": enrollment.course, "unsubscribe_url": url},
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


_BUILDERS = {
    OutboundEmail.Kind.CERTIFICATE: _certificate_content,
    OutboundEmail.Kind.WELCOME: _welcome_content,
    OutboundEmail.Kind.REMINDER: _reminder_content,
}


# --- Unsubscribing from reminders -----------------------------------------------------------------
def unsubscribe_token(*, user_id: int) -> str:
    """A signed, non-expiring token naming the user (salt "unsubscribe")."""
    return signing.dumps(user_id, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, user_id: int) -> str:
    path = reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(user_id=user_id)})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def email_reminders_unsubscribe(*, token: str) -> User | None:
    """Turn off the reminders of the user the token names (idempotent). None for a bad token."""
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is not None and user.email_reminders:
        User.objects.filter(pk=user.pk).update(email_reminders=False, updated_at=timezone.now())
        user.email_reminders = False
    return user
