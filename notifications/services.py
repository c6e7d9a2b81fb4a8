"""Queueing and sending the platform's email. Every message is an ``OutboundEmail`` row first."""

from django.db import IntegrityError, transaction

from accounts.models import User
from config.tasks import enqueue_on_commit
from notifications.models import OutboundEmail


def email_queue(*, kind: str, key: str, user: User, context: dict, resend: bool = False) -> OutboundEmail | None:
    """Record a message (idempotent by ``key``) and send it after commit. Returns None when the user
    has no email address. ``resend`` sends an already-sent or failed message once more."""
    if not user.email:
        return None
    email = OutboundEmail.objects.filter(key=key).first()
    if email is None:
        try:
            with transaction.atomic():
                email = OutboundEmail.objects.create(
                    key=key, kind=kind, user=user, recipient=user.email, context=context
                )
        except IntegrityError:
            email = OutboundEmail.objects.get(key=key)
    elif resend and email.status != OutboundEmail.Status.PENDING:
        email.status = OutboundEmail.Status.PENDING
        email.last_error = ""
        email.save(update_fields=["status", "last_error", "updated_at"])
    if email.status == OutboundEmail.Status.PENDING:
        from notifications import tasks

        enqueue_on_commit(tasks.send_email, email.pk)
    return email


def email_send(*, email_id: int) -> None:
    """Send one recorded message unless it was already sent (a retried task never sends twice)."""
    from django.core.mail import EmailMultiAlternatives
    from django.utils import timezone

    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != OutboundEmail.Status.PENDING:
            return
        email.attempts += 1
        subject, text = _render(email)
        message = EmailMultiAlternatives(subject=subject, body=text, to=[email.recipient])
        message.send()
        email.subject = subject
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["subject", "status", "sent_at", "last_error", "attempts", "updated_at"])


def _render(email: OutboundEmail) -> tuple[str, str]:
    from django.template.loader import render_to_string

    context = {"email": email, "user": email.user, **email.context}
    subject = render_to_string(f"notifications/{email.kind}_subject.txt", context).strip()
    text = render_to_string(f"notifications/{email.kind}.txt", context)
    return subject, text
