"""Shared by the benchmarks: corpora, timing a command, peak memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from generate import generate  # noqa: E402


def corpus(n: int) -> Path:
    """The synthetic wiki of n pages, generated once and reused (bench/corpus-N, git-ignored)."""
    path = BENCH / f"corpus-{n}"
    stamp = path / ".complete"
    if not stamp.exists():
        generate(n, path)
        stamp.write_text("ok\n")
    return path


def run(args: list[str]) -> dict[str, float]:
    """Run a command; wall time, CPU time of it and its children, and the peak RSS of its largest process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{stderr}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": max(usage.ru_maxrss, children.ru_maxrss) / 1024}


def kgwiki(*args: str) -> list[str]:
    return [sys.executable, "-m", "kgwiki", *args]


def best_of(times: int, args: list[str], before=None) -> dict[str, float]:
    """The fastest of `times` runs; `before()` is called ahead of each (e.g. to drop a cache)."""
    runs = []
    for _ in range(times):
        if before:
            before()
        runs.append(run(args))
    return min(runs, key=lambda r: r["wall"])


REFERENCE_LOOP = "total = 0\nfor i in range(20_000_000):\n    total += i\n"


def reference_seconds() -> float:
    """Best of 3 for a fixed pure-Python loop: how fast this machine is right now. A shared
    virtual machine's speed changes from minute to minute; a benchmark's time divided by this
    one can be compared across minutes and machines."""
    return best_of(3, [sys.executable, "-c", REFERENCE_LOOP])["wall"]
