"""The learner endpoints driven with wrk, each against the floor of its class (``bench/floor_wsgi.py``):
raw WSGI apps doing only the I/O that class cannot avoid. A round runs ``/livez``, the ``wsgi`` floor
and the DRF authenticated floor once, then every endpoint right after its own floor; the report takes
each endpoint's rate ÷ its floor's (and ÷ ``/livez``) per round, median over rounds."""

import json
from pathlib import Path
from typing import NamedTuple

from bench.dataset import BIG_SLUG, WORDS, WRITE_SLUG
from bench.env import OUT, log
from bench.queues import wait_drained
from bench.wrk import run_wrk

# What the endpoints' targets ask (issue 22): rate ÷ the floor of its class, median over rounds.
FLOOR_DOES = {
    "wsgi": "nothing",
    "anon": "one Redis round trip",
    "auth": "one indexed SQL statement (token → user → enrollment) + one Redis round trip",
    "write": "auth + one INSERT … ON CONFLICT that commits + one Redis LPUSH",
}


# The raw floors' I/O in a plain Django view behind the project's middleware (``bench/floor_wsgi.py``).
DJANGO_FLOOR_LABEL = "Django floor `{}`: a plain Django view doing that floor's I/O (no DRF)"


class Run(NamedTuple):
    """One kind of wrk run: its request file, tokens file (or "-") and wrk.lua mode."""

    req: Path
    tokens: str
    mode: str = "random"  # "pairs": a new (learner, line) pair each request; "terms": a new search term


class Endpoint(NamedTuple):
    label: str
    floor: str  # a key of FLOOR_DOES
    target: float | None  # rate ÷ floor; None for the Django floors (what any Django view reaches at best)
    run: Run


class RequestFiles(NamedTuple):
    tokens: Path
    words: Path
    livez: Run
    drf_floor: Run
    floors: dict[str, Run]
    endpoints: list[Endpoint]
    soak: Path


def write_request_files(
    *, tokens: list[str], big_lessons: list[int], write_lessons: list[int], answers: list
) -> RequestFiles:
    """The learner tokens, the search words and one request file per run (wrk.lua reads them)."""
    tokens_file = OUT / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    words_file = OUT / "words.txt"
    words_file.write_text("\n".join(WORDS) + "\n")

    def reqfile(name: str, lines: list[str]) -> Path:
        p = OUT / f"{name}.txt"
        p.write_text("\n".join(lines) + "\n")
        return p

    tok = str(tokens_file)
    outline = reqfile("outline", [f"GET /api/courses/{BIG_SLUG}/"])
    floors = {
        "wsgi": Run(reqfile("floor_wsgi", ["GET /bench/floor/wsgi"]), "-"),
        "anon": Run(reqfile("floor_anon", ["GET /bench/floor/anon"]), "-"),
        "auth": Run(reqfile("floor_auth", ["GET /bench/floor/auth"]), tok),
        "write": Run(
            reqfile("floor_write", [f"POST /bench/floor/write?lesson={i}" for i in write_lessons]), tok, "pairs"
        ),
    }
    attempt_line = f"POST /api/quizzes/1/attempts/ {json.dumps({'answers': answers})}"
    django_floor_write = [f"POST /api/bench/django-floor/write?lesson={i}" for i in write_lessons]
    endpoints = [
        Endpoint(DJANGO_FLOOR_LABEL.format("anon"), "anon", None,
                 Run(reqfile("django_floor_anon", ["GET /api/bench/django-floor/anon"]), "-")),
        Endpoint(DJANGO_FLOOR_LABEL.format("auth"), "auth", None,
                 Run(reqfile("django_floor_auth", ["GET /api/bench/django-floor/auth"]), tok)),
        Endpoint(DJANGO_FLOOR_LABEL.format("write"), "write", None,
                 Run(reqfile("django_floor_write", django_floor_write), tok, "pairs")),
        Endpoint(f"GET /api/courses/{BIG_SLUG}/ (course page, anonymous)", "anon", 0.6, Run(outline, "-")),
        Endpoint(
            "GET /api/courses/ (catalog, anonymous)", "anon", 0.6, Run(reqfile("catalog", ["GET /api/courses/"]), "-")
        ),
        Endpoint(
            "GET /api/courses/?search=<new term each request> (anonymous)", "anon", 0.3,
            Run(reqfile("search", ["GET /api/courses/?search={term}"]), "-", "terms"),
        ),
        Endpoint(
            "GET /api/lessons/<id>/", "auth", 0.55,
            Run(reqfile("lesson", [f"GET /api/lessons/{i}/" for i in big_lessons]), tok),
        ),
        Endpoint(
            f"GET /api/courses/{BIG_SLUG}/progress/", "auth", 0.55,
            Run(reqfile("progress", [f"GET /api/courses/{BIG_SLUG}/progress/"]), tok),
        ),
        Endpoint(f"GET /api/courses/{BIG_SLUG}/ (course page, enrolled)", "auth", 0.55, Run(outline, tok)),
        Endpoint(
            f"POST /api/lessons/<id>/complete/ (new pair each request, {WRITE_SLUG}: {len(write_lessons)} lessons)",
            "write", 0.5,
            Run(reqfile("complete", [f"POST /api/lessons/{i}/complete/" for i in write_lessons]), tok, "pairs"),
        ),
        Endpoint("POST /api/quizzes/<id>/attempts/", "write", 0.35, Run(reqfile("attempt", [attempt_line]), tok)),
    ]  # fmt: skip
    soak_file = reqfile(
        "soak",
        [f"GET /api/courses/{BIG_SLUG}/", f"GET /api/courses/{BIG_SLUG}/progress/", "GET /api/courses/"]
        + [f"GET /api/lessons/{i}/" for i in big_lessons[:50]]
        + [f"POST /api/lessons/{i}/complete/" for i in big_lessons[:20]],
    )
    return RequestFiles(
        tokens=tokens_file,
        words=words_file,
        livez=Run(reqfile("livez", ["GET /livez"]), "-"),
        drf_floor=Run(reqfile("auth_floor", ["GET /api/bench/auth-floor"]), tok),
        floors=floors,
        endpoints=endpoints,
        soak=soak_file,
    )


