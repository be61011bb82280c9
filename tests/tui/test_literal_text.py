"""Text from the data is shown literally: markup-looking names, escape sequences made visible."""

from __future__ import annotations

from textual.widgets import SelectionList

from revops_tui import session
from revops_tui.tui.commands import RevOpsCommands
from revops_tui.tui.screens.detail import DetailScreen
from revops_tui.tui.screens.filters import FiltersScreen
from revops_tui.tui.screens.records import RecordsRequest, RecordsScreen
from revops_tui.tui.text import clean
from revops_tui.tui.widgets.records_table import RecordsTable
from revops_tui.tui.widgets.tables import BreakdownTable

from .conftest import HOSTILE_NAMES, HOSTILE_OWNER, make_app, palette, wait_idle, wait_ready, wait_screen


def settings_for(folder):
    return session.settings_from_options(data=str(folder), as_of="latest")[0]


def test_clean_makes_controls_visible():
    assert clean("\x1b[31mred") == "\\x1b[31mred"
    assert clean("a\tb\nc\x07\x7f\u202e") == "a b⏎c\\x07\\x7f\\u202e"
    assert clean("[bold red]x[/]") == "[bold red]x[/]"


def _screen_lines(table: RecordsTable) -> list[str]:
    lines = []
    for y in range(table.scrollable_content_region.height):
        strip = table.render_line(y)
        for segment in strip:
            assert "\x1b" not in segment.text and "\x07" not in segment.text
        lines.append(strip.text)
    return lines


def test_records_show_markup_names_literally(run, hostile_data):
    async def go():
        app = make_app(settings_for(hostile_data))
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_ready(pilot)
            month = app.snapshot.results.months[-1]
            app.push_screen(RecordsScreen(RecordsRequest("mrr", month, crumb="all records")))
            await wait_screen(pilot, RecordsScreen)
            await wait_idle(pilot)
            table = app.screen.query_one(RecordsTable)
            assert set(HOSTILE_NAMES) <= set(table.frame["name"].to_list())
            for name in HOSTILE_NAMES:
                await pilot.press("slash")
                await pilot.press(*name[-5:].replace("\x1b", ""), "enter")  # search a tail of the name
                await pilot.pause()
                assert table.cell_value(column=table.frame.columns.index("name")) == name
                text = "\n".join(_screen_lines(table))
                assert clean(name) in text  # shown as typed, escapes visible
            # a click on the "[@click=app.quit]" name must not quit
            name_x = sum(c.width + 2 for c in table.columns[: table.frame.columns.index("name")]) + 2
            await pilot.click(RecordsTable, offset=(name_x, 1 + table.cursor_row - int(table.scroll_y)))
            await pilot.pause()
            assert app.is_running
    run(go())


def test_owner_names_literal_in_breakdown_filters_and_palette(run, hostile_data):
    async def go():
        app = make_app(settings_for(hostile_data))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            assert HOSTILE_OWNER in app.filter_values["owner"]
            app.goto_kpi("pipeline_open")
            await wait_screen(pilot, DetailScreen)
            detail = app.screen
            detail.dim_index = detail.dims.index("owner")
            detail._start_breakdown()
            await wait_idle(pilot)
            table = detail.query_one(BreakdownTable)
            labels = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
            assert clean(HOSTILE_OWNER) in labels
            await pilot.press("escape")

            await pilot.press("f")
            await wait_screen(pilot, FiltersScreen)
            owners = app.screen.query_one("#filter-owner", SelectionList)
            prompts = [str(owners.get_option_at_index(i).prompt) for i in range(owners.option_count)]
            assert clean(HOSTILE_OWNER) in prompts
            index = [owners.get_option_at_index(i).value for i in range(owners.option_count)].index(HOSTILE_OWNER)
            owners.select(owners.get_option_at_index(index).value)
            await pilot.press("a")
            await wait_ready(pilot)
            assert app.filters.owner == {HOSTILE_OWNER}
            header = app.screen.query_one("AppHeader").render().plain
            assert clean(HOSTILE_OWNER) in header and "\x1b" not in header

            provider = RevOpsCommands(app.screen)
            texts = [text for text, _, _ in provider.commands()]
            assert f"Remove filter owner: {clean(HOSTILE_OWNER)}" in texts
            await palette(pilot, "remove filter")
            await wait_ready(pilot)
            assert not app.filters.owner
            assert app.is_running
    run(go())
