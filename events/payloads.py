"""How an event reads to integrators: the feed's item and the webhook body (``{type, timestamp, data}``)."""

from typing import Any

import orjson

from events.models import Event


def event_item(event: Event) -> dict[str, Any]:
    """The pull feed's item: ``{id, type, occurred_at, course, learner, data, cursor}``."""
    return {
        "id": str(event.uid),
        "type": event.type,
        "occurred_at": event.occurred_at,
        "course": event.course_slug or None,
        "learner": event.learner_id,
        "data": event.data,
        "cursor": str(event.position),
    }


def webhook_body(event: Event) -> str:
    """The delivery body, the same bytes on every attempt: ``data`` holds the event's id, course and
    learner beside its own fields."""
    payload = {
        "type": event.type,
        "timestamp": event.occurred_at,
        "data": {
            "id": str(event.uid),
            "course": event.course_slug or None,
            "learner": event.learner_id,
            "cursor": str(event.position),
            **event.data,
        },
    }
    return orjson.dumps(payload, option=orjson.OPT_UTC_Z).decode()
