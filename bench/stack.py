"""The stack under test, on loopback: the ``courses_bench`` database (created, migrated, dropped), the
Redis DBs flushed, and gunicorn (config/gunicorn.conf.py serving bench/floor_wsgi.py) plus a Celery
worker started, waited for, and stopped with their children."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager

from bench.env import DB_NAME, OUT, PG, REDIS_BROKER, REDIS_CACHE, ROOT, VENV_BIN, log
from bench.procfs import children_of


def reset_redis() -> None:
    import redis

    for url in (REDIS_CACHE, REDIS_BROKER):
        redis.Redis.from_url(url).flushdb()


def reset_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


def migrate() -> float:
    """``manage.py migrate`` into the fresh database; the seconds it took."""
    t = time.perf_counter()
    subprocess.run([str(VENV_BIN / "python"), "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, check=True)
    migrate_s = time.perf_counter() - t
    log(f"migrated in {migrate_s:.1f}s")
    return migrate_s


def fresh_start() -> float:
    """A run's start: the bench's Redis DBs emptied, its database dropped, created and migrated, then
    Django set up (project code can be imported from here on; the bench modules import it inside
    their functions for that reason). The seconds the migration took."""
    reset_redis()
    reset_database()
    migrate_s = migrate()
    import django

    django.setup()
    return migrate_s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(port: int) -> list[str]:
    # The production settings file (config/gunicorn.conf.py: workers = cores + 1, sync), on loopback.
    return [
        str(VENV_BIN / "gunicorn"),
        "-c",
        "config/gunicorn.conf.py",
        "bench.floor_wsgi",
        "--bind",
        f"127.0.0.1:{port}",
    ]


def celery_command(port: int) -> list[str]:
    return [str(VENV_BIN / "celery"), "-A", "config", "worker", "-Q", "default,progress,email,webhooks", "-c", "2",
            "-I", "bench.noop", "-n", f"bench-{port}@%h", "-l", "warning"]  # fmt: skip


@contextmanager
def running_stack(gunicorn_cmd: list[str], celery_cmd: list[str], base: str):
    """gunicorn and the Celery worker, started and answering (``/livez``; the worker's pool forked);
    yields their Popen objects; stops both and their children however the block ends."""
    gunicorn = worker = None
    try:
        with open(OUT / "gunicorn.log", "w") as glog, open(OUT / "celery.log", "w") as clog:
            gunicorn = subprocess.Popen(gunicorn_cmd, cwd=ROOT, stdout=glog, stderr=subprocess.STDOUT)
            worker = subprocess.Popen(celery_cmd, cwd=ROOT, stdout=clog, stderr=subprocess.STDOUT)
        wait_http(base + "/livez")
        log(f"gunicorn pid {gunicorn.pid} on {base}, celery worker pid {worker.pid}")
        deadline = time.monotonic() + 60
        while not children_of(worker.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        yield gunicorn, worker
    finally:
        stop(gunicorn, "gunicorn")
        stop(worker, "celery")
        log("servers stopped")


def stop(proc: subprocess.Popen | None, name: str) -> None:
    if proc is None or proc.poll() is not None:
        return
    kids = children_of(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop on SIGTERM; SIGKILL")
        proc.kill()
        proc.wait(timeout=10)
    for kid in kids:
        try:
            os.kill(kid, 0)
        except OSError:
            continue
        os.kill(kid, signal.SIGKILL)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (http://127.0.0.1 only)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")
