"""Workers: first frame before the numbers, keys while loading, stale work dropped, errors shown."""

from __future__ import annotations

import shutil
import threading
import time

import polars as pl

from revops_tui import session
from revops_tui.kpis import engine
from revops_tui.kpis.results import Filters
from revops_tui.tui.app import RevOpsApp
from revops_tui.tui.screens.departments import DepartmentsScreen
from revops_tui.tui.screens.help import HelpScreen
from revops_tui.tui.screens.records import RecordsRequest, RecordsScreen
from revops_tui.tui.widgets.header import AppHeader, Banner
from revops_tui.tui.widgets.kpi_card import KpiCard

from .conftest import REPO, make_app, shipped_settings, wait_for, wait_idle, wait_ready, wait_screen


def header_text(app) -> str:
    return app.screen.query_one(AppHeader).render().plain


def test_first_frame_before_numbers_and_keys_while_loading(run, monkeypatch):
    gate = threading.Event()
    real_run = session.run

    def slow_run(settings, filters=None, cache=None, memo=None):
        gate.wait(20)
        return real_run(settings, filters, cache=cache, memo=memo)

    monkeypatch.setattr(session, "run", slow_run)

    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.timings.first_frame is not None, what="first frame")
            await pilot.pause()
            card = app.screen.query_one(KpiCard)
            assert card.plain() == "MRR | … | loading"  # the frame is up, the numbers are not
            assert app.loading and "loading" in header_text(app)
            await pilot.press("3")  # keys respond while the worker runs
            await pilot.pause()
            assert app.screen.pane == "sales"
            await pilot.press("question_mark")
            await wait_screen(pilot, HelpScreen)
            await pilot.press("escape")
            await wait_screen(pilot, DepartmentsScreen)
            assert app.snapshot is None
            gate.set()
            await wait_ready(pilot)
            assert app.timings.first_frame < app.timings.numbers
            assert card.plain().startswith("MRR | $")
            assert "loading" not in header_text(app) and "loaded 09:00:00" in header_text(app)
    run(go())


def test_stale_filter_work_is_dropped(run, monkeypatch):
    real_compute = engine.compute
    slow = Filters.of(segment=["Enterprise"])

    def compute(tables, settings, as_of, months, filters, **kwargs):
        if filters == slow:
            time.sleep(1.0)  # the older request finishes last
        return real_compute(tables, settings, as_of, months, filters, **kwargs)

    monkeypatch.setattr(engine, "compute", compute)

    async def go():
        app = make_app()
        applied: list[Filters] = []
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            original = app._apply

            def spy(generation, snap, values, reloaded, *rest):
                if generation == app.generation:
                    applied.append(snap.results.filters)
                original(generation, snap, values, reloaded, *rest)

            app._apply = spy
            app.set_filters(slow)
            await pilot.pause(0.1)
            newer = Filters.of(segment=["SMB"])
            app.set_filters(newer)
            await wait_ready(pilot)
            await pilot.pause(1.5)  # the slow, stale computation has ended by now
            assert app.snapshot.results.filters == newer
            assert applied == [newer]
            assert "segment=SMB" in header_text(app)
    run(go())


def test_superseded_work_stops_and_only_one_computes_at_a_time(run, monkeypatch):
    # A compute that would take 3 s, looking for cancellation every 10 ms like the engine does
    # between batches of queries. A newer filter change must stop it (not wait for it) and
    # must not run beside it.
    from revops_tui.cancel import check_stop

    real_compute = engine.compute
    slow = Filters.of(segment=["Enterprise"])
    running, events = [0], []

    def compute(tables, settings, as_of, months, filters, **kwargs):
        running[0] += 1
        events.append(("start", filters, running[0]))
        try:
            if filters == slow:
                for _ in range(300):
                    check_stop()
                    time.sleep(0.01)
            return real_compute(tables, settings, as_of, months, filters, **kwargs)
        finally:
            running[0] -= 1
            events.append(("end", filters, running[0]))

    monkeypatch.setattr(engine, "compute", compute)

    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            started = time.perf_counter()
            app.set_filters(slow)
            await pilot.pause(0.2)
            newer = Filters.of(segment=["SMB"])
            app.set_filters(newer)
            await wait_ready(pilot)
            assert time.perf_counter() - started < 2.0  # the 3 s of stale work were cut short
            assert app.snapshot.results.filters == newer
            assert [e[:2] for e in events] == [("start", slow), ("end", slow), ("start", newer), ("end", newer)]
            assert max(e[2] for e in events) == 1
    run(go())


def test_a_filter_change_keeps_the_quality_checks(run):
    # The checks are never filtered: a filter change reuses the report of the loaded tables
    # (at 1M customers they are about a third of a full compute).
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            report = app.snapshot.results.quality
            assert report is not None
            app.set_filters(Filters.of(segment=["SMB"]))
            await wait_ready(pilot)
            assert app.snapshot.results.filters == Filters.of(segment=["SMB"])
            assert app.snapshot.results.quality is report
    run(go())


