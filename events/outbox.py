"""The dispatcher: gives committed outbox rows their commit-ordered ``position`` and fans them out to
the webhook subscriptions that want them.

Why a position assigned after commit, and not the row id: ids are handed out when a transaction
inserts, not when it commits, so under concurrency a transaction that commits later can hold a
smaller id, and a consumer that already read past it would never see it. The dispatcher sees only
committed rows and numbers them in batches, one dispatcher at a time (a PostgreSQL advisory lock held
until its transaction commits; SQLite has a single writer anyway), each batch after the previous
one's highest number. A reader who saw position P therefore never later finds a new row below P:
``after=<cursor>`` loses nothing and repeats nothing."""

import logging

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from events.models import Event, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x45564E54  # "EVNT": one dispatcher at a time, cluster-wide
BATCH_SIZE = 1000


def events_dispatch(*, batch_size: int = BATCH_SIZE) -> tuple[int, set[int]]:
    """Position every committed, unpositioned event (in batches) and create their deliveries.
    Returns how many were positioned and the subscriptions that got new deliveries. Idempotent:
    a second run finds nothing to do."""
    total, touched = 0, set()
    while True:
        count, subs = _dispatch_batch(batch_size=batch_size)
        total += count
        touched |= subs
        if count < batch_size:
            return total, touched


@transaction.atomic
def _dispatch_batch(*, batch_size: int) -> tuple[int, set[int]]:
    _lock()
    rows = list(
        Event.objects.filter(position__isnull=True)
        .order_by("id")
        .values_list("id", "course_id", "type", "course_slug", "course__slug")[:batch_size]
    )
    if not rows:
        return 0, set()
    start = (Event.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    now = timezone.now()
    events = []
    for offset, (pk, course_id, type_, slug, current_slug) in enumerate(rows):
        # The slug is frozen here for writers that knew only the course id: every delivery and
        # every read of the feed then shows the same payload.
        event = Event(pk=pk, position=start + offset, positioned_at=now, course_slug=slug or current_slug or "")
        event.course_id, event.type = course_id, type_
        events.append(event)
    Event.objects.bulk_update(events, ["position", "positioned_at", "course_slug"], batch_size=500)
    touched = deliveries_fan_out(events=events)
    return len(events), touched


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    # SQLite: the dispatcher's transaction is BEGIN IMMEDIATE (settings): writers run one at a time.


# --- Fan-out --------------------------------------------------------------------------------------
def subscription_scope(subscription: WebhookSubscription) -> set[int] | None:
    """Course ids the subscription may receive events of (None: every course, an admin's)."""
    owner = subscription.owner
    if subscription.course_id is not None:
        if owner.is_superuser or owner.taught_courses.filter(pk=subscription.course_id).exists():
            return {subscription.course_id}
        return set()
    if owner.is_superuser:
        return None
    return set(owner.taught_courses.values_list("pk", flat=True))


def subscription_wants(subscription: WebhookSubscription, scope: set[int] | None, event: Event) -> bool:
    if event.type not in subscription.event_types:
        return False
    return scope is None or event.course_id in scope


def deliveries_fan_out(*, events: list[Event]) -> set[int]:
    """One pending delivery per (active subscription, positioned event) it wants. Returns the
    subscriptions that got one (the dispatch task wakes their senders once this has committed)."""
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True).select_related("owner"))
    if not subscriptions:
        return set()
    scopes = {s.pk: subscription_scope(s) for s in subscriptions}
    now = timezone.now()
    new, touched = [], set()
    for event in events:
        for sub in subscriptions:
            if subscription_wants(sub, scopes[sub.pk], event):
                new.append(
                    WebhookDelivery(subscription=sub, event_id=event.pk, position=event.position, next_attempt_at=now)
                )
                touched.add(sub.pk)
    WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return touched
