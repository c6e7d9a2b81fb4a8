"""CPU accounting: the CPU seconds each process group (gunicorn, PostgreSQL, Redis, Celery, wrk, the
rest of the machine) used around a wrk run, as milliseconds per request."""

import os
import resource
from pathlib import Path

from bench.procfs import proc_stats

CPU_GROUPS = ("gunicorn", "postgres", "redis", "celery", "wrk", "rest")


def cpu_snapshot(*, gunicorn_pid: int, worker_pid: int) -> dict:
    """CPU seconds used so far by each live process of interest, by pid with its group; the whole
    machine's busy seconds; wrk's (it has exited by the time its run is read: this script's children)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[str, float]] = {}
    for pid, comm, fields in proc_stats():
        ppid, secs = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if gunicorn_pid in (pid, ppid):
            procs[pid] = ("gunicorn", secs)
        elif worker_pid in (pid, ppid):
            procs[pid] = ("celery", secs)
        elif comm.startswith("postgres"):
            procs[pid] = ("postgres", secs)
        elif comm.startswith("redis-server"):
            procs[pid] = ("redis", secs)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    busy = sum(int(v) for i, v in enumerate(cpu[:8]) if i not in (3, 4)) / tick
    return {"procs": procs, "wrk": children.ru_utime + children.ru_stime, "machine": busy}


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request by group (a process that exited in between is not counted; one
    that started counts whole); "rest" is the machine's busy time nobody above used (the kernel's
    network work outside those processes, this script, anything else running)."""
    secs = dict.fromkeys(CPU_GROUPS, 0.0)
    for pid, (group, used) in after["procs"].items():
        secs[group] += used - before["procs"].get(pid, (group, 0.0))[1]
    secs["wrk"] = after["wrk"] - before["wrk"]
    secs["machine"] = after["machine"] - before["machine"]
    secs["rest"] = secs["machine"] - sum(secs[k] for k in CPU_GROUPS if k != "rest")
    return {k: v * 1000 / max(1, requests) for k, v in secs.items()}
