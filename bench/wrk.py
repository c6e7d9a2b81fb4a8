"""One wrk run against the stack (``bench/wrk.lua`` picks a learner token and a request line per
request) and its output parsed: req/s, p50, p99, errors, status classes; optionally its CPU cost."""

import re
import subprocess
from pathlib import Path

from bench.cpu import cpu_per_request, cpu_snapshot
from bench.env import BENCH

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(out: str) -> dict:
    res: dict = {"raw": out}
    res["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for pct in ("50", "99"):
        res[f"p{pct}"] = _ms(re.search(rf"\s{pct}%\s+(\S+)", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"STATUS 2xx=(\d+) 409=(\d+) 4xx=(\d+) 5xx=(\d+) other=(\d+)", out)
    res["status"] = dict(zip(["2xx", "409", "4xx", "5xx", "other"], map(int, m.groups()), strict=True)) if m else {}
    return res


def run_wrk(base: str, requests_file: Path, tokens_file: str, seconds: int, *, conns: int = 16, threads: int = 2,
            pause_ms: int = 0, pids: dict[str, int] | None = None, mode: str = "random", start: int = 0,
            words_file: Path | None = None) -> dict:  # fmt: skip
    """One wrk run; with ``pids`` (gunicorn_pid, worker_pid) also the CPU it cost per request. ``mode``
    "pairs" or "terms" (bench/wrk.lua) makes every request a new pair or search term, from ``start``."""
    cmd = [
        "wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(BENCH / "wrk.lua"),
        base, "--", tokens_file, str(requests_file), str(pause_ms), mode, str(start), str(words_file or "-"),
        str(threads),
    ]  # fmt: skip
    before = cpu_snapshot(**pids) if pids else None
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    res = parse_wrk(out)
    res["cmd"] = " ".join(cmd)
    if before is not None:
        res["cpu_ms"] = cpu_per_request(before, cpu_snapshot(**pids), res["requests"])
    return res
