"""Sending the platform's recorded email: build the message from its kind's templates and the
content its owner supplies, send it at most once, classify failures. The apps that send a kind of
email register how to build its content (``email_content_register``, from their ``ready()``); this
app knows no course."""

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.policy import default as default_policy

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from notifications.models import OutboundEmail

logger = logging.getLogger(__name__)
ERROR_MAX_CHARS = 2000


class EmailDeferred(Exception):
    """A transient delivery failure (connection refused, timeout, 4xx): the attempt is recorded, the
    message stays pending and the send task tries again later."""


class EmailNotSendable(Exception):
    """The message must not (or can no longer) be sent: it is recorded as failed without a try."""


def email_max_attempts() -> int:
    """Tries per message (the first one and its retries) before it is recorded as failed."""
    return max(1, int(getattr(settings, "EMAIL_MAX_ATTEMPTS", 5)))


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
class EmailContent:
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


_BUILDERS: dict[str, Callable[[OutboundEmail, User], EmailContent]] = {}


def email_content_register(*, kind: str, build: Callable[[OutboundEmail, User], EmailContent]) -> None:
    """Say how to build the content of emails of ``kind``: ``build(email, user)`` answers an
    ``EmailContent`` or raises ``EmailNotSendable``."""
    _BUILDERS[kind] = build
