"""bench/results.md: the endpoint table (ratios to the adjacent ``/livez`` and authenticated floor,
targets met or not), CPU per request, progress against table size, Celery throughput, finishing at
once, worker memory and where the time goes; and the run's summary on stdout."""

import statistics
import sys
from pathlib import Path

from bench.cpu import CPU_GROUPS
from bench.dataset import (
    BIG_LESSONS_PER_MODULE,
    BIG_MODULES,
    BIG_SLUG,
    CATALOG_COURSES,
    CATALOG_LESSONS,
    CATALOG_MODULES,
    COMPLETIONS_PER_LEARNER,
)
from bench.endpoints import FLOOR_DOES
from bench.env import ENV, ROOT
from bench.finishers import FINISH_SLUG
from bench.soak import slope_kb_per_min


def fmt_ms(v: float) -> str:
    return f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _errors(runs: list[dict]) -> str:
    status = {k: sum(r["status"].get(k, 0) for r in runs) for k in ("409", "4xx", "5xx")}
    err = f"non-2xx {sum(r['non2xx'] for r in runs)}"
    if status["409"]:
        err += f" (409: {status['409']}, accepted)"
    return err + f"; other 4xx {status['4xx']}, 5xx {status['5xx']}; socket {sum(r['socket_errors'] for r in runs)}"


def _target(target: float | None) -> str:
    return "—" if target is None else f"≥ {target}"


def _met(ratio: float, target: float | None) -> str:
    return "(ceiling)" if target is None else ("yes" if ratio >= target else "no")


def table(runs: dict) -> str:
    """Each endpoint: its rate ÷ its floor's, ÷ its class's Django floor (the same I/O in a plain Django
    view: what any view can reach at best) and ÷ ``/livez``, each in the same round, median over rounds."""
    rounds = runs["rounds"]
    django_floor = {ep.floor: i for i, ep in enumerate(runs["endpoints"]) if ep.target is None}
    head = (
        f"| endpoint | floor | req/s (median of {len(rounds)}) | p50 | p99 | errors | ÷ its floor (per round) "
        "| **÷ its floor, median** | target | met? | ÷ its Django floor, median | ÷ /livez, median |\n"
    )
    head += "|---|---|---:|---:|---:|---|---|---:|---:|---|---:|---:|\n"
    lines = []
    for i, ep in enumerate(runs["endpoints"]):
        res = [rnd["endpoints"][i]["res"] for rnd in rounds]
        floor = [rnd["endpoints"][i]["floor"] for rnd in rounds]
        ratios = [r["rps"] / f["rps"] for r, f in zip(res, floor, strict=True)]
        to_livez = [r["rps"] / rnd["livez"]["rps"] for r, rnd in zip(res, rounds, strict=True)]
        ratio = _median(ratios)
        to_django = "—"
        if ep.target is not None and ep.floor in django_floor:
            j = django_floor[ep.floor]
            ceiling = [rnd["endpoints"][j]["res"]["rps"] for rnd in rounds]
            to_django = f"{_median([r['rps'] / c for r, c in zip(res, ceiling, strict=True)]):.2f}"
        lines.append(
            f"| {ep.label} | {ep.floor} ({_median([f['rps'] for f in floor]):.0f}/s) | "
            f"{_median([r['rps'] for r in res]):.0f} | {fmt_ms(_median([r['p50'] for r in res]))} | "
            f"{fmt_ms(_median([r['p99'] for r in res]))} | {_errors(res)} | "
            f"{', '.join(f'{x:.2f}' for x in ratios)} | **{ratio:.2f}** | {_target(ep.target)} | "
            f"{_met(ratio, ep.target)} | {to_django} | {_median(to_livez):.2f} |"
        )
    return head + "\n".join(lines) + "\n"


