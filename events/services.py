"""Recording outbound events: the outbox row is written in the caller's transaction, so it commits or
rolls back with the change it reports. The dispatcher (``events.outbox``) numbers it after commit."""

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from config.tasks import batch_countdown
from events import tasks
from events.models import Event

logger = logging.getLogger(__name__)
EVENT_TYPES = frozenset(Event.Type.values)
DISPATCH_MARK_SECONDS = 5  # a lost dispatch message (or a worker on another cache) holds new ones back this long


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
        transaction.on_commit(_dispatch_soon)
    return event


def event_record_many(*, events: list[dict[str, Any]]) -> None:
    """``event_record`` for many events at once (each a dict of its keyword arguments): one INSERT
    in the caller's transaction, one dispatch request after its commit."""
    if not events:
        return
    for spec in events:
        if spec["type"] not in EVENT_TYPES:
            raise ValueError(f"unknown event type {spec['type']!r}")
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        Event.objects.bulk_create(
            Event(
                type=spec["type"],
                course_id=spec.get("course_id"),
                course_slug=spec.get("course_slug", ""),
                learner_id=spec.get("learner_id"),
                data=spec.get("data") or {},
                occurred_at=now,
            )
            for spec in events
        )
        transaction.on_commit(_dispatch_soon)


DISPATCH_QUEUED_KEY = tasks.DISPATCH_QUEUED_KEY


def _dispatch_soon() -> None:
    """After commit: queue the dispatcher unless a dispatch is already queued and has not started
    (the dispatcher clears the mark before it reads, so it sees every row committed before that).
    At a thousand events a second this is one dispatch message per burst, not one per event. With
    the cache unreachable the mark cannot be read and the message is always sent."""
    if cache.add(DISPATCH_QUEUED_KEY, 1, timeout=DISPATCH_MARK_SECONDS) is False:
        return
    try:
        tasks.events_dispatch.apply_async(countdown=batch_countdown())  # the events of that moment share it
    except Exception:  # the broker is down: the periodic sweep numbers the row
        cache.delete(DISPATCH_QUEUED_KEY)
        if tasks.events_dispatch.app.conf.task_always_eager:
            logger.exception("events dispatch failed; the sweep will redo it")
        else:
            logger.warning("could not queue the events dispatch; the sweep will catch up", exc_info=True)
