"""The workspace's key presses come before its data work.

Polars computes on every core; while a recompute runs, the event loop that answers keys
would get only its fair share of a core next to Polars' threads. Lowering the priority
(raising the nice value) of Polars' own threads gives the event loop a core at once when a
key arrives and costs the recompute nothing when the app is idle (bench/RESULTS.md).

Linux only (other systems: nothing happens). A thread's nice value can be raised without
privileges but not lowered again, so this is done only in the workspace, never by the
`report` command.
"""

from __future__ import annotations

import os
from pathlib import Path

# Thread names Polars gives its compute pool, streaming executor and I/O runtime.
DATA_THREADS = ("polars-", "async-executor", "tokio-rt-worker")
NICE = 10
ENV = "REVOPS_TUI_DATA_NICE"  # another nice value for them; 0 leaves them alone (benchmarks)
_TASKS = Path("/proc/self/task")


def data_nice() -> int:
    """The nice value for Polars' threads: REVOPS_TUI_DATA_NICE if it is a number 0-19, else NICE."""
    value = os.environ.get(ENV, "").strip()
    return int(value) if value.isdigit() and int(value) <= 19 else NICE


def yield_to_keys() -> None:
    """Start Polars' threads if they have not started yet and lower their priority."""
    nice = data_nice()
    if nice > 0:
        start_data_threads()
        lower_data_threads(nice)


def start_data_threads() -> None:
    """Run one tiny streaming query so that Polars' threads exist (they start on first use)."""
    import polars as pl

    pl.LazyFrame({"a": [1, 2]}).select(pl.col("a").sum()).collect(engine="streaming")


def lower_data_threads(nice: int = NICE) -> int:
    """Give Polars' threads the nice value `nice` (those below it); returns how many changed."""
    if not hasattr(os, "setpriority") or not _TASKS.is_dir():
        return 0
    changed = 0
    for task in _TASKS.iterdir():
        try:
            name = (task / "comm").read_text().strip()
            if not name.startswith(DATA_THREADS):
                continue
            tid = int(task.name)
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                changed += 1
        except (OSError, ValueError):
            continue  # the thread ended meanwhile, or the system refuses: nothing lost
    return changed
