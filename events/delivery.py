"""Sending a subscription's deliveries: in order, one sender at a time, retried with backoff.

Per-subscription order: a sender takes the subscription's lease (a row update that succeeds for one
worker only), then sends its pending deliveries lowest position first; a delivery that fails waits
for its next try and holds back the later ones until it is delivered or given up. Another
subscription has its own lease and its own task, so a slow or dead receiver delays only itself. A
worker killed mid-send leaves a lease that expires (``lease_seconds``) and a delivery still pending:
it is sent again with the same ``webhook-id`` (at least once; receivers deduplicate on the id)."""

import logging
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from events import outbound
from events.models import WebhookDelivery, WebhookSubscription
from events.payloads import webhook_body
from events.signing import webhook_headers
from notifications.services import email_queue

logger = logging.getLogger(__name__)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def timeout_seconds() -> float:
    return _setting("WEBHOOKS_TIMEOUT_SECONDS", 10)


def lease_seconds() -> float:
    """How long a sender holds a subscription without renewing (it renews before every attempt, and an
    attempt lasts at most the timeout): a killed sender's subscription is picked up again after this."""
    return 2 * timeout_seconds() + 5


def retry_delay(*, attempt: int) -> float:
    """Seconds before the try after failed try number ``attempt`` (1, 2, …): exponential from
    ``WEBHOOKS_RETRY_BASE_SECONDS`` (20: the first retry within 10-20 s), capped at
    ``WEBHOOKS_RETRY_MAX_DELAY_SECONDS`` (6 h), with jitter (50-100 % of it) so that many receivers
    back from an outage are not all retried in the same second."""
    base = _setting("WEBHOOKS_RETRY_BASE_SECONDS", 20)
    cap = _setting("WEBHOOKS_RETRY_MAX_DELAY_SECONDS", 6 * 3600)
    return min(base * 2 ** min(attempt - 1, 40), cap) * random.uniform(0.5, 1.0)


def retry_window() -> timedelta:
    """How long a delivery is retried before it is given up (``WEBHOOKS_RETRY_FOR_SECONDS``, 3 days)."""
    return timedelta(seconds=_setting("WEBHOOKS_RETRY_FOR_SECONDS", 3 * 86400))


def disable_after() -> timedelta:
    """A subscription failing this long without one success is disabled (5 days)."""
    return timedelta(seconds=_setting("WEBHOOKS_DISABLE_AFTER_SECONDS", 5 * 86400))


def subscription_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    """The secrets to sign with: the current one, and the previous one during its grace period."""
    found = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > now:
        found.append(subscription.previous_secret)
    return found


# --- The lease ------------------------------------------------------------------------------------
def _lease_claim(subscription_id: int) -> datetime | None:
    now = timezone.now()
    until = now + timedelta(seconds=lease_seconds())
    claimed = (
        WebhookSubscription.objects.filter(pk=subscription_id, is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=until)
    )
    return until if claimed else None


def _lease_renew(subscription_id: int, held: datetime) -> datetime | None:
    until = timezone.now() + timedelta(seconds=lease_seconds())
    renewed = WebhookSubscription.objects.filter(pk=subscription_id, lease_until=held).update(lease_until=until)
    return until if renewed else None


def _lease_release(subscription_id: int, held: datetime) -> None:
    WebhookSubscription.objects.filter(pk=subscription_id, lease_until=held).update(lease_until=None)


# --- Sending --------------------------------------------------------------------------------------
def _head(subscription_id: int) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.filter(subscription_id=subscription_id, status=WebhookDelivery.Status.PENDING)
        .order_by("position")
        .select_related("event")
        .first()
    )


def webhook_subscription_send(*, subscription_id: int, budget_seconds: float = 20.0) -> float | None:
    """Send the subscription's due deliveries in order for up to ``budget_seconds``. Returns the
    seconds until its next delivery is due (0: due now, the budget ran out), or None when nothing is
    pending, the subscription is inactive, or another sender holds it (that one carries on)."""
    deadline = time.monotonic() + budget_seconds
    while True:
        held = _lease_claim(subscription_id)
        if held is None:
            return None
        try:
            wait, held = _send_while_due(subscription_id, held, deadline)
        finally:
            if held is not None:
                _lease_release(subscription_id, held)
        if wait is not None:
            return wait
        # Nothing was due when we looked; a delivery created while we held the lease found it taken
        # and left the work to us: look once more now that the lease is free.
        head = _head(subscription_id)
        if head is None or not WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).exists():
            return None
        if head.next_attempt_at and head.next_attempt_at > timezone.now():
            return (head.next_attempt_at - timezone.now()).total_seconds()


SEND_BATCH = 50