def floor_table(runs: dict) -> list[str]:
    """The floors themselves: req/s and ÷ ``/livez`` of the same round, medians."""
    rounds = runs["rounds"]
    by_floor: dict[str, list[tuple[dict, dict]]] = {"wsgi": [(rnd["wsgi"], rnd["livez"]) for rnd in rounds]}
    for i, ep in enumerate(runs["endpoints"]):
        for rnd in rounds:
            by_floor.setdefault(ep.floor, []).append((rnd["endpoints"][i]["floor"], rnd["livez"]))
    by_floor["DRF authenticated floor (`/api/bench/auth-floor`)"] = [(rnd["drf"], rnd["livez"]) for rnd in rounds]
    livez = [rnd["livez"] for rnd in rounds]
    lines = [
        "| floor | does | runs | req/s (median) | p99 (median) | ÷ /livez of its round, median | errors |",
        "|---|---|---:|---:|---:|---:|---|",
        f"| `/livez` (Django, no I/O) | the ceiling | {len(livez)} | {_median([r['rps'] for r in livez]):.0f} | "
        f"{fmt_ms(_median([r['p99'] for r in livez]))} | 1.00 | {_errors(livez)} |",
    ]
    for name, pairs in by_floor.items():
        does = FLOOR_DOES.get(name, "DRF view: project token auth, permission, throttles, a two-key body")
        shown = f"`{name}`" if name in FLOOR_DOES else name
        lines.append(
            f"| {shown} | {does} | {len(pairs)} | {_median([f['rps'] for f, _ in pairs]):.0f} | "
            f"{fmt_ms(_median([f['p99'] for f, _ in pairs]))} | "
            f"{_median([f['rps'] / lz['rps'] for f, lz in pairs]):.2f} | {_errors([f for f, _ in pairs])} |"
        )
    return [
        "### Floors",
        "",
        "Raw WSGI apps served by the same gunicorn (`bench/floor_wsgi.py`, in front of the project's "
        "application): no Django, no middleware, one hand-written JSON answer, each doing only the I/O its "
        "class of endpoint cannot avoid. Every endpoint above ran right after its floor, in each round.",
        "",
        *lines,
        "",
    ]


def floor_notes(runs: dict, *, noop_per_s: float) -> list[str]:
    """What the Celery worker's own rate says about the write targets."""
    return [
        "Each write asks for the progress drain and the events dispatch (Celery tracks progress, by design; "
        "one task of each for the writes of a moment, `PIPELINE_BATCH_MS`); this machine's Celery "
        f"worker runs {noop_per_s:.0f} no-op tasks/s (below), on the same two cores as the web workers, so a "
        "write's figure includes the worker's share of the cores (the CPU table shows it under Celery).",
        "",
    ]


