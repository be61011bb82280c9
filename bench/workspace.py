"""Workspace timings for bench/run.py: first frame, numbers, event-loop lag during a recompute,
a restart after one export and the records table with 100k+ rows (driven headless with
Textual's Pilot), and key latency in a real pseudo-terminal (bench/terminal.py)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import polars as pl

from revops_tui.config import Settings


async def _app_timings(folder: Path, as_of: str, cache_folder: Path) -> list[str]:
    from revops_tui.cache import ResultsCache
    from revops_tui.tui.app import RevOpsApp

    # An empty cache folder: the numbers are computed, not the ones saved by an earlier run.
    app = RevOpsApp(Settings(data=folder, as_of=as_of, months=13), cache=ResultsCache(cache_folder))
    lines = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.timings.numbers is None:
            await asyncio.sleep(0.02)
        t = app.timings
        lines.append(f"workspace: first frame {t.first_frame:.3f} s, numbers {t.numbers:.3f} s after the App starts "
                     "(nothing saved from an earlier run)")
        # How late the event loop runs a callback while a reload recomputes everything (every
        # file touched: new versions, so neither the results cache nor the engine's kept results
        # apply): the wait before any key handler can start. The whole key latency, as a user
        # sees it, comes from bench/terminal.py (Pilot's press() cannot time it then).
        while app.loading:  # the first numbers may come from the results cache, then confirmed
            await asyncio.sleep(0.05)
        # The app freezes its heap once, just after the first numbers (on the event loop; a full
        # garbage collection of 0.1 s until the fifth round, 2 ms since): not part of a recompute.
        while not app._heap_frozen:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        for path in folder.glob("*.parquet"):
            os.utime(path)
        app.action_reload()  # what `r` runs (Pilot's press() would wait for the CPU to go idle)
        waited = 0.0
        while not app.loading and waited < 2.0:
            await asyncio.sleep(0.01)
            waited += 0.01
        lags = []
        while app.loading and len(lags) < 5000:  # the whole recompute
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - start - 0.005)
        if lags:
            lags.sort()
            lines.append(f"event-loop lag during a recompute ({len(lags)} samples): median "
                         f"{lags[len(lags) // 2] * 1000:.1f} ms, p99 {lags[int(len(lags) * 0.99)] * 1000:.1f} ms, "
                         f"max {lags[-1] * 1000:.1f} ms")
    return lines


async def _table_timings(rows: int) -> list[str]:
    from textual.app import App, ComposeResult

    from revops_tui.tui.widgets.records_table import RecordsTable

    frame = pl.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(rows)],
        "name": [f"Customer {i}" for i in range(rows)],
        "mrr_from": [float(i % 997) for i in range(rows)],
        "mrr_to": [float(i % 1013) for i in range(rows)],
    })

    class TableApp(App):
        def compose(self) -> ComposeResult:
            yield RecordsTable(id="t")

    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(RecordsTable)
        start = time.perf_counter()
        table.set_frame(frame)
        await pilot.pause()
        opened = time.perf_counter() - start
        table.focus()
        start = time.perf_counter()
        for _ in range(10):
            await pilot.press("pagedown")
        page = (time.perf_counter() - start) / 10
        start = time.perf_counter()
        await pilot.press("s")
        sort = time.perf_counter() - start
    return [f"records table, {rows:,} rows: open {opened:.3f} s, page down {page * 1000:.0f} ms, sort {sort:.3f} s"]


async def _start_until_checked(folder: Path, as_of: str, cache_folder: Path) -> tuple[float, int]:
    """Start the workspace; seconds from the App's start until the numbers and the Data Quality
    checks are up (read, not from the results cache), and how many queries ran."""
    from revops_tui.cache import ResultsCache
    from revops_tui.tui.app import RevOpsApp

    app = RevOpsApp(Settings(data=folder, as_of=as_of, months=13), cache=ResultsCache(cache_folder), watch=False)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)):
        while app.snapshot is None or app.loading or app.quality is None:
            await asyncio.sleep(0.02)
        took = time.perf_counter() - started
        memo = cache_folder / "memo"
        while not any(memo.glob("*.json")):  # saved just after the numbers are handed over
            await asyncio.sleep(0.02)
    return took, len(app._memo.missed)


def restart_timings(folder: Path, as_of: str) -> list[str]:
    """A restart after one export (tickets touched), with and without the engine's results
    saved by the session before (kpis.memo, one file per data folder in the cache folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        cache_folder = Path(tmp)
        asyncio.run(_start_until_checked(folder, as_of, cache_folder))  # the session before
        out = {}
        for mode in ("with", "without"):
            os.utime(folder / "tickets.parquet")
            if mode == "without":
                for saved in (cache_folder / "memo").glob("*.json"):
                    saved.unlink()
            out[mode] = asyncio.run(_start_until_checked(folder, as_of, cache_folder))
    (w, w_ran), (wo, wo_ran) = out["with"], out["without"]
    return [f"restart after tickets.parquet changes: numbers and checks {w:.3f} s after the App starts "
            f"({w_ran} queries run); without the saved results {wo:.3f} s ({wo_ran} run)"]


def workspace_timings(folder: Path, as_of: str) -> list[str]:
    from bench.terminal import terminal_key_latency

    with tempfile.TemporaryDirectory() as tmp:
        first = asyncio.run(_app_timings(folder, as_of, Path(tmp)))
    return (first + restart_timings(folder, as_of)
            + terminal_key_latency(folder, as_of) + asyncio.run(_table_timings(200_000)))
