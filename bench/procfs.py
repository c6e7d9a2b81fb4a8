"""The process table read from ``/proc``: one reader of ``/proc/<pid>/stat`` for the process tree (the
servers' children) and the CPU accounting, and a process's resident memory."""

from pathlib import Path


def proc_stats():
    """(pid, command name, the fields of /proc/<pid>/stat after the name) of every process now."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        yield int(entry.name), stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()


def children_of(pid: int) -> list[int]:
    return [kid for kid, _, fields in proc_stats() if int(fields[1]) == pid]


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
