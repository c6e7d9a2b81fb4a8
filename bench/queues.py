"""The Celery broker's queues: their depth, waiting for them to drain, and pausing the worker's consumer
of a queue so work piles up as a backlog (the throughput measurements time the drain)."""

import time

from bench.env import REDIS_BROKER

# Project code (Django models, services, the Celery app) is imported inside the functions below, not
# here: it can be imported only after django.setup(), which bench.main runs once the environment is set
# and courses_bench is migrated.


def broker():
    import redis

    return redis.Redis.from_url(REDIS_BROKER)


def queue_depth(r) -> int:
    return r.llen("progress") + r.llen("default") + r.llen("email") + r.hlen("unacked")


def wait_drained(r, timeout: float) -> float:
    t = time.perf_counter()
    while queue_depth(r) and time.perf_counter() - t < timeout:
        time.sleep(0.05)
    return time.perf_counter() - t


def paused(queue: str):
    """Cancel the worker's consumer of ``queue`` (work piles up as a backlog); returns resume()."""
    from config.celery import app

    replies = app.control.cancel_consumer(queue, reply=True, limit=1, timeout=5)
    time.sleep(1)

    def resume() -> float:
        t = time.perf_counter()
        app.control.add_consumer(queue, reply=False)
        return t

    return replies, resume
