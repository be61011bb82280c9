"""Workspace timings for bench/run.py: first frame, numbers, key latency during a recompute,
and the records table with 100k+ rows (driven headless with Textual's Pilot)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import polars as pl

from revops_tui.config import Settings


async def _app_timings(folder: Path, as_of: str) -> list[str]:
    from revops_tui.tui.app import RevOpsApp

    app = RevOpsApp(Settings(data=folder, as_of=as_of, months=13))
    lines = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.timings.numbers is None:
            await asyncio.sleep(0.02)
        t = app.timings
        lines.append(f"workspace: first frame {t.first_frame:.3f} s, numbers {t.numbers:.3f} s after the App starts")
        # key presses while a reload recomputes everything in a worker (a touched file changes
        # the cache key, so the reload really recomputes)
        os.utime(folder / "subscriptions.parquet")
        await pilot.press("r")
        await asyncio.sleep(0.05)
        latencies = []
        for key in ("2", "1", "3", "1", "right", "left") * 3:
            start = time.perf_counter()
            await pilot.press(key)
            latencies.append(time.perf_counter() - start)
        busy = app.loading
        latencies.sort()
        lines.append(f"key-press latency during a recompute (18 keys, Pilot press to repainted screen; "
                     f"still computing after: {busy}): "
                     f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
        # How late the event loop runs a callback while the worker computes: the wait before any
        # key handler can start (the rest of a key's latency is the handler and the repaint).
        while app.loading:
            await asyncio.sleep(0.05)
        os.utime(folder / "subscriptions.parquet")
        await pilot.press("r")
        await asyncio.sleep(0.05)
        lags = []
        while app.loading and len(lags) < 400:
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


def workspace_timings(folder: Path, as_of: str) -> list[str]:
    return asyncio.run(_app_timings(folder, as_of)) + asyncio.run(_table_timings(200_000))
