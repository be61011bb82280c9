"""Pilot tests: panes, card navigation, drill paths, modals, palette, help, reload, quit (shipped data)."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Input, SelectionList

from revops_tui.kpis.catalog import PANES
from revops_tui.tui.screens.departments import DepartmentsScreen
from revops_tui.tui.screens.detail import DetailScreen
from revops_tui.tui.screens.filters import FiltersScreen
from revops_tui.tui.screens.help import HelpScreen
from revops_tui.tui.screens.period import PeriodScreen
from revops_tui.tui.screens.records import RecordsScreen
from revops_tui.tui.widgets.header import AppHeader
from revops_tui.tui.widgets.kpi_card import KpiCard
from revops_tui.tui.widgets.records_table import RecordsTable
from revops_tui.tui.widgets.tables import BreakdownTable, ChecksTable, MonthTable

from .conftest import make_app, palette, send_burst, wait_for, wait_idle, wait_ready, wait_screen


pytestmark = pytest.mark.usefixtures("fast_load")


def header_text(app) -> str:
    return app.screen.query_one(AppHeader).render().plain


def focused_kpi(app) -> str | None:
    return app.focused.kpi_id if isinstance(app.focused, KpiCard) else None


def pane(app) -> str:
    return app.screen_stack[0].pane


async def open_breakdown_row(pilot, label: str) -> None:
    """Focus the breakdown table and move its cursor to the row with this label."""
    screen = pilot.app.screen
    await wait_idle(pilot)
    table = screen.query_one(BreakdownTable)
    table.focus()
    index = [r.label for r in screen.rows].index(label)
    table.move_cursor(row=index)
    await pilot.pause()
    await pilot.press("enter")


# ----------------------------------------------------------------------------- panes and cards


def test_panes_keys_and_tab(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            assert pane(app) == "overview" and "Overview" in header_text(app)
            cards = {c.kpi_id: c for c in app.screen.query(KpiCard) if c.pane == "overview"}
            assert set(cards) == set(PANES["overview"])
            mrr = cards["mrr"].plain()
            assert mrr.startswith("MRR | $") and ("▲" in mrr or "▼" in mrr)
            assert "NRR (12 mo)" in cards["nrr"].plain()
            assert "%" in cards["revenue_growth"].plain() and "pp" in cards["revenue_growth"].plain()
            for key, name in zip("12345", PANES):
                await pilot.press(key)
                await pilot.pause()
                assert pane(app) == name
                assert focused_kpi(app) == PANES[name][0]  # the pane's first card takes the focus
            await pilot.press("tab")
            await pilot.pause()
            assert pane(app) == "overview"  # wraps around
            await pilot.press("shift+tab")
            await pilot.pause()
            assert pane(app) == "data_quality"
            await pilot.press("tab", "tab")
            await pilot.pause()
            assert pane(app) == "marketing"
            assert "Marketing" in header_text(app)
    run(go())


def test_hidden_panes_are_mounted_after_the_first_frame(run):
    """The first frame composes only the pane shown; the other panes' cards follow on their own,
    each with the numbers already loaded."""
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await wait_idle(pilot)
            screen = app.screen_stack[0]
            for name in PANES:
                cards = screen.cards(name)
                assert [c.kpi_id for c in cards] == list(PANES[name])
                assert all(c.result is not None for c in cards), name
            assert screen.extra("data_quality").row_count > 1  # the checks, not the "computing" line
    run(go())


def test_a_pane_not_mounted_yet_is_mounted_when_picked(run, monkeypatch):
    """A pane picked before its turn (keys, palette's go-to-KPI) is mounted at once, shows the
    numbers and takes the focus as usual."""
    monkeypatch.setattr(DepartmentsScreen, "_build_next", lambda self: None)  # no mounting in the background

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            screen = app.screen_stack[0]
            assert screen.cards("data_quality") == [] and screen.cards("sales") == []
            await pilot.press("5")
            await wait_for(pilot, lambda: focused_kpi(app) == PANES["data_quality"][0], what="the first DQ card")
            assert all(c.result is not None for c in screen.cards("data_quality"))
            assert screen.extra("data_quality").row_count > 1
            app.goto_kpi("win_rate")  # on the sales pane, not mounted yet
            await wait_screen(pilot, DetailScreen)
            await wait_for(pilot, lambda: screen.focused is not None
                           and getattr(screen.focused, "kpi_id", None) == "win_rate", what="win rate focused")
            await pilot.press("escape")
            await wait_screen(pilot, DepartmentsScreen)
            assert pane(app) == "sales" and focused_kpi(app) == "win_rate"
    run(go())


def test_a_key_right_after_a_pane_key_reaches_the_new_pane(run):
    # Typed fast, as over SSH: "1" then Enter arrive together. Enter must open the Overview's
    # card, not the Data Quality card that had the focus before the switch.

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("5")
            assert focused_kpi(app) == "dq_completeness"
            send_burst(app, "1", "enter")  # no wait in between
            await wait_screen(pilot, DetailScreen)
            assert app.screen.kpi_id == "mrr"
    run(go())


def test_keys_typed_ahead_act_in_order(run):
    # Typed ahead (over SSH, keys arrive together): right, down, Enter must open the card the
    # two moves reach, not the one focused before them.

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            assert focused_kpi(app) == PANES["overview"][0]
            send_burst(app, "right", "down", "enter")  # no wait in between
            await wait_screen(pilot, DetailScreen)
            cols = app.screen_stack[0].query_one("#grid-overview").columns
            assert app.screen.kpi_id == PANES["overview"][1 + cols]
    run(go())


def test_moves_typed_ahead_on_a_pane_never_shown_count_its_columns(run, monkeypatch):
    # A pane mounted when picked had the grid's default 3 columns until its first layout, so a
    # "down" typed ahead jumped 3 cards where the screen shows 4 (120 columns).

    monkeypatch.setattr(DepartmentsScreen, "_build_next", lambda self: None)  # no mounting in the background

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            send_burst(app, "4", "down", "enter")  # no wait in between
            await wait_screen(pilot, DetailScreen)
            cols = app.screen_stack[0].query_one("#grid-customer_success").columns
            assert cols == 4 and app.screen.kpi_id == PANES["customer_success"][cols]
    run(go())


def test_the_card_left_is_remembered_at_once(run):
    # 2, right, 1, 2 arriving together: back on Marketing, the card moved to has the focus.

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await wait_idle(pilot)  # every pane mounted
            send_burst(app, "2", "right", "1", "2", "enter")  # no wait in between
            await wait_screen(pilot, DetailScreen)
            assert app.screen.kpi_id == PANES["marketing"][1]
    run(go())


def test_keys_right_after_picking_a_pane_still_being_mounted_are_kept(run, monkeypatch):
    # The first second after the start, a pane may not be mounted yet when picked: its cards
    # arrive a frame later. Keys typed in that frame ("3", right, Enter arriving together) are
    # held until the cards are there, not lost.

    monkeypatch.setattr(DepartmentsScreen, "_build_next", lambda self: None)  # no mounting in the background

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            assert app.screen.cards("sales") == []
            send_burst(app, "3", "right", "enter")  # no wait in between
            await wait_screen(pilot, DetailScreen)
            assert app.screen.kpi_id == PANES["sales"][1]
    run(go())


def test_arrows_and_hjkl_move_between_cards(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            ids = PANES["overview"]
            cols = app.screen.query_one("#grid-overview").columns
            assert cols == 4
            assert focused_kpi(app) == ids[0]
            await pilot.press("right")
            assert focused_kpi(app) == ids[1]
            await pilot.press("l")
            assert focused_kpi(app) == ids[2]
            await pilot.press("down")
            assert focused_kpi(app) == ids[2 + cols]
            await pilot.press("j")
            assert focused_kpi(app) == ids[2 + 2 * cols]
            await pilot.press("k", "up")
            assert focused_kpi(app) == ids[2]
            await pilot.press("h", "left")
            assert focused_kpi(app) == ids[0]
            await pilot.press("left", "up")  # stays at the edge
            assert focused_kpi(app) == ids[0]
            for _ in range(5):
                await pilot.press("down")
            assert app.focused.id == "movements"  # below the last row: the MRR movements chart
            await pilot.press("up")
            assert isinstance(app.focused, KpiCard)
    run(go())


def test_grid_reflows_at_80x24(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            grid = app.screen.query_one("#grid-overview")
            assert grid.columns == 3
            for card in app.screen.query(KpiCard):
                if card.pane != "overview":
                    continue
                lines = [line.plain for line in card.lines()]
                assert lines[0] == card.kpi.label  # the name is on the card, whole
                assert card.content_size.width >= len(lines[1])  # the value fits
            await pilot.press("down", "down", "down")
            assert focused_kpi(app) == PANES["overview"][9]
            assert app.focused.region.bottom <= 24  # scrolled into view
    run(go())


# ----------------------------------------------------------------------------- drill-down


def test_card_detail_breakdown_records_and_back(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3", "right")  # Sales: open pipeline
            assert focused_kpi(app) == "pipeline_open"
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            assert detail.kpi_id == "pipeline_open"
            months = detail.query_one(MonthTable)
            assert app.focused is months and months.row_count == 13
            assert detail.month == "2026-11"
            await pilot.press("up")
            await pilot.pause(0.3)
            assert detail.month == "2026-10"
            assert "Sales › Open pipeline › 2026-10" in header_text(app)
            await wait_idle(pilot)
            assert detail.dimension == "segment" and detail.rows
            assert sum(r.share for r in detail.rows) > 99.9  # shares of an additive KPI add up
            await open_breakdown_row(pilot, detail.rows[0].label)
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            table = app.screen.query_one(RecordsTable)
            assert table.row_count > 0 and "stage" in table.frame.columns
            assert f"2026-10 › segment: {detail.rows[0].label}" in header_text(app)
            await pilot.press("escape")
            await wait_screen(pilot, DetailScreen)
            assert app.focused is detail.query_one(BreakdownTable)  # the cursor is where it was
            assert detail.month == "2026-10"
            await pilot.press("escape")
            await wait_screen(pilot, DepartmentsScreen)
            assert focused_kpi(app) == "pipeline_open"
    run(go())


@pytest.mark.parametrize("size, hint", [((80, 24), False), ((120, 40), True)])
def test_the_dimension_keys_hint_only_when_it_fits_on_the_line(run, size, hint):
    # MRR's dimensions take 35 cells ("by: movement segment region channel"); the "  ←/→ d" hint
    # needs 7 more: not at 80 columns (40 cells beside the month table; it used to wrap a lone
    # "d" onto a second line, because the line was made before the layout gave it a width).
    async def go():
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await wait_ready(pilot, quality=False)
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            await pilot.pause(0.2)
            dims = app.screen.query_one("#dims")
            line = str(dims.render())
            assert line.startswith("by: movement segment region channel")
            assert ("←/→ d" in line) is hint and dims.size.height == 1
    run(go())


def test_mrr_movement_to_records(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            assert detail.dims[0] == "movement"
            await pilot.press("up")
            await pilot.pause(0.3)
            assert [r.label for r in detail.rows] == ["new", "reactivation", "expansion", "contraction", "churn"]
            expansion = app.snapshot.results["mrr_expansion"]
            assert detail.rows[2].value == dict(expansion.series)["2026-10"]
            await open_breakdown_row(pilot, "expansion")
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            frame = app.screen.query_one(RecordsTable).frame
            assert frame.height > 0 and set(frame["movement"]) == {"expansion"}
            assert abs(frame["change"].sum() - dict(expansion.series)["2026-10"]) < 0.01
            assert "Overview › MRR › 2026-10 › Expansion" in header_text(app)
    run(go())


def test_mrr_by_segment_has_a_row_for_no_segment_and_opens_its_customers(run):
    # Shipped data, 2026-11: $2,325 of the $286,552 MRR belongs to the two customers whose
    # segment is null (C00029, C00086); the breakdown shows them as a row of their own.
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            await pilot.press("d")  # movement -> segment
            await wait_idle(pilot)
            assert detail.dimension == "segment" and detail.month == "2026-11"
            rows = {r.label: r for r in detail.rows}
            assert rows["(no segment)"].value == 2325
            total = dict(app.snapshot.results["mrr"].series)["2026-11"]
            assert sum(r.value for r in detail.rows) == pytest.approx(total)
            assert rows["(no segment)"].share == pytest.approx(2325 / total * 100)
            table = detail.query_one(BreakdownTable)
            assert "(no segment)" in [table.get_row_at(i)[0].plain for i in range(table.row_count)]
            await open_breakdown_row(pilot, "(no segment)")
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            frame = app.screen.query_one(RecordsTable).frame
            assert sorted(frame["customer_id"]) == ["C00029", "C00086"] and frame["mrr_to"].sum() == 2325
            assert "2026-11 › segment: (no segment)" in header_text(app)
    run(go())


def test_open_pipeline_stage_to_records(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("3", "right", "enter")
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            assert detail.dims[-1] == "stage"
            await pilot.press("D")  # previous dimension wraps to the last one: stage
            await wait_idle(pilot)
            assert detail.dimension == "stage"
            stage = detail.rows[0].label
            await open_breakdown_row(pilot, stage)
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            frame = app.screen.query_one(RecordsTable).frame
            assert frame.height > 0 and set(frame["stage"]) == {stage}
            assert abs(frame["amount"].sum() - detail.rows[0].value) < 0.01
            assert f"Sales › Open pipeline › 2026-11 › {stage}" in header_text(app)
    run(go())


def test_dq_rule_to_failing_records(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("5", "right", "enter")  # Validity
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            assert detail.kpi_id == "dq_validity" and detail.dims == ("rule", "table")
            await wait_idle(pilot)
            failing = [r for r in detail.rows if r.share]
            assert failing
            await open_breakdown_row(pilot, failing[0].label)
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            frame = app.screen.query_one(RecordsTable).frame
            assert {"table", "key", "column", "rule", "value"} <= set(frame.columns)
            assert set(frame["rule"]) == {failing[0].label} and frame.height > 0
    run(go())


def test_dq_pane_checks_list_and_records(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("5")
            table = app.screen.query_one(ChecksTable)
            checks = app.quality.checks
            assert table.row_count == len(checks) > 10
            await pilot.press("down", "down")  # below the last row of cards: the checks
            assert app.focused is table
            await pilot.press("up")  # up from the first check goes back to the cards
            assert isinstance(app.focused, KpiCard)
            await pilot.press("down", "down")
            assert app.focused is table
            failing = next(i for i, c in enumerate(checks) if c.failed)
            table.move_cursor(row=failing)
            await pilot.press("enter")
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            frame = app.screen.query_one(RecordsTable).frame
            check = checks[failing]
            assert frame.height == check.failed
            assert set(frame["table"]) == {check.table} and set(frame["rule"]) == {check.rule}
    run(go())


def test_enter_typed_ahead_of_a_new_breakdown_opens_a_row_of_it(run):
    # d, tab, Enter arriving together: the breakdown by the next dimension is still being
    # computed (debounced), so the rows shown are the movements. Enter used to open a request
    # for the new dimension with a movement's label ("segment: new", 0 records); it now waits
    # for the breakdown asked for and opens its row.

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            await wait_idle(pilot)
            assert detail.dimension == "movement" and detail.rows
            send_burst(app, "d", "tab", "enter")  # no wait in between
            await wait_screen(pilot, RecordsScreen)
            request = app.screen.request
            assert request.dimension == detail.dims[1] != "movement"
            assert request.value in [row.label for row in detail.rows]
    run(go())


def test_month_enter_opens_all_records_and_dimension_keys(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("2", "right", "right", "enter")  # marketing pipeline
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            assert detail.kpi_id == "pipeline_generated"
            assert detail.dims == ("segment", "region", "channel", "owner")
            await pilot.press("d")
            assert detail.dimension == detail.dims[1]
            await pilot.press("tab", "right")  # right on the breakdown: next dimension
            assert detail.dimension == detail.dims[2]
            await pilot.press("left")
            assert detail.dimension == detail.dims[1]
            detail.query_one(MonthTable).focus()
            await pilot.press("enter")
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            value = dict(app.snapshot.results["pipeline_generated"].series)["2026-11"]
            frame = app.screen.query_one(RecordsTable).frame
            assert frame.height > 0 and abs(frame["amount"].sum() - value) < 0.01
    run(go())


# ----------------------------------------------------------------------------- modals


def test_filters_modal_and_clear(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            before = app.snapshot.results["mrr"].value
            await pilot.press("f")
            await wait_screen(pilot, FiltersScreen)
            lists = {w.id: w for w in app.screen.query(SelectionList)}
            assert set(lists) == {"filter-segment", "filter-region", "filter-channel", "filter-owner"}
            segments = app.filter_values["segment"]
            assert segments and [o.value for o in lists["filter-segment"]._options] == segments
            assert app.filter_values["owner"]  # owners come from opportunities.owner
            await pilot.press("space")  # first segment
            await pilot.press("tab", "space", "down", "space")  # two regions
            await pilot.press("a")
            await wait_screen(pilot, DepartmentsScreen)
            await wait_ready(pilot)
            assert app.filters.segment == {segments[0]} and len(app.filters.region) == 2
            assert f"segment={segments[0]}" in header_text(app)
            assert app.snapshot.results.filters == app.filters
            assert app.snapshot.results["mrr"].value < before
            await pilot.press("f")
            await wait_screen(pilot, FiltersScreen)
            await pilot.press("escape")  # cancel keeps the filters
            await wait_screen(pilot, DepartmentsScreen)
            assert app.filters.segment == {segments[0]}
            await pilot.press("F")
            await wait_ready(pilot)
            assert not app.filters.active() and "filters: none" in header_text(app)
            assert app.snapshot.results["mrr"].value == before
    run(go())


def test_filters_modal_tells_ticked_from_unticked_without_colour(run):
    """Ticked values show an X in their box, unticked ones an empty box (Textual's own list draws
    an X for both and only colours them differently: the same under NO_COLOR)."""
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("f")
            await wait_screen(pilot, FiltersScreen)
            await pilot.press("space")  # tick the first segment
            await pilot.pause()
            segment = app.screen.query_one("#filter-segment", SelectionList)
            rows = [segment.render_line(y).text for y in range(3)]
            assert rows[0].startswith("▐X▌ ") and rows[1].startswith("▐ ▌ ") and rows[2].startswith("▐ ▌ ")
            await pilot.press("space")  # untick it again
            await pilot.pause()
            assert segment.render_line(0).text.startswith("▐ ▌ ")
    run(go())


def test_filters_apply_on_detail_screen(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            await pilot.press("up")
            await pilot.pause(0.3)
            assert detail.month == "2026-10"
            await pilot.press("f")
            await wait_screen(pilot, FiltersScreen)
            await pilot.press("space", "a")
            await wait_screen(pilot, DetailScreen)
            await wait_ready(pilot)
            await wait_idle(pilot)
            assert app.filters.active()
            assert detail.month == "2026-10"  # the picked month stays
            months = detail.query_one(MonthTable)
            assert months.cursor_row == 11
            value = dict(app.snapshot.results["mrr"].series)["2026-10"]
            assert f"{value:,.0f}" in months.get_row_at(11)[1].plain
            assert detail.rows[0].value == dict(app.snapshot.results["mrr_new"].series)["2026-10"]
    run(go())


def test_period_modal_refuses_invalid_date(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            settings = app.settings
            await pilot.press("p")
            await wait_screen(pilot, PeriodScreen)
            box = app.screen.query_one("#period-as-of", Input)
            box.value = ""
            await pilot.press(*"2026-13-45", "enter")
            await pilot.pause()
            assert isinstance(app.screen, PeriodScreen)  # refused: the modal stays
            error = str(app.screen.query_one("#period-error").render())
            assert "2026-13-45" in error and "YYYY-MM-DD" in error
            months = app.screen.query_one("#period-months", Input)
            box.value = "2026-10-31"
            months.value = "0"
            await pilot.press("enter")
            assert isinstance(app.screen, PeriodScreen)
            assert "between 1 and 240" in str(app.screen.query_one("#period-error").render())
            await pilot.press("escape")
            await wait_screen(pilot, DepartmentsScreen)
            assert app.settings == settings and not app.loading  # nothing changed
            await pilot.press("p")
            await wait_screen(pilot, PeriodScreen)
            app.screen.query_one("#period-as-of", Input).value = "2026-10-31"
            app.screen.query_one("#period-months", Input).value = "6"
            await pilot.press("enter")
            await wait_screen(pilot, DepartmentsScreen)
            await wait_ready(pilot)
            assert app.snapshot.as_of == dt.date(2026, 10, 31)
            assert app.snapshot.results.months == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
            assert "as of 2026-10-31" in header_text(app) and "month to date" not in header_text(app)
    run(go())


def test_reload(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            first, generation = app.snapshot, app.load_generation
            await pilot.press("r")
            assert app.load_generation == generation + 1  # a new load of the tables
            await wait_ready(pilot)
            assert app.snapshot is not first
            assert app.snapshot.results["mrr"].value == first.results["mrr"].value
    run(go())


def test_help_lists_the_screen_keys(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("question_mark")
            await wait_screen(pilot, HelpScreen)
            text = app.screen.plain()
            for expected in ("Next pane", "Open KPI", "1-5", "h j k l", "filters", "reload", "quit", "q / ctrl+c"):
                assert expected in text
            await pilot.press("escape")
            await wait_screen(pilot, DepartmentsScreen)
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            await pilot.press("question_mark")
            await wait_screen(pilot, HelpScreen)
            text = app.screen.plain()
            assert "Next dimension" in text and "Back" in text and "quit" in text
            await pilot.press("question_mark")  # ? again closes
            await wait_screen(pilot, DetailScreen)
    run(go())


def test_command_palette(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await palette(pilot, "win rate")
            await wait_screen(pilot, DetailScreen)
            assert app.screen.kpi_id == "win_rate"
            assert "Sales › Win rate" in header_text(app)

            await palette(pilot, "pane cust")
            await wait_screen(pilot, DepartmentsScreen)
            assert pane(app) == "customer_success"

            segment = app.filter_values["segment"][0]
            await palette(pilot, f"segment {segment}")
            await wait_ready(pilot)
            assert app.filters.segment == {segment}

            await palette(pilot, "theme nord")
            await wait_for(pilot, lambda: app.theme == "nord", what="the theme")
    run(go())


def test_a_second_enter_typed_ahead_in_the_palette_is_harmless(run):
    # Enter picks the hit and the palette closes itself; a second Enter already on its way (keys
    # arriving together) reached the closed palette, which dismissed itself again: Textual's
    # "Can't pop screen" ended the app. Now the second Enter does nothing there.
    from textual.command import CommandList, CommandPalette

    async def go():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            await pilot.press("ctrl+p")
            await wait_screen(pilot, CommandPalette)
            await pilot.press(*"win rate")
            await wait_for(pilot, lambda: app.screen.query_one(CommandList).option_count > 0, what="hits")
            await pilot.pause(0.2)
            send_burst(app, "enter", "enter")  # no wait in between
            await wait_screen(pilot, DetailScreen)
            await pilot.pause(0.3)
            assert app.is_running and app.screen.kpi_id == "win_rate"
            assert [type(s) for s in app.screen_stack] == [DepartmentsScreen, DetailScreen]
    run(go())


def test_q_quits(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot, quality=False)
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code == 0 and not app.is_running
    run(go())


def test_ctrl_c_quits(run):
    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+c")
            await pilot.pause()
        assert app.return_code == 0 and not app.is_running
    run(go())


def test_a_command_line_filter_value_not_in_the_data_is_a_notice(run):
    from revops_tui.kpis.results import Filters

    async def go():
        app = make_app(filters=Filters.of(segment=["enterprise"]))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            notes = [n for n in app._notifications if n.title == "Filter matches nothing"]
            assert len(notes) == 1
            assert "--segment 'enterprise' matches no row of the data (did you mean 'Enterprise'?)" in notes[0].message
            assert app.filters.segment == {"enterprise"}  # kept as asked; F clears it
            await pilot.press("f")
            await wait_screen(pilot, FiltersScreen)  # the dialog still opens, with the value ticked

    run(go())


def test_footer_offers_the_keys_that_work_here_and_help_at_80_columns(run):
    from revops_tui.tui.widgets.keys_footer import KeysFooter

    def footer(app) -> str:
        return app.screen.query_one(KeysFooter).render().plain

    async def go():
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_ready(pilot)
            assert "? Help" in footer(app) and "t Target" in footer(app)  # a card is focused
            await pilot.press("5")
            app.screen.set_focus(app.screen.query_one(ChecksTable))
            await pilot.pause()
            assert "⏎ Records" in footer(app) and "Target" not in footer(app) and "? Help" in footer(app)
            app.goto_kpi("cac")  # no breakdown: no dimension key
            await wait_screen(pilot, DetailScreen)
            await pilot.pause()
            assert "Next dimension" not in footer(app) and "esc Back" in footer(app)
            await pilot.press("escape")
            app.goto_kpi("mrr")
            await wait_screen(pilot, DetailScreen)
            await pilot.pause()
            assert "d Next dimension" in footer(app)
            month = app.screen.month
            await pilot.press("k")  # j / k move in the month table like the arrows
            await pilot.pause()
            assert app.screen.month < month
            await pilot.press("j")
            await pilot.pause()
            assert app.screen.month == month
    run(go())