def test_table_failing_validation_shows_a_banner(run, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    pl.read_parquet(data / "customers.parquet").drop("segment").write_parquet(data / "customers.parquet")

    async def go():
        app = make_app(shipped_settings(data=data))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            banner = app.screen.query_one(Banner)
            assert banner.has_class("-shown")
            text = banner.render().plain
            assert "customers" in text and "segment is missing" in text
            assert app._notifications  # and a notification with the message
            await pilot.press("3")  # the other panes keep working
            sales = [c for c in app.screen.query(KpiCard) if c.pane == "sales"]
            assert all(c.result is not None for c in sales)
            assert sales[1].plain().startswith("Open pipeline | $")
    run(go())


def test_query_errors_show_and_the_app_keeps_running(run, monkeypatch):
    real_compute = engine.compute

    def compute(*args, **kwargs):
        results = real_compute(*args, **kwargs)
        results.errors.append("query failed for win_rate: boom [bold]not markup[/]")
        return results

    monkeypatch.setattr(session, "compute", compute)

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            text = app.screen.query_one(Banner).render().plain
            assert "query failed for win_rate: boom [bold]not markup[/]" in text
            await pilot.press("2")
            assert app.is_running
    run(go())


def test_missing_data_folder_on_reload(run, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)

    async def go():
        app = make_app(shipped_settings(data=data))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            before = app.snapshot
            shutil.rmtree(data)
            await pilot.press("r")
            await wait_for(pilot, lambda: not app.loading, what="the reload")
            await pilot.pause()
            text = app.screen.query_one(Banner).render().plain
            assert str(data) in text
            assert app.snapshot is before  # the numbers on screen stay
            await pilot.press("enter")
            assert app.is_running
    run(go())


def test_records_error_is_shown(run, monkeypatch):
    from revops_tui.tui.screens import records as records_module

    def broken(*args, **kwargs):
        raise ValueError("cannot list the records [red]now[/]")

    monkeypatch.setattr(records_module, "records", broken)

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            app.push_screen(RecordsScreen(RecordsRequest("mrr", "2026-11", crumb="all records")))
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            title = str(app.screen.query_one("#records-title").render())
            assert "cannot list the records [red]now[/]" in title
            await pilot.press("escape")
            await wait_screen(pilot, DepartmentsScreen)
    run(go())


def test_missing_tables_leave_cards_unavailable_with_reason(run, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for table in ("customers", "subscriptions"):
        shutil.copy(REPO / "data" / f"{table}.parquet", data / f"{table}.parquet")

    async def go():
        app = make_app(shipped_settings(data=data))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            cards = {c.kpi_id: c for c in app.screen.query(KpiCard)}
            assert cards["mrr"].plain().startswith("MRR | $")
            win_rate = [c for c in app.screen.query(KpiCard) if c.kpi_id == "win_rate"][0]
            text = win_rate.plain()
            assert text.startswith("Win rate | unavailable |") and "opportunities" in text
            assert not app.screen.query_one(Banner).has_class("-shown")  # missing tables are not errors
            await pilot.press("3", "right", "right", "right", "enter")  # the detail of an unavailable KPI
            await pilot.pause(0.3)
            assert "unavailable" in str(app.screen.query_one("#detail-title").render())
    run(go())


def test_config_notes_are_notified(run):
    async def go():
        app = RevOpsApp(shipped_settings(), None, ["config.toml:3: key 'colour' is not a known setting (ignored)"],
                        clock="09:00:00")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            messages = [n.message for n in app._notifications]
            assert any("colour" in m for m in messages)
    run(go())


def test_banner_sits_under_the_header_and_keeps_long_problems_to_four_lines(run, tmp_path):
    """At 80x24 with two unreadable tables: the header (as-of, filters, load time) stays visible
    above the banner, and problems too long to wrap in four lines take one line each."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    for name in ("subscriptions", "tickets"):
        path = data / f"{name}.parquet"
        path.write_bytes(path.read_bytes()[:3000])

    async def go():
        app = make_app(shipped_settings(data=data))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot, quality=False)
            header, banner = app.screen.query_one(AppHeader), app.screen.query_one(Banner)
            assert banner.has_class("-shown")
            assert banner.region.y >= header.region.bottom  # not drawn over the header
            assert "as of 2026-11-15" in header.render().plain
            app.problems = ["showing the last good numbers (loaded 09:00:00) until the files read cleanly",
                            *app.problems]
            app.refresh_chrome()
            await pilot.pause()
            lines = banner.render().plain.splitlines()
            assert banner.region.height <= 4 and len(lines) == 3
            assert lines[0].startswith("✖ showing the last good numbers")
            assert lines[1].startswith("✖ table subscriptions: cannot read") and lines[1].endswith("…")
            assert all(len(line) <= banner.content_size.width for line in lines)
    run(go())
