"""Recording outbound events: the outbox row is written in the caller's transaction, so it commits or
rolls back with the change it reports. The dispatcher (``events.outbox``) numbers it after commit."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from config.tasks import enqueue_on_commit
from events import tasks
from events.models import Event

EVENT_TYPES = frozenset(Event.Type.values)


def event_record(
    *,
    type: str,
    course_id: int | None,
    learner_id: int | None = None,
    data: dict[str, Any] | None = None,
    course_slug: str = "",
) -> Event:
    """Write one event to the outbox inside the current transaction (one INSERT) and ask the
    dispatcher to number and fan it out once that transaction commits. A rolled-back change leaves
    no event; a committed one is never lost, even with the broker down (the periodic sweep drains
    what no message announced)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    with transaction.atomic(savepoint=False):  # the caller's transaction; no savepoint of its own
        event = Event.objects.create(
            type=type,
            course_id=course_id,
            course_slug=course_slug,
            learner_id=learner_id,
            data=data or {},
            occurred_at=timezone.now(),
        )
        enqueue_on_commit(tasks.events_dispatch)
    return event
