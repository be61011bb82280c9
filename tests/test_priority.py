"""Polars' threads run behind the workspace's event loop (revops_tui.priority)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from revops_tui import priority

# Run in a child process: a thread's priority cannot be raised again, so the test process
# keeps its own. Prints the nice value of each thread by name.
PROBE = """
import json, os, sys
from revops_tui.priority import yield_to_keys
yield_to_keys()
import polars as pl
# A query after the call: threads Polars starts now come from lowered threads and inherit.
pl.LazyFrame({"a": list(range(1000))}).group_by(pl.col("a") % 7).len().collect(engine="streaming")
yield_to_keys()
out = []
for tid in os.listdir("/proc/self/task"):
    name = open(f"/proc/self/task/{tid}/comm").read().strip()
    out.append([name, os.getpriority(os.PRIO_PROCESS, int(tid)), int(tid) == os.getpid()])
print(json.dumps(out))
"""


def _threads(env_nice: str | None) -> list[tuple[str, int, bool]]:
    import os

    env = {k: v for k, v in os.environ.items() if k != priority.ENV}
    if env_nice is not None:
        env[priority.ENV] = env_nice
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60,
                          check=True)
    return [tuple(row) for row in json.loads(done.stdout)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are read from /proc (Linux)")
def test_polars_threads_are_lowered_and_the_main_thread_is_not():
    threads = _threads(None)
    data = [(name, nice) for name, nice, _ in threads if name.startswith(priority.DATA_THREADS)]
    assert any(name.startswith("polars-") for name, _ in data)  # the pool exists, so the check means something
    assert all(nice == priority.NICE for _, nice in data), data
    main = [nice for _, nice, is_main in threads if is_main]
    assert main == [0]  # the event loop's thread keeps its priority


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are read from /proc (Linux)")
def test_zero_leaves_every_thread_alone():
    assert all(nice == 0 for _, nice, _ in _threads("0"))


@pytest.mark.parametrize(("value", "expected"), [("5", 5), ("0", 0), ("19", 19), ("", 10), ("abc", 10),
                                                 ("25", 10), ("-3", 10)])
def test_nice_value_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(priority.ENV, value)
    assert priority.data_nice() == expected