def drive_endpoints(
    base: str, files: RequestFiles, *, seconds: int, rounds: int, procs: dict[str, int], r
) -> tuple[dict, dict[str, float]]:
    """``rounds`` rounds of: ``/livez``, the ``wsgi`` floor, the DRF floor, then each endpoint right
    after its floor. Returns the runs ({"rounds": [{"livez", "wsgi", "drf", "endpoints": [{"floor",
    "res"}]}], "endpoints": [...]}) and how long the queues took to drain before each group."""
    drains: dict[str, float] = {}
    starts: dict[Path, int] = {}  # where each "pairs"/"terms" request file goes on (no pair or term twice)

    def run(spec: Run, *, secs: int = seconds, conns: int = 16, cpu: bool = True) -> dict:
        start = starts.get(spec.req, 0)
        res = run_wrk(base, spec.req, spec.tokens, secs, conns=conns, pids=procs if cpu else None, mode=spec.mode,
                      start=start, words_file=files.words)  # fmt: skip
        # wrk counts completed requests; a few more were generated: leave room for them.
        starts[spec.req] = start + res["requests"] + 1000
        return res

    # Warm every endpoint and floor once (connections, outline cache, prepared statements).
    run_wrk(base, files.soak, str(files.tokens), 2, conns=4)
    for spec in files.floors.values():
        run(spec, secs=1, conns=4, cpu=False)
    out: dict = {"rounds": [], "endpoints": files.endpoints}
    for n in range(rounds):
        drains[f"round {n + 1}"] = wait_drained(r, 300)
        rnd = {"livez": run(files.livez), "wsgi": run(files.floors["wsgi"]), "drf": run(files.drf_floor)}
        rnd["endpoints"] = []
        for ep in files.endpoints:
            drains[f"round {n + 1}: {ep.label}"] = wait_drained(r, 300)
            floor = run(files.floors[ep.floor])
            res = run(ep.run)
            rnd["endpoints"].append({"floor": floor, "res": res})
            log(f"round {n + 1} {ep.label}: {res['rps']:.0f} req/s p50 {res['p50']:.1f} ms p99 {res['p99']:.1f} ms "
                f"÷ {ep.floor} floor ({floor['rps']:.0f}/s) {res['rps'] / floor['rps']:.2f}, "
                f"÷ /livez ({rnd['livez']['rps']:.0f}/s) {res['rps'] / rnd['livez']['rps']:.2f}; "
                f"status {res['status']}")  # fmt: skip
        out["rounds"].append(rnd)
    return out, drains
