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
from bench.env import ENV, ROOT
from bench.finishers import FINISH_SLUG
from bench.soak import slope_kb_per_min


def fmt_ms(v: float) -> str:
    return f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms"


def table(rows: list[dict]) -> str:
    head = (
        "| endpoint | req/s | p50 | p99 | errors | ratio to adjacent /livez | target | met? "
        "| ratio to adjacent auth floor |\n"
    )
    head += "|---|---:|---:|---:|---|---:|---|---|---:|\n"
    lines = []
    for r in rows:
        res, ceil = r["res"], r["ceiling"]
        ratio = res["rps"] / ceil["rps"]
        p99_ok = res["p99"] <= 5 * ceil["p99"]
        met = ratio >= r["target"] and p99_ok
        st = res["status"]
        err = f"non-2xx {res['non2xx']}"
        if st.get("409"):
            err += f" (409: {st['409']}, accepted)"
        err += f"; other 4xx {st.get('4xx', 0)}, 5xx {st.get('5xx', 0)}; socket {res['socket_errors']}"
        why = "" if met else (" (ratio)" if not ratio >= r["target"] else "") + ("" if p99_ok else " (p99)")
        lines.append(
            f"| {r['label']} | {res['rps']:.0f} | {fmt_ms(res['p50'])} | {fmt_ms(res['p99'])} | {err} | "
            f"{ratio:.2f} (livez {ceil['rps']:.0f}/s, p99 {fmt_ms(ceil['p99'])}) | ≥ {r['target']}, "
            f"p99 ≤ {fmt_ms(5 * ceil['p99'])} | {'yes' if met else 'no' + why} | "
            + (f"{res['rps'] / floor['rps']:.2f} (floor {floor['rps']:.0f}/s) |" if (floor := r["floor"]) else "— |")
        )
    return head + "\n".join(lines) + "\n"


def floor_notes(rows: list[dict], *, noop_per_s: float) -> list[str]:
    """What the authenticated floor and the Celery worker's own rate say about the targets."""
    floors = [r["floor"]["rps"] / r["ceiling"]["rps"] for r in rows if r["floor"]]
    writes = [r for r in rows if r["label"].startswith("POST")]
    read_targets = [r["target"] for r in rows if r["floor"] and not r["label"].startswith("POST")]
    if not floors:
        return []
    asked = ", ".join(
        f"{r['label'].split()[1]} {r['target'] * r['ceiling']['rps']:.0f}/s (measured {r['res']['rps']:.0f}/s)"
        for r in writes
    )
    return [
        "The **authenticated floor** is `GET /bench/auth-floor` (`bench/floor_wsgi.py`): a DRF view with the "
        "project's default token authentication, permission and throttles answering a two-key object, served "
        "by the same gunicorn. It is what every learner endpoint pays before its own work. It ran at "
        f"{min(floors):.2f}-{max(floors):.2f} of the adjacent `/livez`; the targets for authenticated reads "
        f"are {min(read_targets)}-{max(read_targets)}.",
        "",
        "Each write queues one progress task (Celery tracks progress, by design). The targets ask for "
        f"{asked}, each with its task; this machine's Celery worker runs {noop_per_s:.0f} no-op tasks/s "
        "(below), on the same two cores.",
        "",
    ]


def cpu_table(rows: list[dict]) -> list[str]:
    """CPU milliseconds per request by process group: /livez and the floor averaged over their runs."""

    def mean(runs: list[dict]) -> dict[str, float]:
        return {k: statistics.fmean(r["cpu_ms"][k] for r in runs) for k in runs[0]["cpu_ms"]}

    lines = [
        "| run | gunicorn | PostgreSQL | Redis | Celery | wrk | rest | machine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    shown = [(f"GET /livez (mean of {len(rows)} runs)", mean([r["ceiling"] for r in rows]))]
    floors = [r["floor"] for r in rows if r["floor"]]
    if floors:
        shown.append((f"GET /bench/auth-floor (mean of {len(floors)} runs)", mean(floors)))
    shown += [(r["label"], r["res"]["cpu_ms"]) for r in rows]
    for label, ms in shown:
        lines.append(f"| {label} | " + " | ".join(f"{ms[k]:.2f}" for k in (*CPU_GROUPS, "machine")) + " |")
    return [
        "### CPU per request",
        "",
        "CPU milliseconds each request cost, by process, read from `/proc` around each wrk run above (wrk's "
        "own from this script's children; `rest` is the machine's busy time outside these processes: the "
        "kernel's network work, anything else running). Two cores give 2,000 CPU ms per second, so "
        "`machine` ≈ 2,000 ÷ req/s when the cores are saturated.",
        "",
        *lines,
        "",
    ]


def _secs(v: float | None) -> str:
    return "**not reached** (15-minute limit)" if v is None else f"**{v:.1f} s**"


def write_results(
    args, *, started, git_head: str, git_dirty: list[str], argv: str, load_before: str, load_after: str, mach: dict,
    vers: dict, rtt_ms: float, gunicorn_cmd: list[str], celery_cmd: list[str], migrate_s: float, data: dict,
    ratio_progress: float, rows: list[dict], drains: dict[str, float], celery: dict, events: dict, finish: dict,
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
        f"wrk:      {rows[0]['res']['cmd'].replace(str(ROOT) + '/', '') if rows else ''}",
        "env: " + " ".join(f"{k}={v}" for k, v in ENV.items() if k != "SECRET_KEY") + " SECRET_KEY=<random>",
        "```",
        "",
        "Each endpoint run (`wrk -t2 -c32 --latency`, one random learner token per request from "
        f"{len(data['tokens']):,} tokens) comes right after a `/livez` run of the same length; the ratio is "
        "endpoint req/s ÷ that adjacent `/livez` req/s. An authenticated endpoint's pair is preceded by a run "
        "of the authenticated floor (`/bench/auth-floor`, below) with the same tokens. The progress queue is "
        "drained before each group. gunicorn serves `bench.floor_wsgi`: `config.wsgi`'s application with that "
        "one route appended.",
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
        f"**{events['per_s']:.0f} events/s, ratio {ev_ratio:.2f} to the no-op** "
        f"(goal ≥ 0.5: {'met' if ev_ratio >= 0.5 else 'not met'}). Each message carries the enrollment's "
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