def _send_while_due(subscription_id: int, held: datetime, deadline: float) -> tuple[float | None, datetime | None]:
    """Send due deliveries in order, a batch read at a time; stop at the first that fails (it holds
    back the rest until its retry), at one not yet due, or when the budget is spent."""
    while True:
        subscription = WebhookSubscription.objects.filter(pk=subscription_id).select_related("owner").first()
        if subscription is None or not subscription.is_active:
            return None, held
        batch = list(
            WebhookDelivery.objects.filter(subscription_id=subscription_id, status=WebhookDelivery.Status.PENDING)
            .order_by("position")
            .select_related("event")[:SEND_BATCH]
        )
        if not batch:
            return None, held
        for delivery in batch:
            now = timezone.now()
            if delivery.next_attempt_at and delivery.next_attempt_at > now:
                return (delivery.next_attempt_at - now).total_seconds(), held
            if time.monotonic() > deadline:
                return 0.0, held
            if (held - now).total_seconds() < timeout_seconds() + 5:  # renew before an attempt could outlast it
                held = _lease_renew(subscription_id, held)
                if held is None:  # our lease expired and another sender took over
                    return None, None
            delivery = delivery_attempt(subscription=subscription, delivery=delivery)
            if delivery.status == WebhookDelivery.Status.PENDING:  # failed: the rest wait for its retry
                wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
                return max(0.0, wait), held


def delivery_attempt(*, subscription: WebhookSubscription, delivery: WebhookDelivery) -> WebhookDelivery:
    """One try: sign, POST, record the answer (delivered, retry later, or given up)."""
    event = delivery.event
    body = webhook_body(event)
    now = timezone.now()
    headers = webhook_headers(
        secrets_=subscription_secrets(subscription, now), msg_id=str(event.uid), timestamp=now, body=body
    )
    answer = outbound.post(url=subscription.url, body=body.encode(), headers=headers, timeout=timeout_seconds())
    return _record(subscription=subscription, delivery_id=delivery.pk, answer=answer, attempted_at=now)


def _record(
    *, subscription: WebhookSubscription, delivery_id: int, answer: outbound.Answer, attempted_at: datetime
) -> WebhookDelivery:
    if answer.ok:  # the common case: two UPDATEs at most, no lock
        now = timezone.now()
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.DELIVERED,
            attempt=F("attempt") + 1,
            status_code=answer.status_code,
            error="",
            first_attempt_at=Coalesce("first_attempt_at", Value(attempted_at)),
            last_attempt_at=attempted_at,
            delivered_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
        if subscription.failing_since is not None:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None)
            subscription.failing_since = None
        return WebhookDelivery(pk=delivery_id, status=WebhookDelivery.Status.DELIVERED)
    return _record_failure(subscription=subscription, delivery_id=delivery_id, answer=answer, attempted_at=attempted_at)


@transaction.atomic
def _record_failure(
    *, subscription: WebhookSubscription, delivery_id: int, answer: outbound.Answer, attempted_at: datetime
) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    now = timezone.now()
    delivery.attempt += 1
    delivery.status_code = answer.status_code
    delivery.error = answer.error[:500]
    delivery.first_attempt_at = delivery.first_attempt_at or attempted_at
    delivery.last_attempt_at = attempted_at
    if now - delivery.first_attempt_at >= retry_window():
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        delivery.error = f"Gave up after {delivery.attempt} attempts. Last: {answer.error}"[:500]
    else:
        delivery.next_attempt_at = now + timedelta(seconds=retry_delay(attempt=delivery.attempt))
    _failure_note(subscription=subscription, now=now)
    logger.info("webhook %s delivery %s failed: %s", subscription.pk, delivery.pk, answer.error)
    delivery.save()
    return delivery


def _failure_note(*, subscription: WebhookSubscription, now: datetime) -> None:
    sub = (
        WebhookSubscription.objects.select_for_update(no_key=True, of=("self",))
        .select_related("owner")
        .get(pk=subscription.pk)
    )
    subscription.failing_since = sub.failing_since or now
    if sub.failing_since is None:
        sub.failing_since = now
        sub.save(update_fields=["failing_since", "updated_at"])
        return
    if sub.is_active and now - sub.failing_since >= disable_after():
        sub.is_active = False
        sub.disabled_at = now
        sub.disabled_reason = f"Every delivery failed since {sub.failing_since.isoformat()}."
        sub.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
        email_queue(
            kind="webhook_disabled",
            key=f"webhook-disabled:{sub.pk}:{int(now.timestamp())}",
            user=sub.owner,
            context={"subscription_id": sub.pk},
        )


# --- The sweep ------------------------------------------------------------------------------------
def subscriptions_due() -> list[int]:
    """Active subscriptions with a delivery due and no sender holding them (the periodic sweep wakes
    these: retries due later than a task's countdown, messages lost with the broker)."""
    now = timezone.now()
    return list(
        WebhookSubscription.objects.filter(is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(
            deliveries__status=WebhookDelivery.Status.PENDING,
            deliveries__next_attempt_at__lte=now,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
