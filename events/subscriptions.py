"""Writes for webhook subscriptions: subscribe, change, rotate the secret, unsubscribe; redeliver and
replay."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_is_admin
from config.errors import NotFound
from config.tasks import enqueue_on_commit
from events import outbound, tasks
from events.models import Event, WebhookDelivery, WebhookSubscription
from events.outbox import subscription_scope, subscription_wants
from events.signing import secret_generate

REPLAY_MAX = 10_000


def _types_check(event_types: list[str]) -> list[str]:
    if not isinstance(event_types, list) or not event_types:
        raise ValidationError({"events": ["Name at least one event type."]})
    unknown = [t for t in event_types if t not in Event.Type.values]
    if unknown:
        raise ValidationError(
            {"events": [f"Unknown event types: {', '.join(map(str, unknown))}. Known: {', '.join(Event.Type.values)}."]}
        )
    return list(dict.fromkeys(event_types))


def _url_check(url: str) -> str:
    try:
        outbound.url_addresses(url)
    except outbound.UnsafeURL as exc:
        raise ValidationError({"url": [str(exc)]})
    return url


def _course_check(*, owner: User, course_id: int | None) -> None:
    if course_id is not None and not user_is_admin(owner) and not owner.taught_courses.filter(pk=course_id).exists():
        raise ValidationError({"course": ["You may subscribe only to courses you teach."]})


@transaction.atomic
def webhook_subscription_create(
    *, owner: User, url: str, event_types: list[str], course_id: int | None = None
) -> WebhookSubscription:
    """Subscribe ``url`` to ``event_types`` (of ``course_id``, or of every course the owner may see).
    The secret is generated here; the caller shows it once."""
    event_types = _types_check(event_types)
    _url_check(url)
    _course_check(owner=owner, course_id=course_id)
    return WebhookSubscription.objects.create(
        owner=owner, url=url, event_types=event_types, course_id=course_id, secret=secret_generate()
    )


_UNSET = object()


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    event_types: list[str] | None = None,
    course_id: int | object | None = _UNSET,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what a subscription receives; ``is_active=True`` turns a disabled one back on (its
    failure clock starts again)."""
    subscription = WebhookSubscription.objects.select_for_update(no_key=True).get(pk=subscription.pk)
    fields = ["updated_at"]
    if url is not None:
        subscription.url = _url_check(url)
        fields.append("url")
    if event_types is not None:
        subscription.event_types = _types_check(event_types)
        fields.append("event_types")
    if course_id is not _UNSET:
        _course_check(owner=subscription.owner, course_id=course_id)
        subscription.course_id = course_id
        fields.append("course")
    if is_active is not None and is_active != subscription.is_active:
        subscription.is_active = is_active
        subscription.failing_since = None
        subscription.disabled_at = None if is_active else timezone.now()
        subscription.disabled_reason = "" if is_active else "Turned off by its owner."
        fields += ["is_active", "failing_since", "disabled_at", "disabled_reason"]
        if is_active:
            enqueue_on_commit(tasks.webhook_send, subscription.pk)
    subscription.save(update_fields=fields)
    return subscription


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """A new secret; the old one still signs (a second signature) for ``WEBHOOKS_SECRET_GRACE_SECONDS``."""
    subscription = WebhookSubscription.objects.select_for_update(no_key=True).get(pk=subscription.pk)
    grace = timedelta(seconds=int(getattr(settings, "WEBHOOKS_SECRET_GRACE_SECONDS", 86400)))
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + grace
    subscription.secret = secret_generate()
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()


@transaction.atomic
def webhook_delivery_redeliver(*, subscription: WebhookSubscription, delivery_id: int) -> WebhookDelivery:
    """Send one delivery again (delivered or given up): it is pending again, due now, with the same
    ``webhook-id``; attempts go on counting."""
    delivery = (
        WebhookDelivery.objects.select_for_update().filter(pk=delivery_id, subscription_id=subscription.pk).first()
    )
    if delivery is None:
        raise NotFound("No delivery with this id for this subscription.")
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.first_attempt_at = None  # a fresh retry window
    delivery.save(update_fields=["status", "next_attempt_at", "first_attempt_at", "updated_at"])
    enqueue_on_commit(tasks.webhook_send, subscription.pk)
    return delivery


@transaction.atomic
def webhook_subscription_replay(*, subscription: WebhookSubscription, after: int) -> int:
    """Deliver again every event after the cursor ``after`` that the subscription wants (now, in
    order, up to ``REPLAY_MAX``): missing deliveries are created, existing ones made pending again.
    Returns how many were queued."""
    subscription = WebhookSubscription.objects.select_related("owner").get(pk=subscription.pk)
    scope = subscription_scope(subscription)
    events = Event.objects.filter(position__gt=after, type__in=subscription.event_types).order_by("position")
    if scope is not None:
        events = events.filter(course_id__in=scope)
    chosen = list(events.only("pk", "type", "course_id", "position")[:REPLAY_MAX])
    chosen = [e for e in chosen if subscription_wants(subscription, scope, e)]
    if not chosen:
        return 0
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=subscription, event_id=e.pk, position=e.position, next_attempt_at=now)
            for e in chosen
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    WebhookDelivery.objects.filter(subscription=subscription, position__gt=after).filter(
        Q(event_id__in=[e.pk for e in chosen])
    ).exclude(status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, first_attempt_at=None, updated_at=now
    )
    enqueue_on_commit(tasks.webhook_send, subscription.pk)
    return len(chosen)
