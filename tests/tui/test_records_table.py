"""The virtualised records table: 150k rows stay smooth; sort by column, search, cursor keys."""

from __future__ import annotations

import datetime as dt

import polars as pl
from textual.app import App, ComposeResult

from revops_tui.tui.widgets.records_table import RecordsTable

ROWS = 150_000


def big_frame() -> pl.DataFrame:
    n = pl.int_range(0, ROWS, eager=True)
    return pl.DataFrame({
        "customer_id": n.map_elements(lambda i: f"C{i:07d}", return_dtype=pl.String),
        "name": n.map_elements(lambda i: f"Customer {i % 9973}", return_dtype=pl.String),
        "mrr_from": (n % 1000).cast(pl.Float64) * 10,
        "mrr_to": (n % 777).cast(pl.Float64) * 10,
        "seats": (n % 50).cast(pl.Int64),
        "since": pl.Series([dt.date(2026, 1, 1)] * ROWS),
        "note": pl.Series([None if i % 3 else "[bold]vip[/]" for i in range(ROWS)], dtype=pl.String),
    })


class TableApp(App):
    def __init__(self, frame: pl.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def compose(self) -> ComposeResult:
        yield RecordsTable(id="records")

    def on_mount(self) -> None:
        table = self.query_one(RecordsTable)
        table.set_frame(self.frame)
        table.focus()


def screen_text(table: RecordsTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


def test_150k_rows_fill_scroll_sort_search(run):
    frame = big_frame()

    async def go():
        app = TableApp(frame)
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.query_one(RecordsTable)
            await pilot.pause()
            assert table.row_count == ROWS
            lines = screen_text(table)
            assert "customer_id" in lines[0] and "C0000000" in lines[1]
            assert "$0" in lines[1] and "null" in lines[2] and "[bold]vip[/]" in lines[1]

            await pilot.press("end")
            assert table.cursor_row == ROWS - 1
            assert f"C{ROWS - 1:07d}" in "\n".join(screen_text(table))
            await pilot.press("pageup", "pageup", "up", "k")
            assert table.cursor_row == ROWS - 1 - 2 * (table.data_height - 1) - 2
            await pilot.press("home")
            assert table.cursor_row == 0 and table.scroll_y == 0

            await pilot.press("down", "down", "down")  # on C0000003 (mrr_to 30)
            await pilot.press("right", "l", "right")  # mrr_to
            assert table.current_column() == "mrr_to"
            await pilot.press("s")
            assert table.sort_column == "mrr_to" and not table.sort_descending
            assert table.frame["mrr_to"].is_sorted()
            # The cursor moved with its record: after the ~3 x 194 rows with mrr_to 0, 10 and 20.
            assert table.cell_value(column=0) == "C0000003" and table.cursor_row > 500
            assert "C0000003" in "\n".join(screen_text(table))
            await pilot.press("s")
            assert table.sort_descending and table.frame["mrr_to"].is_sorted(descending=True)
            assert table.cell_value(column=0) == "C0000003"
            assert "mrr_to ▼" in screen_text(table)[0]

            found = table.search("customer 9972")
            assert found == len([i for i in range(ROWS) if i % 9973 == 9972])
            first = table.cursor_row
            assert table.cell_value(column=1) == "Customer 9972"
            table.next_match()
            assert table.cursor_row != first and table.cell_value(column=1) == "Customer 9972"
            table.next_match(forward=False)
            assert table.cursor_row == first
            assert table.match_position() is not None
    run(go())


def test_empty_frame(run):
    async def go():
        app = TableApp(pl.DataFrame({"a": pl.Series([], dtype=pl.String)}))
        async with app.run_test(size=(60, 10)) as pilot:
            table = app.query_one(RecordsTable)
            await pilot.press("down", "s", "end")
            assert table.row_count == 0
            assert "a" in screen_text(table)[0]
    run(go())
