"""CPU time used by each process on this machine between two snapshots (Linux /proc), grouped by program:
where a benchmark's time went when the servers, the services and the client share the cores."""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path

Snapshot = dict[int, tuple[str, float]]
TICK = os.sysconf("SC_CLK_TCK")


def _program(cmdline: str, name: str) -> str:
    if name.startswith("postgres"):  # its backends are named after their database, "ferretdb"
        return "postgres"
    if "ferretdb" in cmdline:
        return "ferretdb"
    if "kafka" in cmdline and "java" in cmdline:
        return "kafka"
    if "weed" in cmdline:
        return "seaweedfs"
    if "python" in cmdline:
        words = cmdline.split()
        module = words[words.index("-m") + 1] if "-m" in words else " ".join(words[1:2])
        return f"python {module}"
    return name


def snapshot() -> Snapshot:
    found: Snapshot = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat.split("(", 1)[1].rsplit(")", 1)[0]
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (_program(cmdline, name), (int(fields[11]) + int(fields[12])) / TICK)
    return found


def report(before: Snapshot, after: Snapshot, *, per: int = 0, top: int = 8) -> str:
    """One line per program: CPU seconds (and milliseconds per item when `per` is given)."""
    used: collections.Counter[str] = collections.Counter()
    for pid, (program, seconds) in after.items():
        used[program] += seconds - before.get(pid, (program, 0.0))[1]
    lines = []
    for program, seconds in used.most_common(top):
        if seconds <= 0:
            break
        each = f"  {seconds * 1000 / per:6.2f} ms each" if per else ""
        lines.append(f"    {program:<28} {seconds:6.2f} s CPU{each}")
    return "\n".join(lines)


def total_seconds(before: Snapshot, after: Snapshot) -> float:
    """CPU seconds every process used between the snapshots."""
    return sum(seconds - before.get(pid, ("", 0.0))[1] for pid, (_, seconds) in after.items())


def children_seconds(parent: int) -> float:
    """CPU seconds used so far by the running children of `parent` (e.g. a pool's worker processes)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def reference_ms(rounds: int = 5) -> float:
    """Milliseconds a fixed pure-Python workload takes (the fastest of a few rounds). This machine's speed
    changes from minute to minute (the same loop has taken from 180 to 320 ms): printed beside a result,
    it tells a slow minute from a slow change."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        table: dict[int, str] = {}
        for n in range(100_000):
            table[n % 1000] = str(n)
        best = min(best, time.perf_counter() - started)
    return best * 1000
