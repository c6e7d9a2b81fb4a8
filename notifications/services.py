"""Queueing the platform's email (one ``OutboundEmail`` row per logical message, sent after commit),
and unsubscribing from reminders."""

import logging
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config.tasks import enqueue_on_commit
from notifications import tasks
from notifications.models import OutboundEmail

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "unsubscribe"


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


def email_queue_many(*, kind: str, messages: list[tuple[str, User, dict]]) -> list[int]:
    """``email_queue`` for many ``(key, user, context)`` at once (no resend; not for reminders, whose
    opt-out this does not read): one INSERT that skips keys already recorded (the unique key is the
    exactly-once guard), one SELECT, then a send message after commit for each pending row, new or
    not (as ``email_queue`` does). Returns the pending rows' ids; users without an address are skipped."""
    wanted = {key: (user, context) for key, user, context in messages if user.email}
    if not wanted:
        return []
    with transaction.atomic():
        OutboundEmail.objects.bulk_create(
            [
                OutboundEmail(key=key, kind=kind, user=user, recipient=user.email, context=context)
                for key, (user, context) in wanted.items()
            ],
            ignore_conflicts=True,
        )
        pending = list(
            OutboundEmail.objects.filter(key__in=list(wanted), status=OutboundEmail.Status.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for email_id in pending:
            enqueue_on_commit(tasks.send_email, email_id)
    return pending


def emails_pending_send(*, kind: str, queued_since: datetime) -> int:
    """Another send message for every pending ``kind`` email queued since ``queued_since`` that is not
    waiting for a retry (the send is idempotent: a row already sent is left alone). For a task that
    was redelivered because its worker died: the dead worker may have committed rows and died before
    publishing their send messages. One query on the (status, created_at) index. Returns how many."""
    pending = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.PENDING, created_at__gte=queued_since, kind=kind, last_error=""
    )
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    for email_id in ids:
        enqueue_on_commit(tasks.send_email, email_id)
    return len(ids)


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
