"""Outbound events under load: events written at a target rate (default 1,000/s) while webhook
deliveries run on real Celery workers, to a verifying receiver on loopback. Prints events/s written,
deliveries/s, delivery lag (commit to the receiver's 2xx) and what was lost or duplicated.

Standalone (not part of ``make bench``): needs PostgreSQL and Redis, and uses the database and Redis
databases you name (its tables are migrated and its events emptied first):

    .venv/bin/python bench/events.py --database-url postgres://postgres@127.0.0.1:5432/courses_events \\
        --broker-url redis://127.0.0.1:6379/7 [--rate 1000] [--seconds 10] [--subscriptions 2]
"""

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """Records the first arrival time of every webhook-id, per subscription path, and verifies each."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrivals: dict[str, list[tuple[str, float]]] = {}
        self.secrets: dict[str, str] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from standardwebhooks.webhooks import Webhook, WebhookVerificationError

                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                now = time.time()
                try:
                    Webhook(receiver.secrets[self.path]).verify(raw, headers)
                except (WebhookVerificationError, KeyError):
                    with receiver.lock:
                        receiver.bad_signatures += 1
                with receiver.lock:
                    receiver.arrivals.setdefault(self.path, []).append((headers["webhook-id"], now))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def count(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.arrivals.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--broker-url", required=True)
    ap.add_argument("--rate", type=int, default=1000, help="events per second to write (target)")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--writers", type=int, default=4, help="writer threads")
    ap.add_argument("--subscriptions", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="Celery worker processes (each -c 4, prefork)")
    args = ap.parse_args()

    env = {
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-events-secret-key-" + "x" * 20),
        "WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import User
    from courseware.models import Course
    from events.models import Event, WebhookDelivery, WebhookSubscription
    from events.services import event_record
    from events.subscriptions import webhook_subscription_create

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE events_webhookdelivery, events_webhooksubscription, events_event")
    owner, _ = User.objects.get_or_create(username="bench-events-admin", defaults={"is_superuser": True})
    learner, _ = User.objects.get_or_create(username="bench-events-learner")
    course, _ = Course.objects.get_or_create(slug="bench-events", defaults={"title": "Bench", "summary": "Bench"})
    receiver = Receiver()
    for i in range(args.subscriptions):
        sub = webhook_subscription_create(owner=owner, url=receiver.url(f"s{i}"), event_types=["lesson.completed"])
        receiver.secrets[f"/s{i}"] = sub.secret

    workers = []
    celery = str(Path(sys.executable).parent / "celery")
    for i in range(args.workers):
        command = [celery, "-A", "config", "worker", "-Q", "webhooks", "-c", "4", "-n", f"bench-events-{i}@%h",
                   "-l", "WARNING", "--without-gossip", "--without-mingle"]  # fmt: skip
        log = open(ROOT / "var" / f"bench-events-worker-{i}.log", "wb")  # noqa: SIM115 - closed with the process
        workers.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    time.sleep(6)  # workers ready

    written, stop = [0] * args.writers, threading.Event()
    per_writer = args.rate / args.writers

    def writer(n: int) -> None:
        interval, next_at = 1 / per_writer, time.monotonic()
        while not stop.is_set():
            with transaction.atomic():
                event_record(type="lesson.completed", course_id=course.pk, learner_id=learner.pk, data={"n": n})
            written[n] += 1
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    write_seconds = time.monotonic() - started
    total = sum(written)
    expected = total * args.subscriptions
    deadline = time.monotonic() + 300
    while receiver.count() < expected and time.monotonic() < deadline:
        from events.tasks import webhooks_sweep

        with contextlib.suppress(Exception):
            webhooks_sweep.delay()  # what beat does every 10 s
        time.sleep(1)
    drained = time.monotonic() - started
    for w in workers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(w.pid, signal.SIGKILL)
        w.wait(10)

    occurred = {str(u): t.timestamp() for u, t in Event.objects.values_list("uid", "occurred_at")}
    order = [str(u) for u in Event.objects.order_by("position").values_list("uid", flat=True)]
    lags, lost, duplicates, out_of_order = [], 0, 0, 0
    for i in range(args.subscriptions):
        got = receiver.arrivals.get(f"/s{i}", [])
        ids = [g for g, _ in got]
        first = list(dict.fromkeys(ids))
        duplicates += len(ids) - len(first)
        lost += len(set(order) - set(first))
        out_of_order += int(first != order[: len(first)])
        seen = set()
        for webhook_id, at in got:
            if webhook_id not in seen:
                seen.add(webhook_id)
                lags.append(at - occurred[webhook_id])
    lags.sort()
    q = statistics.quantiles(lags, n=100) if len(lags) > 1 else [0] * 99
    pending = WebhookDelivery.objects.filter(status="pending").count()
    print(
        f"events written:      {total} in {write_seconds:.1f} s = {total / write_seconds:.0f} events/s "
        f"(target {args.rate}/s, {args.writers} writer threads, one transaction each)"
    )
    print(
        f"deliveries:          {len(lags)} of {expected} to {args.subscriptions} subscriptions, all arrived "
        f"{drained:.1f} s after the first write = {len(lags) / drained:.0f} deliveries/s"
    )
    print(f"delivery lag (s):    p50 {q[49]:.2f}  p95 {q[94]:.2f}  p99 {q[98]:.2f}  max {lags[-1] if lags else 0:.2f}")
    print(
        f"lost {lost}, duplicates {duplicates} (same webhook-id), out of order {out_of_order}, "
        f"bad signatures {receiver.bad_signatures}, still pending {pending}"
    )
    print(f"subscriptions still active: {WebhookSubscription.objects.filter(is_active=True).count()}")
    receiver.server.shutdown()
    return 0 if lost == 0 and out_of_order == 0 and receiver.bad_signatures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
