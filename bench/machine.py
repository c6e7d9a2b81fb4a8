"""What the run measured on: the machine, load average, the loopback ``SELECT 1`` round trip, the
versions of the stack, and the commit of the app code."""

import os
import platform
import subprocess
import time
from pathlib import Path

from bench.env import PG, ROOT
from bench.queues import broker


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def select1_ms(n: int = 1000) -> float:
    import psycopg

    with psycopg.connect(f"{PG}/postgres") as conn:
        t = time.perf_counter()
        for _ in range(n):
            conn.execute("SELECT 1").fetchone()
        return (time.perf_counter() - t) / n * 1000


def versions() -> dict:
    import celery
    import django
    import gunicorn
    import psycopg
    import rest_framework

    with psycopg.connect(f"{PG}/postgres") as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = broker().info("server")["redis_version"]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_v = (wrk.stdout + wrk.stderr).strip().splitlines()[0]
    return {
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "DRF": rest_framework.VERSION,
        "Celery": celery.__version__,
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
        "PostgreSQL": pg,
        "Redis": redis_version,
        "wrk": wrk_v,
    }


def git_state() -> tuple[str, list[str]]:
    """The commit of the app code measured, and the files changed outside bench/ and the Makefile."""
    git_head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    git_dirty = subprocess.run(
        ["git", "status", "--short", "--untracked-files=no", "--", ".", ":!bench", ":!Makefile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    git_dirty = [line.strip() for line in git_dirty if line.strip()]
    return git_head, git_dirty
