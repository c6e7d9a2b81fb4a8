"""The learner endpoints driven with wrk, each with its target (a ratio to ``/livez``): every endpoint
run comes right after a ``/livez`` run (the stack's ceiling), an authenticated one also after a run of
the authenticated floor ``/bench/auth-floor``; the request files wrk.lua reads."""

import json
from pathlib import Path
from typing import NamedTuple

from bench.dataset import BIG_SLUG
from bench.env import OUT, log
from bench.queues import wait_drained
from bench.wrk import run_wrk


class RequestFiles(NamedTuple):
    tokens: Path
    livez: Path
    auth_floor: Path
    endpoints: list[tuple[str, Path, str, float]]  # label, request file, tokens file or "-", target
    soak: Path


def write_request_files(*, tokens: list[str], big_lessons: list[int], answers: list) -> RequestFiles:
    """The learner tokens and one request file per run (a request line each, wrk.lua picks one)."""
    tokens_file = OUT / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")

    def reqfile(name: str, lines: list[str]) -> Path:
        p = OUT / f"{name}.txt"
        p.write_text("\n".join(lines) + "\n")
        return p

    livez = reqfile("livez", ["GET /livez"])
    auth_floor = reqfile("auth_floor", ["GET /bench/auth-floor"])
    tok = str(tokens_file)
    outline = reqfile("outline", [f"GET /api/courses/{BIG_SLUG}/"])
    lesson_lines = [f"GET /api/lessons/{i}/" for i in big_lessons]
    complete_lines = [f"POST /api/lessons/{i}/complete/" for i in big_lessons]
    attempt_line = f"POST /api/quizzes/1/attempts/ {json.dumps({'answers': answers})}"
    endpoints = [
        ("GET /api/courses/ (catalog, anonymous)", reqfile("catalog", ["GET /api/courses/"]), "-", 0.6),
        (f"GET /api/courses/{BIG_SLUG}/ (anonymous)", outline, "-", 0.75),
        (f"GET /api/courses/{BIG_SLUG}/ (enrolled)", outline, tok, 0.75),
        ("GET /api/lessons/<id>/", reqfile("lesson", lesson_lines), tok, 0.6),
        (
            f"GET /api/courses/{BIG_SLUG}/progress/",
            reqfile("progress", [f"GET /api/courses/{BIG_SLUG}/progress/"]),
            tok,
            0.5,
        ),
        ("POST /api/lessons/<id>/complete/", reqfile("complete", complete_lines), tok, 0.35),
        ("POST /api/quizzes/<id>/attempts/", reqfile("attempt", [attempt_line]), tok, 0.25),
    ]
    soak_file = reqfile(
        "soak",
        [f"GET /api/courses/{BIG_SLUG}/", f"GET /api/courses/{BIG_SLUG}/progress/", "GET /api/courses/"]
        + [f"GET /api/lessons/{i}/" for i in big_lessons[:50]]
        + [f"POST /api/lessons/{i}/complete/" for i in big_lessons[:20]],
    )
    return RequestFiles(tokens_file, livez, auth_floor, endpoints, soak_file)


def drive_endpoints(
    base: str, files: RequestFiles, *, seconds: int, procs: dict[str, int], r
) -> tuple[list[dict], dict[str, float]]:
    """Each endpoint after its floor and ceiling runs, with the CPU every run cost; the rows of the
    results table, and how long the queues took to drain before each group."""
    rows: list[dict] = []
    drains: dict[str, float] = {}
    tokens_file, livez, auth_floor, endpoints, soak_file = files
    # Warm every endpoint once (connections, outline cache).
    run_wrk(base, soak_file, str(tokens_file), 2, conns=4)
    for label, req, tok, target in endpoints:
        drains[label] = wait_drained(r, 300)
        # Authenticated endpoints also run right after the authenticated floor (before /livez, so
        # /livez stays adjacent): what they cost beyond authenticating and throttling.
        floor = run_wrk(base, auth_floor, tok, seconds, pids=procs) if tok != "-" else None
        ceiling = run_wrk(base, livez, "-", seconds, pids=procs)
        res = run_wrk(base, req, tok, seconds, pids=procs)
        rows.append({"label": label, "res": res, "ceiling": ceiling, "floor": floor, "target": target})
        log(f"{label}: {res['rps']:.0f} req/s p50 {res['p50']:.1f} ms p99 {res['p99']:.1f} ms "
            f"(livez {ceiling['rps']:.0f}/s, auth floor {floor['rps'] if floor else 0:.0f}/s) "
            f"status {res['status']}")  # fmt: skip
    return rows, drains
