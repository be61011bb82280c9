"""Small DataTables of the workspace (quality checks, months, breakdowns): cells are always Text, never markup."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from revops_tui.formatting import format_value
from revops_tui.tui.text import literal


def num(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right", no_wrap=True)


VI_ROWS = [  # j / k move like the arrows, as everywhere else (README key table)
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
]


class ChecksTable(DataTable):
    """Each data-quality check with its pass rate and failing count; Enter opens the failing records."""

    BINDINGS = [*VI_ROWS, Binding("enter", "select_cursor", "Records")]

    DEFAULT_CSS = """
    ChecksTable { height: auto; max-height: 100%; margin: 1 0 0 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.checks: list = []

    def show(self, checks: list | None, message: str | None = None) -> None:
        row = self.cursor_row
        self.clear(columns=True)  # column widths follow the rows shown
        self.checks = list(checks or [])
        if checks is None:
            self.add_column("Checks")
            self.add_row(Text(message or "computing the checks…", style="italic"))
            return
        self.add_columns(num("Failing"), num("Pass rate"), "Check", "Rule", num("Checked"), "Score")
        for check in self.checks:
            rate = (check.checked - check.failed) / check.checked * 100 if check.checked else None
            self.add_row(
                num(format_value(check.failed, "count"), "bold red" if check.failed else ""),
                num(format_value(rate, "%")),
                literal(f"{check.table}.{check.column}"), literal(check.rule),
                num(format_value(check.checked, "count")),
                literal(check.score),
            )
        if self.checks:
            self.move_cursor(row=min(row, len(self.checks) - 1))

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            leave = getattr(self.screen, "leave_extra", None)
            if leave:
                leave()
                return
        super().action_cursor_up()


class MonthTable(DataTable):
    """Month, value, change: up/down picks the month of the breakdown."""

    BINDINGS = VI_ROWS

    DEFAULT_CSS = """
    MonthTable { width: 38; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)


class BreakdownTable(DataTable):
    """The picked month split by one dimension; left/right switch the dimension."""

    BINDINGS = [
        *VI_ROWS,
        Binding("left,h", "screen.dimension(-1)", "Prev. dimension", show=False),
        Binding("right,l", "screen.dimension(1)", "Next dimension", show=False),
    ]

    DEFAULT_CSS = """
    BreakdownTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
