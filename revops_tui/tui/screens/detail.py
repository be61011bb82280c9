"""A KPI's detail: line chart, month table (up/down picks a month), breakdown of the picked month."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from revops_tui.formatting import format_change, format_value, is_good
from revops_tui.kpis.catalog import CATALOG, DEPARTMENTS, DQ_IDS
from revops_tui.kpis.drilldown import MOVEMENTS, BreakdownRow, breakdown, dimensions, scope_of
from revops_tui.lazy import QUERY_FAILURES
from revops_tui.targets.status import COLOURS, SYMBOLS
from revops_tui.tui.targets_hook import card_target, target_line
from revops_tui.tui.text import clean, literal
from revops_tui.tui.widgets.chart import LineChart, LineData
from revops_tui.tui.widgets.header import AppHeader, Banner
from revops_tui.tui.widgets.keys_footer import KeysFooter
from revops_tui.tui.widgets.kpi_card import change_text
from revops_tui.tui.widgets.tables import BreakdownTable, MonthTable, num

MOVEMENT_KPIS = ("mrr", "arr")  # their breakdown starts with the MRR movements
NEGATIVE_MOVEMENTS = ("contraction", "churn")
DEBOUNCE = 0.15  # seconds of quiet on the month table before a breakdown is computed


class DetailScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("enter", "open", "Records", show=False),
        Binding("d", "dimension(1)", "Next dimension", id="next_dimension"),
        Binding("D", "dimension(-1)", "Prev. dimension", show=False, id="prev_dimension"),
        Binding("t", "edit_target", "Target", id="target"),
    ]

    HELP_HIDE = ("edit_target",)

    HELP_EXTRA = [
        ("↑ ↓ (month table)", "pick the month of the breakdown"),
        ("tab / shift+tab", "move between the month table and the breakdown"),
        ("← → (breakdown)", "switch the breakdown dimension"),
        ("enter on a month", "the records behind the month's number"),
        ("enter on a breakdown row", "the records behind that part (movement, stage, rule, segment…)"),
        ("t", "set, change or remove the KPI's target"),
    ]

    def __init__(self, kpi_id: str, pane: str, month: str | None = None) -> None:
        super().__init__()
        self.kpi_id = kpi_id
        self.kpi = CATALOG[kpi_id]
        self.pane = pane
        self.month: str | None = month
        self.months: list[str] = []
        self.dims: tuple[str, ...] = self._dimensions()
        self.dim_index = 0
        self.rows: list[BreakdownRow] = []
        self._rows_for: tuple[str, str] | None = None  # the (month, dimension) of the rows shown
        self._open_when_shown = False  # Enter came while the breakdown was for another month or dimension
        self._computing = False  # a breakdown worker is running
        self._timer = None

    def _dimensions(self) -> tuple[str, ...]:
        dims = dimensions(self.kpi_id)
        if self.kpi_id in MOVEMENT_KPIS:
            dims = ("movement",) + dims
        return dims

    @property
    def dimension(self) -> str | None:
        return self.dims[self.dim_index] if self.dims else None

    def crumb(self) -> str:
        return f"{self.kpi.label} › {self.month}" if self.month else self.kpi.label

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Banner()
        yield Static(id="detail-title")
        yield LineChart(id="chart")
        with Horizontal(id="lower"):
            yield MonthTable(id="months")
            with Vertical(id="breakdown-box"):
                yield Static(id="dims")
                yield BreakdownTable(id="breakdown")
                yield Static(id="breakdown-status")
                yield Static(id="target-history")
        yield KeysFooter()

    def on_mount(self) -> None:
        months = self.query_one(MonthTable)
        months.add_columns("Month", num("Value"), num("Change"))
        self.data_changed()
        months.focus()

    # ------------------------------------------------------------------ data

    @property
    def currency(self) -> str:
        return self.app.settings.currency  # type: ignore[attr-defined]

    def data_changed(self) -> None:
        snap = self.app.snapshot  # type: ignore[attr-defined]
        title = self.query_one("#detail-title", Static)
        if snap is None:
            title.update(Text(self.kpi.name, style="bold"))
            return
        result = snap.results.kpis.get(self.kpi_id)
        if result is None:
            title.update(Text(f"{self.kpi.name}: not computed", style="bold"))
            return
        self._update_title(result)
        self._show_target_history()

        self.months = [m for m, _ in result.series]
        if self.month not in self.months:
            self.month = self.months[-1] if self.months else None
        table = self.query_one(MonthTable)
        table.clear()
        previous = None
        for month, value in result.series:
            change = format_change(value, previous, self.kpi.unit)
            good = is_good(value, previous, self.kpi.unit, self.kpi.better)
            style = "" if good is None else ("green" if good else "red")
            label = month + (" mtd" if month == self.months[-1] and snap.results.partial else "")
            table.add_row(Text(label), num(format_value(value, self.kpi.unit, self.currency)), num(change, style),
                          key=month)
            previous = value
        if self.month:
            table.move_cursor(row=self.months.index(self.month), animate=False)
        self._update_chart()
        self._show_dims()
        self._schedule_breakdown(now=True)

    def targets_changed(self) -> None:
        """The targets file was re-read: title, chart line and history."""
        snap = self.app.snapshot  # type: ignore[attr-defined]
        result = snap.results.kpis.get(self.kpi_id) if snap is not None else None
        if result is not None:
            self._update_title(result)
        self._update_chart()
        self._show_target_history()

    def _show_target_history(self) -> None:
        """The KPI's target changes, newest first (a few lines; the full list is targets-history.jsonl)."""
        from revops_tui.tui.screens.target_editor import history_lines

        app = self.app
        box = self.query_one("#target-history", Static)
        store = getattr(app, "target_store", None)
        limit = 2 if self.app.size.height >= 30 else 1  # a small terminal keeps room for the breakdown
        lines = history_lines(store, self.kpi_id, self.kpi.unit, self.currency, limit=limit) if store else []
        if not lines:
            box.display = False
            return
        rows = [Text("target history, newest first:", style="dim bold", no_wrap=True, overflow="ellipsis")]
        rows += [Text(line, style="dim", no_wrap=True, overflow="ellipsis") for line in lines]
        box.update(Text("\n").join(rows))
        box.display = True

    def _update_title(self, result) -> None:
        title = self.query_one("#detail-title", Static)
        head = Text(self.kpi.name, style="bold")
        if result.available:
            head.append("  ")
            head.append(format_value(result.value, self.kpi.unit, self.currency), style="bold")
            head.append("  ")
            head.append_text(change_text(result))
            if result.not_filtered_by:
                head.append(f"  (not filtered by {', '.join(result.not_filtered_by)})", style="dim italic")
        else:
            head.append("  unavailable: ", style="italic")
            head.append(clean(result.reason or ""), style="italic")
        target = card_target(self.app, result)
        if target is not None and target.company_wide is not None:
            head.append("   target ")
            head.append(format_value(target.company_wide, self.kpi.unit, self.currency, compact=True))
            head.append(f" {SYMBOLS[target.status]} company-wide, not compared", style="dim")
        elif target is not None:
            head.append("   target ")
            head.append(format_value(target.value, self.kpi.unit, self.currency, compact=True))
            head.append(f" {SYMBOLS.get(target.status, '?')} {target.status}", style=COLOURS.get(target.status, ""))
        head.append("\n")
        head.append(clean(self.kpi.definition), style="dim")
        head.append(f"  ({self.kpi.better} is better)", style="dim")
        title.update(head)

    def _update_chart(self) -> None:
        snap = self.app.snapshot  # type: ignore[attr-defined]
        chart = self.query_one(LineChart)
        result = snap.results.kpis.get(self.kpi_id) if snap else None
        if result is None:
            chart.set_data(None)
            return
        chart.set_data(LineData(
            months=[m for m, _ in result.series], values=[v for _, v in result.series], unit=self.kpi.unit,
            currency=self.currency, picked=self.month, target=target_line(self.app, result),
        ))

    def _show_dims(self) -> None:
        text = Text("by: ")
        if not self.dims:
            text.append("(no breakdown for this KPI)", style="italic")
        for i, dim in enumerate(self.dims):
            if i:
                text.append(" ")
            text.append(dim, style="bold reverse" if i == self.dim_index else "")
        dims = self.query_one("#dims", Static)
        width = dims.content_size.width
        if not width:  # not laid out yet: shown again once it is, with the width known
            self.call_after_refresh(self._show_dims)
        elif len(self.dims) > 1 and text.cell_len + 7 <= width:
            text.append("  ←/→ d", style="dim")  # the keys, when they fit on the line (the footer has d too)
        dims.update(text)

    def on_resize(self) -> None:
        self._show_dims()  # the keys' hint fits, or no longer does

    # ------------------------------------------------------------------ breakdown

    def _schedule_breakdown(self, now: bool = False) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if now:
            self._start_breakdown()
        else:
            self._timer = self.set_timer(DEBOUNCE, self._start_breakdown)

    def _start_breakdown(self) -> None:
        self._timer = None
        app = self.app
        snap = app.snapshot  # type: ignore[attr-defined]
        dim, month = self.dimension, self.month
        table = self.query_one(BreakdownTable)
        status = self.query_one("#breakdown-status", Static)
        if snap is not None and snap.tables is None:  # cached numbers only: the data is still being read
            status.update(Text("waiting for the data…", style="italic"))
            return
        if snap is None or dim is None or month is None:
            table.clear(columns=True)
            self.rows = []
            status.update("")
            return
        if dim == "movement":
            self._show_rows(dim, month, self._movement_rows(month))
            return
        key = (id(snap), self.kpi_id, month, dim)
        cached = app.breakdown_cache.get(key)  # type: ignore[attr-defined]
        if cached is not None:
            self._show_rows(dim, month, cached)
            return
        table.clear(columns=True)
        self.rows = []
        status.update(Text(f"computing the breakdown by {dim} for {month}…", style="italic"))
        self._computing = True
        self._compute_breakdown(snap, key, month, dim)

    @work(thread=True, exclusive=True, group="breakdown", exit_on_error=False)
    def _compute_breakdown(self, snap, key: tuple, month: str, dim: str) -> None:
        worker = get_current_worker()
        try:
            result = snap.results.kpis.get(self.kpi_id)
            total = dict(result.series).get(month) if result is not None and result.available else None
            rows = breakdown(scope_of(snap), self.kpi_id, month, dim, total)
            error = None
        except QUERY_FAILURES as exc:  # shown under the table, the screen keeps working
            rows, error = [], str(exc) or type(exc).__name__
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._breakdown_done, key, month, dim, rows, error)

    def _breakdown_done(self, key: tuple, month: str, dim: str, rows: list[BreakdownRow], error: str | None) -> None:
        self._computing = False
        if error is None:
            self.app.breakdown_cache[key] = rows  # type: ignore[attr-defined]
        if (month, dim) != (self.month, self.dimension):
            return
        if error is not None:
            self._open_when_shown = False
            self.query_one("#breakdown-status", Static).update(Text(f"breakdown failed: {clean(error)}", style="red"))
            return
        self._show_rows(dim, month, rows)

    def _movement_rows(self, month: str) -> list[BreakdownRow]:
        results = self.app.snapshot.results  # type: ignore[attr-defined]
        rows = []
        for name in MOVEMENTS:
            result = results.kpis.get(f"mrr_{name}")
            value = dict(result.series).get(month) if result is not None and result.available else None
            if value is not None and name in NEGATIVE_MOVEMENTS:
                value = -value
            rows.append(BreakdownRow(name, value, None))
        return rows

    def _show_rows(self, dim: str, month: str, rows: list[BreakdownRow]) -> None:
        self.rows = rows
        self._rows_for = (month, dim)
        table = self.query_one(BreakdownTable)
        keep = table.cursor_row
        table.clear(columns=True)
        dq = self.kpi_id in DQ_IDS
        unit = "%" if dq else ("currency" if dim == "movement" else self.kpi.unit)
        value_label = "Pass rate" if dq else ("MRR" if dim == "movement" else "Value")
        share_label = "Of failures" if dq else "Share"
        table.add_columns(dim.capitalize(), num(value_label), num(share_label))
        for row in rows:
            label = row.label.capitalize() if dim == "movement" else row.label
            table.add_row(
                literal(label, "italic" if row.key is not None else ""),  # italic: the rows without a value
                num(format_value(row.value, unit, self.currency)),
                num(format_value(row.share, "%") if row.share is not None else ""),
            )
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1), animate=False)
        status = self.query_one("#breakdown-status", Static)
        if not rows:
            status.update(Text(f"nothing to break down by {dim} in {month}", style="italic"))
        else:
            status.update(Text(f"{month} by {dim} · enter: records", style="dim"))
        if self._open_when_shown:
            self._open_when_shown = False
            self.open_row(table.cursor_row)

    ROW_KEYS = frozenset({"up", "down", "k", "j", "pageup", "pagedown", "home", "end", "enter"})

    def keys_wait(self, key: str) -> bool:
        """Keys typed ahead for the breakdown's rows wait while the breakdown asked for is on its
        way (typeahead): down and Enter then pick a row of it, not of the rows it replaces. The
        dimension keys do not wait (several presses compute only the last dimension)."""
        return (key in self.ROW_KEYS and isinstance(self.focused, BreakdownTable)
                and self._rows_for != (self.month, self.dimension) and (self._timer is not None or self._computing))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "dimension":
            return len(self.dims) > 1  # not offered for a KPI without breakdown (CAC, ...)
        return True

    def action_dimension(self, step: int) -> None:
        if len(self.dims) < 2:
            return
        self.dim_index = (self.dim_index + step) % len(self.dims)
        self._open_when_shown = False
        self._show_dims()
        self._schedule_breakdown()  # debounced: several presses compute only the last dimension

    # ------------------------------------------------------------------ navigation

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if isinstance(event.data_table, MonthTable):
            if event.cursor_row != event.data_table.cursor_row:
                return  # stale: posted while the table was being refilled
            if 0 <= event.cursor_row < len(self.months):
                month = self.months[event.cursor_row]
                if month != self.month:
                    self.month = month
                    self._open_when_shown = False
                    self._update_chart()
                    for header in self.query(AppHeader):
                        header.refresh()
                    self._schedule_breakdown()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if isinstance(event.data_table, MonthTable):
            self.open_month()
        elif isinstance(event.data_table, BreakdownTable):
            self.open_row(event.cursor_row)

    def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, BreakdownTable):
            self.open_row(focused.cursor_row)
        else:
            self.open_month()

    def open_month(self) -> None:
        from revops_tui.tui.screens.records import RecordsRequest, RecordsScreen

        if self.month and self.app.snapshot is not None:  # type: ignore[attr-defined]
            self.app.push_screen(RecordsScreen(RecordsRequest(self.kpi_id, self.month, crumb="all records")))

    def open_row(self, index: int) -> None:
        from revops_tui.tui.screens.records import RecordsRequest, RecordsScreen

        dim, month = self.dimension, self.month
        if dim is None or month is None:
            return
        if self._rows_for != (month, dim):
            # Typed ahead (d, tab, Enter arriving together): the rows shown are still those of the
            # dimension or month before; open the row once the breakdown asked for is shown.
            self._open_when_shown = True
            return
        if not (0 <= index < len(self.rows)):
            return
        row = self.rows[index]
        label = row.label
        if dim == "movement":
            request = RecordsRequest("mrr", month, detail=label, crumb=label.capitalize())
        elif dim in ("rule", "table"):
            request = RecordsRequest(self.kpi_id, month, dimension=dim, value=label, crumb=f"{dim}: {label}")
        elif dim == "stage":
            request = RecordsRequest(self.kpi_id, month, dimension="stage", value=label, crumb=label)
        else:
            request = RecordsRequest(self.kpi_id, month, dimension=dim, value=row.filter_value, crumb=f"{dim}: {label}")
        self.app.push_screen(RecordsScreen(request))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit_target(self) -> None:
        self.app.edit_target(self.kpi_id)  # type: ignore[attr-defined]

    @property
    def pane_title(self) -> str:
        return DEPARTMENTS.get(self.pane, self.pane)
