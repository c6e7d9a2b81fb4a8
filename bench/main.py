"""Load benchmark of the production stack: `make bench` (full) or `bench/run.py --quick` (smoke).

Creates the PostgreSQL database ``courses_bench``, loads a data set with COPY, starts gunicorn
(config/gunicorn.conf.py, serving bench/floor_wsgi.py: the production app behind four raw WSGI floors
and one DRF authenticated-floor route) and a Celery worker on loopback, drives the learner endpoints
with wrk in rounds (each one right after the floor doing its class's unavoidable I/O; /livez once a
round), reads the CPU each request cost by process, measures progress against table size, Celery
throughput and worker RSS over a soak, and writes bench/results.md. Every figure comes from the run.
"""

import argparse
import shutil
import sys
from datetime import UTC, datetime

from bench.celery_throughput import celery_throughput, completion_events
from bench.dataset import load_dataset
from bench.endpoints import drive_endpoints, write_request_files
from bench.env import BENCH, MAIL_DIR, OUT, log
from bench.finishers import finish_at_once, load_finish_course
from bench.machine import git_state, loadavg, machine, select1_ms, versions
from bench.profiling import profile_endpoints
from bench.progress_scaling import progress_probe
from bench.queues import broker, wait_drained
from bench.report import write_results
from bench.soak import soak_rss
from bench.stack import (
    celery_command,
    drop_database,
    free_port,
    fresh_start,
    gunicorn_command,
    running_stack,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2,000 learners, 20,000 completions, 3 s per endpoint")
    ap.add_argument("--learners", type=int)
    ap.add_argument("--completions", type=int)
    ap.add_argument("--seconds", type=int, help="wrk duration of every endpoint, floor and /livez run")
    ap.add_argument("--rounds", type=int, help="rounds of every endpoint after its floor (the report takes medians)")
    ap.add_argument("--soak-seconds", type=int)
    ap.add_argument("--celery-tasks", type=int, default=10_000)
    ap.add_argument("--keep-db", action="store_true", help="leave courses_bench in place afterwards")
    ap.add_argument("--output", default=str(BENCH / "results.md"))
    args = ap.parse_args()
    learners = args.learners or (2_000 if args.quick else 100_000)
    completions = args.completions or (20_000 if args.quick else 1_000_000)
    seconds = args.seconds or (3 if args.quick else 15)
    rounds = args.rounds or (1 if args.quick else 5)
    soak = args.soak_seconds if args.soak_seconds is not None else (20 if args.quick else 300)
    if not shutil.which("wrk"):
        print("wrk is not installed (make bench installs it)", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    shutil.rmtree(MAIL_DIR, ignore_errors=True)
    MAIL_DIR.mkdir()
    started = datetime.now(UTC)
    load_before = loadavg()
    git_head, git_dirty = git_state()
    argv = " ".join(sys.argv[1:])
    log(f"bench: {learners} learners, {completions} completions, {rounds} rounds of {seconds}s runs, soak {soak}s")

    # Django is set up only now: the environment (bench.env) is in place and courses_bench is migrated.
    # Every module here imports project code inside its functions for that reason.
    migrate_s = fresh_start()
    data = load_dataset(learners=learners, completions=completions, probe=progress_probe(calls=200))
    finishers = min(1000, learners)
    finish_course_id = load_finish_course(learners=finishers)
    log(f"data loaded in {data['load_seconds']:.1f}s: {data['counts']}")
    ratio_progress = data["probe_big"]["ms_per_call"] / data["probe_small"]["ms_per_call"]
    log(f"progress_snapshot {data['probe_small']} vs {data['probe_big']}: ratio {ratio_progress:.2f}")

    big_lessons = data["big_lessons"]
    answers = data["answer_key"][1]
    files = write_request_files(
        tokens=data["tokens"], big_lessons=big_lessons, write_lessons=data["write_lessons"], answers=answers
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn_cmd, celery_cmd = gunicorn_command(port), celery_command(port)
    with running_stack(gunicorn_cmd, celery_cmd, base) as (gunicorn, worker):
        r = broker()
        procs = {"gunicorn_pid": gunicorn.pid, "worker_pid": worker.pid}
        rows, drains = drive_endpoints(base, files, seconds=seconds, rounds=rounds, procs=procs, r=r)
        drains["after POSTs"] = wait_drained(r, 600)

        celery = celery_throughput(tasks=args.celery_tasks, learners=1000)
        # The last ten lessons of the big course: none of learners 1..1,000 has them (the POST runs
        # above may have hit a few; those are not events and are not counted).
        events_learners = min(1000, learners)
        events = completion_events(
            learners=events_learners, lessons=big_lessons[-max(1, args.celery_tasks // events_learners) :]
        )
        finish = finish_at_once(course_id=finish_course_id, learners=finishers, mail_dir=MAIL_DIR)

        rss_after_run, samples, soak_res = soak_rss(
            gunicorn=gunicorn, worker=worker, base=base, tokens_file=files.tokens, soak_file=files.soak, soak=soak
        )
        drains["after soak"] = wait_drained(r, 300)

    # cProfile in-process against the bench DB (the servers are down: no noise).
    prof = profile_endpoints(data["tokens"][0], big_lessons[0], 1, answers, 200 if not args.quick else 50)
    from django.db import connections

    connections.close_all()
    if not args.keep_db:
        drop_database()

    # --- results.md
    mach, vers, load_after, rtt_ms = machine(), versions(), loadavg(), select1_ms()
    write_results(
        args, started=started, git_head=git_head, git_dirty=git_dirty, argv=argv, load_before=load_before,
        load_after=load_after, mach=mach, vers=vers, rtt_ms=rtt_ms, gunicorn_cmd=gunicorn_cmd, celery_cmd=celery_cmd,
        migrate_s=migrate_s, data=data, ratio_progress=ratio_progress, rows=rows, drains=drains, celery=celery,
        events=events, finish=finish, rss_after_run=rss_after_run, samples=samples, soak=soak, soak_res=soak_res,
        prof=prof,
    )  # fmt: skip
    return 0
