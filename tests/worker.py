"""Real Celery workers for tests: subprocesses running ``celery -A config worker`` against the pytest
test database (PostgreSQL) and a Redis broker, writing email to files the test reads.

Only for PostgreSQL + Redis runs (``DATABASE_URL`` and ``CELERY_BROKER_URL``/``REDIS_URL`` set); the
``live_celery`` fixture switches the test process from eager tasks to the real broker for one test
and puts everything back afterwards. Every subprocess is started in its own session and killed by
its process-group id in teardown."""

import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).parent / "celery"
QUEUES = "default,progress,email,webhooks"
VISIBILITY_TIMEOUT = 5  # seconds: a killed worker's unacknowledged messages come back this fast
TEST_REDIS_DB = 15
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file backend writes after each message


def configured_broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""


def worker_tests_enabled() -> bool:
    database = os.environ.get("DATABASE_URL", "")
    return database.startswith(("postgres://", "postgresql://", "pgsql://")) and configured_broker_url().startswith(
        ("redis://", "rediss://")
    )


requires_worker = pytest.mark.skipif(
    not worker_tests_enabled(),
    reason="real worker tests need DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL or REDIS_URL (Redis)",
)


def broker_url_for_tests(url: str) -> str:
    """The configured Redis, on a database number of its own: the one the URL names if it is not 0
    (the caller chose a dedicated one), else database 15. Never database 0 of a shared Redis."""
    parts = urlsplit(url)
    db = parts.path.strip("/") or "0"
    if db == "0":
        db = str(TEST_REDIS_DB)
    return urlunsplit(parts._replace(path=f"/{db}"))


def database_url_for_tests() -> str:
    """``DATABASE_URL`` pointing at the database pytest created for this run."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


def _kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process group of a subprocess this module started (its own session: pgid == pid)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _reset_producer(app) -> None:
    """Drop the test process's broker connections, so the next publish uses ``app.conf.broker_url``."""
    from kombu import pools

    pools.reset()  # kombu's process-wide connection and producer pools
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None


# --- Workers ----------------------------------------------------------------------------------------
@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 30) -> None:
        try:
            wait_until(lambda: " ready." in self.log() or self.process.poll() is not None, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"worker {self.name} did not start:\n{self.log()[-4000:]}") from None
        if self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited with {self.process.returncode}:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, mid-task: nothing is acknowledged."""
        _kill_group(self.process, signal.SIGKILL)

    def stop(self) -> None:
        """Warm shutdown (finish running tasks), then SIGKILL whatever is left."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        _kill_group(self.process, signal.SIGKILL)


