"""Pilot tests: what a reload keeps and what a running workspace picks up from config.toml.

The records screen keeps its sort, search and cursor record across reloads; `refresh_seconds`,
the currency of the MRR movements chart, unknown keys and a broken config.toml are applied or
shown while running; the header's load time of cached numbers is when they were computed.
"""

from __future__ import annotations

import datetime as dt
import os

from revops_tui import session
from revops_tui.cache import ResultsCache
from revops_tui.kpis.drilldown import records, scope_of
from revops_tui.tui.screens.records import RecordsRequest, RecordsScreen
from revops_tui.tui.widgets.chart import MovementsChart
from revops_tui.tui.widgets.records_table import RecordsTable

from .conftest import REPO, make_app, wait_for, wait_idle, wait_ready, wait_screen, wait_watching
from .test_targets_live import (
    SIZE,
    banner_text,
    header_text,
    settings_for,
    write_config,
)


def test_records_keep_sort_search_and_cursor_record_across_reloads(run, fast_load):
    async def go():
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot)
            app.push_screen(RecordsScreen(RecordsRequest("mrr", "2026-10")))
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            table = app.screen.query_one(RecordsTable)
            await pilot.press("right", "right", "s", "s")  # mrr_to, descending
            assert table.sort_column == "mrr_to" and table.sort_descending
            table.search("ent")
            await pilot.press("n", "n", "down", "down")
            row, record = table.cursor_row, table.cell_value(column=0)
            assert row > 3
            for _ in range(2):  # what `refresh_seconds` does every few seconds, nothing changed
                app.start_work(reload=True)
                await wait_ready(pilot, quality=False)
                await wait_idle(pilot)
                assert (table.sort_column, table.sort_descending, table.query) == ("mrr_to", True, "ent")
                assert table.current_column() == "mrr_to"
                assert table.cursor_row == row and table.cell_value(column=0) == record
                assert "sorted by mrr_to ▼" in app.screen.query_one("#records-title").render().plain
            # a record gone from the new data: the cursor stays on the same row
            table.set_frame(table.frame.filter(table.frame["customer_id"] != record), keep=True)
            assert table.cursor_row == row and table.cell_value(column=0) != record
    run(go())


def test_records_rows_keep_one_order(fast_load):
    """Ties of the order a drill-down sorts by are broken by the record's id (group_by and
    unique have no order of their own: rows reshuffled between two loads of the same data)."""
    snap = session.run(session.settings_from_options(data=str(REPO / "data"), as_of="2026-11-15")[0])
    frame = records(scope_of(snap), "mrr", "2026-10")
    assert frame.equals(frame.sort("change", "customer_id", descending=[True, False], nulls_last=True))
    leads = records(scope_of(snap), "new_leads", "2026-10")
    others = [c for c in leads.columns if c != "created_at"]
    assert leads.height and leads.equals(leads.sort("created_at", *others, nulls_last=True))


def test_refresh_seconds_added_to_config_while_running(tmp_path, run):
    config = write_config(tmp_path / "cfg", REPO / "data")

    async def go():
        app = make_app(settings_for(config), watch=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_watching(pilot)
            config.write_text(config.read_text(encoding="utf-8") + "refresh_seconds = 1\n", encoding="utf-8")
            await wait_for(pilot, lambda: app.settings.refresh_seconds == 1, timeout=10, what="the setting")
            await wait_ready(pilot, quality=False)
            generation = app.load_generation
            await wait_for(pilot, lambda: app.load_generation > generation, timeout=5, what="a timed reload")
            config.write_text(config.read_text(encoding="utf-8").replace("refresh_seconds = 1\n", ""),
                              encoding="utf-8")
            await wait_for(pilot, lambda: not app.settings.refresh_seconds, timeout=10, what="no setting")
            await wait_ready(pilot, quality=False)
            generation = app.load_generation
            await pilot.pause(2.5)
            assert app.load_generation == generation  # the timer stopped
    run(go())


def test_movements_chart_follows_a_currency_change(tmp_path, run):
    config = write_config(tmp_path / "cfg", REPO / "data")

    async def go():
        app = make_app(settings_for(config), watch=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_watching(pilot)
            chart = app.screen.query_one(MovementsChart)
            await wait_for(pilot, lambda: "$" in chart.render().plain, what="the chart")
            config.write_text(config.read_text(encoding="utf-8") + 'currency = "EUR"\n', encoding="utf-8")
            await wait_for(pilot, lambda: app.settings.currency == "EUR" and not app.loading, timeout=10,
                           what="the re-read currency")
            await pilot.pause(0.2)
            text = chart.render().plain
            assert "€" in text and "$" not in text
    run(go())


def test_cached_numbers_show_when_they_were_computed(tmp_path, run, monkeypatch):
    import threading

    config = write_config(tmp_path / "cfg", REPO / "data")
    settings = settings_for(config)
    cache = ResultsCache(tmp_path / "cache")
    session.run(settings, cache=cache)  # an earlier run, at 07:05 yesterday
    earlier = (dt.datetime.now() - dt.timedelta(days=1)).replace(hour=7, minute=5, second=0, microsecond=0)
    for path in (tmp_path / "cache").glob("*.json"):
        os.utime(path, (earlier.timestamp(), earlier.timestamp()))
    gate, real_run = threading.Event(), session.run

    def slow_run(settings, filters=None, cache=None, memo=None):
        gate.wait(20)
        return real_run(settings, filters, cache=cache, memo=memo)

    monkeypatch.setattr(session, "run", slow_run)

    async def go():
        app = make_app(settings, cache=ResultsCache(tmp_path / "cache"))
        app.clock = None  # real times in the header
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.snapshot is not None, what="numbers")
            assert app.cached_view
            assert f"loaded {earlier:%Y-%m-%d %H:%M}" in header_text(app)
            gate.set()
            await wait_ready(pilot, quality=False)
            assert f"loaded {dt.datetime.now():%H:%M}" in header_text(app) or \
                f"loaded {dt.datetime.now() - dt.timedelta(seconds=5):%H:%M}" in header_text(app)
    run(go())


def test_unknown_key_and_broken_config_while_running(tmp_path, run):
    config = write_config(tmp_path / "cfg", REPO / "data")
    good = config.read_text(encoding="utf-8")

    async def go():
        app = make_app(settings_for(config), watch=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_watching(pilot)
            config.write_text(good + '[quality]\ncurrency = "EUR"\n', encoding="utf-8")
            await wait_for(pilot, lambda: any(n.title == "Config" and "currency" in n.message
                                              for n in app._notifications), timeout=10, what="the warning")
            # a broken config: a banner that stays until the file is fixed
            config.write_text('data = "unclosed\n', encoding="utf-8")
            await wait_for(pilot, lambda: "config.toml" in banner_text(app), timeout=10, what="the banner")
            assert "not applied" in banner_text(app)
            app.clear_notifications()
            await pilot.pause(1.0)
            assert "not applied" in banner_text(app)
            config.write_text(good, encoding="utf-8")
            await wait_for(pilot, lambda: banner_text(app) == "", timeout=10, what="the banner to clear")
    run(go())
