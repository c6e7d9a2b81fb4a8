"""Throwaway services for the reliability tests: a gunicorn serving the API on the pytest test database
(or any other), a private PostgreSQL cluster, an HTTP client pool, and the JSON figures each test
leaves in ``test-artifacts/reliability/`` for docs/reliability.md.

Everything started here listens on 127.0.0.1 on a free port, runs in its own session, and is stopped
by its PID (process group) in teardown. The machine's shared PostgreSQL and Redis are never touched
beyond the test database and the dedicated Redis database the tests already use."""

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.worker import ROOT, free_port, wait_until

GUNICORN = Path(sys.executable).parent / "gunicorn"
ARTIFACTS = ROOT / "test-artifacts" / "reliability"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


# --- Figures --------------------------------------------------------------------------------------
def record_figures(test: str, **figures) -> dict:
    """Print the test's figures (shown under ``pytest -s``) and write them as JSON for the doc."""
    data = {"test": test, "at": datetime.now(UTC).isoformat(timespec="seconds"), **figures}
    print(f"\n[reliability] {test}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{test}.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


# --- HTTP -----------------------------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body or b"null")


def request(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body=None,
    timeout: float = 30,
    host: str = "127.0.0.1",
) -> Answer:
    """One HTTP request on a fresh connection to ``host`` (a network error answers status 0)."""
    headers = {"Host": host, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return Answer(response.status, response.read(), time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, repr(exc).encode(), time.monotonic() - started)
    finally:
        conn.close()


def parallel(calls: Iterable[Callable[[], Answer]], *, threads: int, barrier: bool = True) -> list[Answer]:
    """Run every call on a pool of ``threads`` threads; with ``barrier`` (and no more calls than
    threads) they all start at the same instant."""
    calls = list(calls)
    gate = threading.Barrier(len(calls)) if barrier and len(calls) <= threads else None

    def run(call: Callable[[], Answer]) -> Answer:
        if gate is not None:
            gate.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, calls))


def statuses(answers: list[Answer]) -> Counter:
    return Counter(answer.status for answer in answers)


# --- gunicorn -------------------------------------------------------------------------------------
@dataclass
class Gunicorn:
    port: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def get(self, path: str, **kwargs) -> Answer:
        return request(self.port, "GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Answer:
        return request(self.port, "POST", path, **kwargs)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def gunicorn_env(*, database_url: str, broker_url: str = "", secret_key: str, **overrides: str) -> dict[str, str]:
    """Production settings (``config.settings``, DEBUG off) on the given database and broker; no
    broker: tasks run in-process. The cache is each process's own (no shared Redis keys)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "REDIS_URL": "",
        "SECRET_KEY": secret_key,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "THROTTLE_ANON": "100000/minute",
        "THROTTLE_USER": "100000/minute",
        "THROTTLE_LOGIN": "100000/minute",
        "THROTTLE_REGISTER": "100000/minute",
        "THROTTLE_QUIZ_SUBMIT": "100000/minute",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(overrides)
    return env


def start_gunicorn(*, env: dict[str, str], tmp: Path, workers: int = 3, threads: int = 4) -> Gunicorn:
    """gunicorn (gthread) on a free loopback port, ready when ``/livez`` answers."""
    port = free_port()
    log_path = tmp / f"gunicorn-{port}.log"
    command = [
        str(GUNICORN), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
        "--timeout", "60", "--graceful-timeout", "5",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Gunicorn(port=port, process=process, log_path=log_path)
    wait_started(
        "gunicorn",
        process,
        live=lambda: server.get("/livez", timeout=2).status == 200,
        log=server.log,
        stop=server.stop,
        timeout=30,
    )
    return server


def wait_started(
    what: str,
    process: subprocess.Popen,
    *,
    live: Callable[[], bool],
    log: Callable[[], str],
    stop: Callable[[], None],
    timeout: float,
) -> None:
    """Until the server ``process`` started is ``live`` (it answers ``/livez``) or exits. One that never
    answers is stopped (``stop``); either failure raises with the end of its ``log``."""
    try:
        wait_until(lambda: process.poll() is not None or live(), timeout=timeout, interval=0.2, what=what)
    except AssertionError:
        stop()
        raise AssertionError(f"{what} did not start:\n{log()[-4000:]}") from None
    if process.poll() is not None:
        raise AssertionError(f"{what} exited with {process.returncode}:\n{log()[-4000:]}")


# --- A private PostgreSQL cluster -----------------------------------------------------------------
def postgres_binaries_available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def _as_postgres(*args: str) -> list[str]:
    """Run a PostgreSQL binary as the ``postgres`` OS user when we are root (it refuses root)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@dataclass
class PostgresCluster:
    """``initdb`` in a temporary directory, serving 127.0.0.1:<free port> (socket in the same dir)."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def create(cls) -> "PostgresCluster":
        root = Path(tempfile.mkdtemp(prefix="pgrel-", dir="/tmp"))
        cluster = cls(root=root)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        subprocess.run(
            _as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "-N"),
            check=True,
            capture_output=True,
            timeout=120,
        )
        return cluster

    def _pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args),
            capture_output=True,
            timeout=timeout,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        result = self._pg_ctl("-o", options, "-l", str(self.root / "log"), "-w", "-t", "30", "start")
        if result.returncode != 0:
            log = (self.root / "log").read_text(errors="replace") if (self.root / "log").exists() else ""
            raise AssertionError(f"pg_ctl start failed: {result.stderr.decode()}\n{log[-3000:]}")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "-t", "30", "stop")

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pidfile.read_text().splitlines()[0])
        return None

    def destroy(self) -> None:
        """Stop the cluster (by pg_ctl, then by its postmaster's PID) and delete its files."""
        self.stop("immediate")
        pid = self.pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)