@dataclass
class LiveCelery:
    """The test's broker and mailbox, and the workers it started."""

    broker_url: str
    mail_dir: Path
    tmp: Path
    app: object
    settings: object
    workers: list[Worker] = field(default_factory=list)
    services: list[subprocess.Popen] = field(default_factory=list)

    # Workers ---------------------------------------------------------------------------------------
    def worker_env(self, **overrides: str) -> dict[str, str]:
        from django.conf import settings

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url_for_tests(),
            "CELERY_BROKER_URL": self.broker_url,
            "SECRET_KEY": settings.SECRET_KEY,
            "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
            "EMAIL_BACKEND": "notifications.backends.FileEmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("PYTEST_CURRENT_TEST", None)
        env.update(overrides)
        return env

    def start_worker(self, queues: str = QUEUES, *, netns: str = "", **env: str) -> Worker:
        """``netns``: run it inside that network namespace (``ip netns exec``; tests/reliability/netns.py)."""
        name = f"test-{uuid.uuid4().hex[:8]}"
        log_path = self.tmp / f"{name}.log"
        # queues="": no -Q, as `celery -A config worker` is usually started (every declared queue).
        command = [
            *(["ip", "netns", "exec", netns] if netns else []),
            str(CELERY), "-A", "config", "worker", *(["-Q", queues] if queues else []), "-c", "2", "--pool", "prefork",
            "-n", f"{name}@%h", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.worker_env(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name=name, process=process, log_path=log_path)
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- {w.name} ---\n{w.log()[-3000:]}" for w in self.workers)

    # A throwaway Redis -----------------------------------------------------------------------------
    def start_redis(self, port: int) -> subprocess.Popen:
        """A private ``redis-server`` on ``port`` with no persistence (it restarts empty)."""
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.services.append(process)
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        wait_until(lambda: _pings(client), timeout=10, what=f"redis-server on port {port}")
        return process

    def stop_service(self, process: subprocess.Popen) -> None:
        _kill_group(process, signal.SIGTERM)
        _kill_group(process, signal.SIGKILL)

    # Broker ----------------------------------------------------------------------------------------
    def use_broker(self, url: str) -> None:
        """Publish from the test process, and start later workers, on ``url``."""
        target, shared = urlsplit(url), urlsplit(configured_broker_url())
        if target.netloc == shared.netloc:  # never flush database 0 of the machine's Redis
            assert target.path.strip("/") not in ("", "0"), url
        self.broker_url = url
        self.settings.CELERY_BROKER_URL = url
        self.app.conf.broker_url = url
        # Celery reads CELERY_BROKER_URL from the environment before its configuration: set both.
        os.environ["CELERY_BROKER_URL"] = url
        _reset_producer(self.app)

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.broker_url, socket_connect_timeout=1, socket_timeout=5)

    def in_flight(self) -> int:
        """Messages waiting in a queue or delivered and not yet acknowledged."""
        client = self.redis()
        waiting = sum(client.llen(key) for key in client.scan_iter() if client.type(key) == b"list")
        return waiting + client.hlen("unacked")

    def unacknowledged(self) -> int:
        return self.redis().hlen("unacked")

    def wait_idle(self, timeout: float = 30) -> None:
        """Until the broker holds no message, twice in a row (nothing in a queue, nothing unacknowledged)."""
        seen_idle = []

        def idle() -> bool:
            if self.in_flight() == 0:
                seen_idle.append(time.monotonic())
                return len(seen_idle) >= 2 and seen_idle[-1] - seen_idle[0] >= 0.5
            seen_idle.clear()
            return False

        try:
            wait_until(idle, timeout=timeout, interval=0.1, what="the broker to drain")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    # Mailbox ---------------------------------------------------------------------------------------
    def mailbox(self) -> list[EmailMessage]:
        """Every complete message the workers wrote."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            chunks = path.read_bytes().split(MAIL_SEPARATOR)
            for chunk in chunks[:-1]:  # the last piece is empty, or a message still being written
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return messages

    def certificate_mails(self, code: str | None = None) -> list[EmailMessage]:
        found = []
        for message in self.mailbox():
            names = [part.get_filename() or "" for part in message.iter_attachments()]
            if any(n.startswith("certificate-") and (code is None or n == f"certificate-{code}.pdf") for n in names):
                found.append(message)
        return found


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def flush(url: str) -> None:
    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()


@pytest.fixture(name="live_celery")
def live_celery_fixture(transactional_db, settings, tmp_path) -> Iterator[LiveCelery]:
    """Real tasks for one test: the test process publishes to the broker (no eager tasks) and
    ``live_celery.start_worker()`` starts workers on the test database; all are killed afterwards."""
    from config.celery import app

    url = broker_url_for_tests(configured_broker_url())
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    live = LiveCelery(broker_url=url, mail_dir=mail_dir, tmp=tmp_path, app=app, settings=settings)
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    saved_env = os.environ.get("CELERY_BROKER_URL")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    live.use_broker(url)
    flush(url)
    try:
        yield live
    finally:
        for worker in live.workers:
            worker.kill()
        for process in live.services:
            live.stop_service(process)
        flush(url)
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(saved)
        _reset_producer(app)
