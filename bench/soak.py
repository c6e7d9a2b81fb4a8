"""Worker memory: VmRSS of gunicorn and the Celery worker (main process and children) after the
endpoint runs, and sampled through a soak of moderate mixed load; its slope in KB per minute."""

import statistics
import subprocess
import time
from pathlib import Path

from bench.env import BENCH, log
from bench.procfs import children_of, rss_kb
from bench.wrk import parse_wrk


def soak_rss(
    *, gunicorn: subprocess.Popen, worker: subprocess.Popen, base: str, tokens_file: Path, soak_file: Path, soak: int
) -> tuple[dict[str, dict[int, int]], list[tuple[float, dict]], dict]:
    """RSS by pid after the run, the soak's RSS samples (seconds, KB by group) and its wrk result."""

    # Soak: moderate mixed load (4 connections, 20 ms pause between requests per connection).
    def pids() -> dict[str, list[int]]:
        return {
            "celery": [worker.pid, *children_of(worker.pid)],
            "gunicorn": [gunicorn.pid, *children_of(gunicorn.pid)],
        }

    def sample() -> dict[str, int]:
        return {k: sum(rss_kb(p) for p in v) for k, v in pids().items()}

    rss_after_run = {k: {p: rss_kb(p) for p in v} for k, v in pids().items()}
    samples: list[tuple[float, dict]] = []
    log(f"soak {soak}s; RSS after the run {rss_after_run}")
    soak_proc = subprocess.Popen(
        ["wrk", "-t1", "-c4", f"-d{soak}s", "--latency", "-s", str(BENCH / "wrk.lua"), base, "--",
         str(tokens_file), str(soak_file), "20"], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    t0 = time.monotonic()
    interval = max(1.0, soak / 60)
    while soak_proc.poll() is None:
        samples.append((time.monotonic() - t0, sample()))
        time.sleep(interval)
    soak_res = parse_wrk(soak_proc.stdout.read())
    samples.append((time.monotonic() - t0, sample()))
    return rss_after_run, samples, soak_res


def slope_kb_per_min(samples: list[tuple[float, int]]) -> float:
    if len(samples) < 2:
        return 0.0
    xs = [s[0] / 60 for s in samples]
    ys = [s[1] for s in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs) or 1
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den