def cpu_table(runs: dict) -> list[str]:
    """CPU milliseconds per request by process group, each run kind averaged over its runs."""

    def mean(rs: list[dict]) -> dict[str, float]:
        return {k: statistics.fmean(r["cpu_ms"][k] for r in rs) for k in rs[0]["cpu_ms"]}

    rounds = runs["rounds"]
    shown = [
        (f"GET /livez (mean of {len(rounds)} runs)", mean([rnd["livez"] for rnd in rounds])),
        (f"floor `wsgi` (mean of {len(rounds)} runs)", mean([rnd["wsgi"] for rnd in rounds])),
        (f"GET /api/bench/auth-floor, DRF (mean of {len(rounds)} runs)", mean([rnd["drf"] for rnd in rounds])),
    ]
    floors: dict[str, list[dict]] = {}
    for i, ep in enumerate(runs["endpoints"]):
        floors.setdefault(ep.floor, []).extend(rnd["endpoints"][i]["floor"] for rnd in rounds)
    shown += [(f"floor `{name}` (mean of {len(rs)} runs)", mean(rs)) for name, rs in floors.items()]
    shown += [
        (ep.label, mean([rnd["endpoints"][i]["res"] for rnd in rounds])) for i, ep in enumerate(runs["endpoints"])
    ]
    lines = [
        "| run | gunicorn | PostgreSQL | Redis | Celery | wrk | rest | machine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, ms in shown:
        lines.append(f"| {label} | " + " | ".join(f"{ms[k]:.2f}" for k in (*CPU_GROUPS, "machine")) + " |")
    return [
        "### CPU per request",
        "",
        "CPU milliseconds each request cost, by process, read from `/proc` around each wrk run above (wrk's "
        "own from this script's children; `rest` is the machine's busy time outside these processes: the "
        "kernel's network work, anything else running), mean over the rounds. Two cores give 2,000 CPU ms per "
        "second, so `machine` ≈ 2,000 ÷ req/s when the cores are saturated. An endpoint's gunicorn figure "
        "minus its floor's is what Django, DRF and the app cost it.",
        "",
        *lines,
        "",
    ]


def _secs(v: float | None) -> str:
    return "**not reached** (15-minute limit)" if v is None else f"**{v:.1f} s**"


def write_results(
    args, *, started, git_head: str, git_dirty: list[str], argv: str, load_before: str, load_after: str, mach: dict,
    vers: dict, rtt_ms: float, gunicorn_cmd: list[str], celery_cmd: list[str], migrate_s: float, data: dict,
    ratio_progress: float, rows: dict, drains: dict[str, float], celery: dict, events: dict, finish: dict,
    rss_after_run: dict, samples: list, soak: int, soak_res: dict, prof: dict,
) -> None:  # fmt: skip
    """Write ``args.output`` from every figure of the run and print the summary."""
    soak_slopes = {k: slope_kb_per_min([(t, s[k]) for t, s in samples]) for k in ("celery", "gunicorn")}
    tbl = table(rows)
    counts = data["counts"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{' '.join(['bench/run.py', *sys.argv[1:]])}`" + f" on {started:%Y-%m-%d %H:%M} UTC "
        f"({'quick smoke run' if args.quick else 'full run'}). Every figure below comes from this run.",
        "",
        f"App code measured: commit {git_head}"
        + (
            f" plus uncommitted changes to {', '.join(x.split()[-1] for x in git_dirty)} "
            "(other engineers work in this tree)"
            if git_dirty
            else " (clean tree)"
        )
        + ".",
        "",
        "## Machine and versions",
        "",
        f"- nproc {mach['nproc']}, memory {mach['memory_gb']} GB, CPU {mach['cpu']}, kernel {mach['kernel']}",
        "- " + ", ".join(f"{k} {v}" for k, v in vers.items()),
        "- wrk, gunicorn, Celery, PostgreSQL and Redis all share this machine (loopback); load average "
        f"before the run {load_before}, after it {load_after} (other work on the machine shows here).",
        f"- Loopback round trip of `SELECT 1` through psycopg: {rtt_ms:.2f} ms (the floor under every SQL query).",
        "",
        "## Commands",
        "",
        "```",
        f"make bench   # = .venv/bin/python bench/run.py {argv}".rstrip(),
        f"gunicorn: {' '.join(gunicorn_cmd).replace(str(ROOT) + '/', '')}",
        f"celery:   {' '.join(celery_cmd).replace(str(ROOT) + '/', '')}",
        f"wrk:      {rows['rounds'][0]['endpoints'][0]['res']['cmd'].replace(str(ROOT) + '/', '')}",
        "env: " + " ".join(f"{k}={v}" for k, v in ENV.items() if k != "SECRET_KEY") + " SECRET_KEY=<random>",
        "```",
        "",
        f"{len(rows['rounds'])} rounds. A round runs `/livez` (Django's cheapest answer, no I/O), the `wsgi` floor "
        "and the DRF authenticated floor once, then every endpoint right after the floor of its class (below), "
        f"each run `wrk -t2 -c16 --latency` for {args.seconds or ('3' if args.quick else '15')} s; a learner "
        f"token per request from {len(data['tokens']):,}. Reads pick a random token; the completion POST and "
        "the write floor make every request a new (learner, lesson) pair, catalog search a new three-word term "
        "(`bench/wrk.lua`), so neither repeats within the bench. An endpoint's figure is its req/s ÷ its floor's "
        "req/s in the same round, median over rounds (÷ `/livez` likewise). The three Django floors run as "
        "endpoints do: each raw floor's I/O in a plain Django view behind the project's middleware, no DRF, "
        "which is what any view Django serves can reach at best; `÷ its Django floor` is an endpoint's rate ÷ "
        "its class's Django floor's in the same round. The progress queue is drained "
        "before each pair. gunicorn serves `bench.floor_wsgi`: the floors in front of `config.wsgi`'s "
        "application, plus the DRF and Django floors' routes.",
        "",
        "## Data set",
        "",
        f"- Loaded with COPY in **{data['load_seconds']:.1f} s** (migrate {migrate_s:.1f} s before it): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in data["timings"].items()),
        "- Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        f"- Big course `{BIG_SLUG}`: {BIG_MODULES} modules × {BIG_LESSONS_PER_MODULE} lessons "
        f"(~{data['big_words']}-word Markdown body, HTML rendered once), one quiz per module (4 questions, "
        f"single and multiple choice, max_attempts 1000); every learner enrolled; "
        f"{COMPLETIONS_PER_LEARNER} completions per learner on its first lessons.",
        f"- Catalog: {CATALOG_COURSES} more published courses of {CATALOG_MODULES} modules × "
        f"{CATALOG_LESSONS} lessons.",
        "",
        "## Endpoints",
        "",
        tbl,
        "Errors: `non-2xx` is wrk's count; for quiz attempts 409 (over max_attempts) is an accepted answer. "
        f"Queue drain waits before each pair (s): {', '.join(f'{v:.1f}' for v in drains.values())}.",
        "",
        *floor_table(rows),
        *floor_notes(rows, noop_per_s=celery["noop"]["per_s"]),
        *cpu_table(rows),
        "## Progress against table size",
        "",
        f"`learning.progress.selectors.progress_snapshot` for one learner with {COMPLETIONS_PER_LEARNER} completions, "
        "in-process against the bench database, best of 5 batches of 200 calls:",
        "",
        "| completion rows in table | ms per call | median batch |",
        "|---:|---:|---:|",
        f"| {data['probe_small']['rows']:,} | {data['probe_small']['ms_per_call']:.3f} | "
        f"{data['probe_small']['ms_median_batch']:.3f} |",
        f"| {data['probe_big']['rows']:,} | {data['probe_big']['ms_per_call']:.3f} | "
        f"{data['probe_big']['ms_median_batch']:.3f} |",
        "",
        f"Ratio {ratio_progress:.2f} (goal ≤ 1.3: {'met' if ratio_progress <= 1.3 else 'not met'}).",
        "",
        "## Celery throughput",
        "",
        f"{celery['tasks']:,} tasks enqueued on `progress` with the consumer cancelled, then the worker (`-c 2`) "
        "consumes again; time until the queue and the unacked set are empty.",
        "",
        "| task | enqueue | queued when consuming resumed | drain | tasks/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, shown in (
        (
            "recompute_enrollment_progress",
            f"learning.progress.tasks.recompute_enrollment_progress ({celery['learners']:,} learners)",
        ),
        ("noop", "bench.noop.noop"),
    ):
        c = celery[name]
        lines.append(
            f"| {shown} | {c['enqueue_s']:.1f} s | {c['queued_before_start']:,} | "
            f"{c['drain_s']:.1f} s | {c['per_s']:.0f} |"
        )
    ev_ratio = events["per_s"] / celery["noop"]["per_s"]
    lines += [
        "",
        f"Forced recompute ratio {celery['ratio']:.2f}: every task recomputes (the content-change and reconcile "
        "path, and what each completion costs when the worker keeps up).",
        "",
        f"**Completion events**: {events['events']:,} completions recorded through "
        f"`lessons.services.lesson_completion_record` (what `POST /api/lessons/<id>/complete/` calls) for "
        f"{events['learners']:,} learners in {events['record_s']:.1f} s while the worker did not consume "
        f"`progress`; {events['queued_before_start']:,} task messages drained in {events['drain_s']:.1f} s = "
        f"**{events['per_s']:,.0f} events/s, ratio {ev_ratio:.2f} to the no-op** "
        f"(goal ≥ 2, issue 22: {'met' if ev_ratio >= 2 else 'not met'}). Each message carries the enrollment's "
        "activity number, so the first recompute of a learner's backlog covers its later events, which end "
        f"after one read. Enrollments whose stored progress lags their activity afterwards: {events['stale_after']}.",
        "",
        f"**{finish['learners']:,} learners finishing at once**: each completes the last lesson of "
        f"`{FINISH_SLUG}` (recorded in {finish['record_s']:.1f} s while the worker did not consume `progress`); "
        "from the moment it consumes again, every certificate was issued after "
        f"{_secs(finish['certificates_s'])} and every certificate email sent after {_secs(finish['emails_s'])}. "
        f"Certificates {finish['certificates']:,}, completed enrollments {finish['completed_enrollments']:,}, "
        f"email rows sent {finish['emails_rows_sent']:,}; messages the file email backend wrote "
        f"{finish['mail_messages']:,}: missing {finish['mail_missing']}, doubled {finish['mail_doubled']}, "
        f"unexpected {finish['mail_unexpected']}.",
        "",
        "## Worker memory",
        "",
        "VmRSS from /proc after the endpoint runs (KB): "
        + "; ".join(f"{k}: " + ", ".join(f"pid {p} {v:,}" for p, v in d.items()) for k, d in rss_after_run.items()),
        "",
        f"Soak: {soak} s of mixed load (`wrk -t1 -c4`, 20 ms pause per request: outline, progress, catalog, "
        f"lessons, completions), {soak_res['rps']:.0f} req/s, p99 {fmt_ms(soak_res['p99'])}, "
        f"non-2xx {soak_res['non2xx']}; {len(samples)} samples of total RSS:",
        "",
        "| processes | start KB | end KB | slope KB/min |",
        "|---|---:|---:|---:|",
    ]
    for k in ("celery", "gunicorn"):
        lines.append(
            f"| {k} (main + children) | {samples[0][1][k]:,} | {samples[-1][1][k]:,} | {soak_slopes[k]:+.0f} |"
        )
    lines += ["", "## Where the time goes (in-process, Django test Client against the bench DB)", ""]
    lines += ["| request | status | SQL queries |", "|---|---:|---:|"]
    for label, q in prof["queries"].items():
        lines.append(f"| {label} | {q['status']} | {q['queries']} |")
    rc = prof["recompute"]
    cr = celery["recompute_enrollment_progress"]
    per_task_ms = cr["drain_s"] / max(1, cr["queued_before_start"]) * 2 * 1000  # 2 worker processes
    lines += [
        "",
        f"`learning.progress.services.enrollment_progress_recompute` (the body of the progress task) called directly: "
        f"{rc['queries']} SQL queries, {rc['ms']:.2f} ms per call (mean of {rc['n']}), against "
        f"{per_task_ms:.1f} ms "
        "per task per worker process through Celery.",
    ]
    for label, p in prof["profiles"].items():
        lines += ["", f"cProfile of {p['n']} × `{label}` ({p['ms_per_request_profiled']:.2f} ms per request under "
                  "the profiler), top cumulative:", "", "```", p["top"], "```"]  # fmt: skip
    lines.append("")
    Path(args.output).write_text("\n".join(lines))
    print()
    print(tbl)
    print(f"load {data['load_seconds']:.1f}s; progress ratio {ratio_progress:.2f}; celery forced ratio "
          f"{celery['ratio']:.2f}, events ratio {ev_ratio:.2f}; finish {finish}; "
          f"soak slopes KB/min {soak_slopes}")  # fmt: skip
    print(f"wrote {args.output}")
