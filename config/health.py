"""Probes. ``/livez``: the process serves requests (touches nothing). ``/healthz``: the database
and, where one is configured, the broker answer; with a Redis broker, each queue's depth and the age
of its oldest message, naming a queue stuck longer than ``HEALTHZ_QUEUE_MAX_AGE_SECONDS`` (no worker
consumes it, or the workers fall behind) under ``stuck_queues``. A stuck queue does not fail the probe
(the web process itself is healthy); monitor ``stuck_queues``."""

import functools
import json
import logging
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)


def require_GET(view):
    """Django's ``require_GET``, answering its 405 in JSON like every other probe answer."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
def livez(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:
        logger.warning("healthz: database check failed: %s", exc)
        # Drop the broken connection so the next request reconnects by itself.
        try:
            connection.close()
        except Exception:
            logger.debug("closing the broken connection failed", exc_info=True)
        return "unavailable"


def _broker_client():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        _broker_client().ping()
        return "ok"
    except Exception as exc:
        logger.warning("healthz: broker check failed: %s", exc)
        return "unavailable"


def _queue_names() -> list[str]:
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


def queue_report(client, *, now: float | None = None) -> dict[str, dict]:
    """Each routed queue's depth and its oldest message's age in seconds (kombu's Redis transport keeps a
    queue as a list, oldest message at its right end; ``sent_at`` is stamped by ``config.celery``)."""
    now = time.time() if now is None else now
    pipe = client.pipeline()
    for name in _queue_names():
        pipe.llen(name)
        pipe.lindex(name, -1)
    answers = pipe.execute()
    report = {}
    for index, name in enumerate(_queue_names()):
        depth, oldest = answers[2 * index], answers[2 * index + 1]
        age = None
        if oldest:
            try:
                sent_at = json.loads(oldest).get("headers", {}).get("sent_at")
                age = round(max(0.0, now - float(sent_at)), 1) if sent_at is not None else None
            except (ValueError, TypeError, AttributeError):
                age = None
        report[name] = {"depth": depth, "oldest_age_seconds": age}
    return report


def _check_queues() -> dict | None:
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.CELERY_BROKER_URL.split("://", 1)[0] not in ("redis", "rediss"):
        return None
    try:
        return queue_report(_broker_client())
    except Exception as exc:
        logger.warning("healthz: queue check failed: %s", exc)
        return None


@require_GET
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value in ("ok", "eager") for value in checks.values())
    body: dict = {"status": "ok" if healthy else "unavailable", "checks": checks}
    queues = _check_queues() if checks["broker"] == "ok" else None
    if queues is not None:
        limit = settings.HEALTHZ_QUEUE_MAX_AGE_SECONDS
        body["queues"] = queues
        body["stuck_queues"] = sorted(
            name
            for name, q in queues.items()
            if q["oldest_age_seconds"] is not None and q["oldest_age_seconds"] > limit
        )
    return JsonResponse(body, status=200 if healthy else 503)
