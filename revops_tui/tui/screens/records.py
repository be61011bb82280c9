"""The records behind a number, in a virtualised table with search and sort."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from revops_tui.kpis.drilldown import record_title, records, scope_of, value_label
from revops_tui.lazy import QUERY_FAILURES
from revops_tui.tui.text import clean
from revops_tui.tui.widgets.header import AppHeader, Banner
from revops_tui.tui.widgets.keys_footer import KeysFooter
from revops_tui.tui.widgets.records_table import RecordsTable


@dataclass(frozen=True)
class RecordsRequest:
    kpi_id: str
    month: str
    dimension: str | None = None
    value: str | None = None
    detail: str | None = None
    crumb: str = ""
    column: str | None = None  # DQ checks: keep the failing values of this column only

    def title(self) -> str:
        title = record_title(self.kpi_id, self.detail)
        if self.dimension and self.value is not None:
            title += f" · {self.dimension}: {value_label(self.dimension, self.value)}"
        return title


class RecordsScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "search", "Search", id="search"),
        Binding("n", "next_match(1)", "Next match", id="next_match"),
        Binding("N", "next_match(-1)", "Prev. match", show=False, id="prev_match"),
    ]

    HELP_EXTRA = [
        ("/ then enter", "search every column (case-insensitive), n / N: next / previous match"),
        ("s again", "sort descending"),
    ]

    def __init__(self, request: RecordsRequest) -> None:
        super().__init__()
        self.request = request
        self.fetching = True
        self.error: str | None = None
        self._shown = False  # records have been on the table once

    def crumb(self) -> str:
        return self.request.crumb or self.request.month

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Banner()
        yield Static(id="records-title")
        yield RecordsTable(id="records")
        yield Input(placeholder="search every column, enter to find, esc to close", id="search")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.set_focus(self.query_one(RecordsTable))
        self.load()

    def keys_wait(self, key: str) -> bool:
        """Keys typed ahead for the table wait while its records are being fetched (typeahead)."""
        return self.fetching and isinstance(self.focused, RecordsTable)

    def data_changed(self) -> None:
        """New filters or a reload: fetch the records again."""
        self.load()

    def load(self) -> None:
        snap = self.app.snapshot  # type: ignore[attr-defined]
        if snap is None or snap.tables is None:  # cached numbers only: the data is still being read
            return
        self.fetching, self.error = True, None
        self._update_status()
        self._load(snap, self.request)

    @work(thread=True, exclusive=True, group="records", exit_on_error=False)
    def _load(self, snap, request: RecordsRequest) -> None:
        worker = get_current_worker()
        try:
            frame = records(scope_of(snap), request.kpi_id, request.month, dimension=request.dimension,
                            value=request.value, detail=request.detail)
            if request.column is not None and "column" in frame.columns:
                frame = frame.filter(pl.col("column") == request.column)
            error = None
        except QUERY_FAILURES as exc:  # shown on the screen, the app keeps running
            frame, error = None, str(exc) or type(exc).__name__
        if not worker.is_cancelled:
            self.app.call_from_thread(self._loaded, frame, error)

    def _loaded(self, frame, error: str | None) -> None:
        self.fetching = False
        self.error = error
        table = self.query_one(RecordsTable)
        if frame is not None:
            # A reload (or a new filter) keeps the sort, search and the cursor on its record.
            table.set_frame(frame, self.app.settings.currency, keep=self._shown)  # type: ignore[attr-defined]
            self._shown = True
        else:
            self.notify(error or "no records", title="Records unavailable", severity="error", markup=False)
        self._update_status()

    def on_records_table_changed(self, event: RecordsTable.Changed) -> None:
        self._update_status()

    def _update_status(self) -> None:
        table = self.query_one(RecordsTable)
        text = Text(clean(self.request.title()), style="bold")
        text.append(f" · {self.request.month}", style="bold")
        if self.fetching:
            text.append(" · loading the records…", style="italic")
        elif self.error:
            text.append(" · ")
            text.append(clean(self.error), style="red")
        else:
            rows = table.row_count
            text.append(f" · {rows:,} rows" if rows != 1 else " · 1 row")
            if rows:
                text.append(f" · row {table.cursor_row + 1:,}")
            if table.sort_column:
                text.append(f" · sorted by {clean(table.sort_column)} {'▼' if table.sort_descending else '▲'}")
            if table.query:
                text.append(" · search “")
                text.append(clean(table.query), style="bold")
                position = table.match_position()
                found = len(table.matches)
                text.append(f"”: {position or '-'}/{found:,} matches" if found else "”: no match")
        self.query_one("#records-title", Static).update(text)

    # ------------------------------------------------------------------ search

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.value = self.query_one(RecordsTable).query
        self.set_focus(box)  # at once (focus() is deferred): the characters typed next are the query

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        event.stop()
        table = self.query_one(RecordsTable)
        found = table.search(event.value.strip())
        event.input.display = False
        self.set_focus(table)
        if event.value.strip() and not found:
            self.notify("No match", timeout=2)

    def action_next_match(self, step: int) -> None:
        self.query_one(RecordsTable).next_match(forward=step > 0)

    def action_back(self) -> None:
        box = self.query_one("#search", Input)
        if box.display:
            box.display = False
            self.set_focus(self.query_one(RecordsTable))
            return
        self.app.pop_screen()
