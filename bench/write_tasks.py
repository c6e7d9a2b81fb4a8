"""Celery tasks and CPU per lesson completion under a steady stream of completions: prints figures.

    BENCH_DB_NAME=courses_write_tasks BENCH_REDIS_DBS=3,4 .venv/bin/python -m bench.write_tasks [--seconds 15]

Re-creates ``BENCH_DB_NAME`` with the quick bench's data set (2,000 learners), serves it with the
bench's gunicorn and a Celery worker logging each task it receives, drives ``POST
/api/lessons/<id>/complete/`` with wrk (a new (learner, lesson) pair each request), waits for the
queues to drain, and prints completions/s, CPU per completion by process, and the tasks the worker
received per completion by name. Run it with ``PIPELINE_BATCH_MS=0`` and without to compare
(``docs/performance.md``, "The write pipeline")."""

import argparse
import collections
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.env import OUT  # sets the bench environment before Django is set up


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=15, help="wrk duration")
    args = ap.parse_args()

    from bench.queues import broker, wait_drained
    from bench.stack import celery_command, drop_database, free_port, fresh_start, gunicorn_command, running_stack
    from bench.wrk import run_wrk

    OUT.mkdir(exist_ok=True)
    fresh_start()
    from bench.dataset import load_dataset
    from bench.endpoints import write_request_files
    from bench.progress_scaling import progress_probe

    data = load_dataset(learners=2000, completions=20000, probe=progress_probe(calls=5))
    files = write_request_files(
        tokens=data["tokens"], big_lessons=data["big_lessons"], write_lessons=data["write_lessons"],
        answers=data["answer_key"][1],
    )  # fmt: skip
    [complete] = [ep for ep in files.endpoints if ep.label.startswith("POST /api/lessons")]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    worker_cmd = celery_command(port)
    worker_cmd[worker_cmd.index("warning")] = "info"  # one "Task ... received" line per task
    with running_stack(gunicorn_command(port), worker_cmd, base) as (gunicorn, worker):
        r = broker()
        time.sleep(2)
        (OUT / "celery.log").write_text("")
        res = run_wrk(base, complete.run.req, complete.run.tokens, args.seconds, conns=16, mode="pairs",
                      pids={"gunicorn_pid": gunicorn.pid, "worker_pid": worker.pid})  # fmt: skip
        wait_drained(r, 120)
        time.sleep(2)
        received = collections.Counter(
            re.findall(r"Task ([\w.]+)\[[^\]]+\] received", (OUT / "celery.log").read_text())
        )
    drop_database()
    n = res["requests"]
    print(f"completions {n} in {args.seconds} s = {res['rps']:.0f}/s; status {res['status']}")
    print("CPU ms per completion: " + ", ".join(f"{k} {v:.2f}" for k, v in res["cpu_ms"].items()))
    for name, count in received.most_common():
        print(f"{name}: {count} tasks, {count / n:.3f} per completion")
    print(f"all tasks: {sum(received.values()) / n:.3f} per completion")
    return 0


if __name__ == "__main__":
    sys.exit(main())
