"""A virtualised table over a Polars DataFrame (Line API): renders only the visible rows.

Textual's DataTable builds every row up front (about 17 s for 100k rows);
this widget keeps the frame as it is and formats the cells of the rows on
screen when they are drawn, so 100k+ rows scroll, sort and search smoothly.

Keys: arrows / h j k l move the cursor, PgUp/PgDn, Home/End (g/G) jump,
`s` sorts by the current column (again: descending; the cursor keeps its
record), search is driven by the screen (`search()`, `next_match()`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from revops_tui.formatting import format_value
from revops_tui.tui.text import clean

CURRENCY_COLUMNS = {"mrr", "mrr_from", "mrr_to", "change", "amount", "quota"}
UNIT_COLUMNS = {"hours": "hours", "days": "days"}
MAX_WIDTH = 40
GAP = 2
NULL = "null"
# What identifies a record: a failing row's key (Data Quality), else the frame's first id column
# (a deal's rows also name its customer); a frame with neither is identified by its whole row.
FAILING_KEY = ("score", "table", "key", "column", "rule")
ID_COLUMNS = {"customer_id", "opportunity_id", "ticket_id", "lead_id", "response_id"}


@dataclass
class Column:
    name: str
    dtype: pl.DataType
    width: int
    numeric: bool
    unit: str | None  # a formatting unit for numbers


def _cell_text(value: object, column: Column, currency: str) -> str:
    if value is None:
        return NULL
    if column.numeric:
        if isinstance(value, bool):
            return str(value).lower()
        if column.unit:
            return format_value(float(value), column.unit, currency)
        if isinstance(value, int):
            return format_value(float(value), "count", currency)
        return format_value(float(value), "", currency)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(value)


def _fit(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)) + "…"


class RecordsTable(ScrollView, can_focus=True):
    """Rows of a DataFrame with a cursor, sort by the current column and search matches."""

    DEFAULT_CSS = """
    RecordsTable {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
    }
    RecordsTable > .records--header { text-style: bold; background: $panel; color: $text; }
    RecordsTable > .records--header-cursor { text-style: bold reverse; }
    RecordsTable > .records--cursor { background: $accent 30%; text-style: bold; }
    RecordsTable > .records--cursor-cell { background: $accent; color: $text; text-style: bold; }
    RecordsTable > .records--match { background: $warning 25%; }
    RecordsTable > .records--null { color: $text-muted; text-style: italic; }
    RecordsTable:blur > .records--cursor { background: $panel; }
    """

    COMPONENT_CLASSES = {
        "records--header", "records--header-cursor", "records--cursor", "records--cursor-cell",
        "records--match", "records--null",
    }

    BINDINGS = [
        Binding("up,k", "move(0, -1)", "Up", show=False),
        Binding("down,j", "move(0, 1)", "Down", show=False),
        Binding("left,h", "move(-1, 0)", "Left", show=False),
        Binding("right,l", "move(1, 0)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First row", show=False),
        Binding("end,G", "jump(-1)", "Last row", show=False),
        Binding("s", "sort", "Sort by column"),
    ]

    class Changed(Message):
        """Cursor, sort or search state changed (the screen updates its status line)."""

        def __init__(self, table: "RecordsTable") -> None:
            super().__init__()
            self.table = table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frame = pl.DataFrame()
        self.columns: list[Column] = []
        self.currency = "USD"
        self.cursor_row = 0
        self.cursor_col = 0
        self.sort_column: str | None = None
        self.sort_descending = False
        self.query: str = ""
        self.matches: list[int] = []
        self._match_set: set[int] = set()
        self._window: tuple[tuple[int, int, int], list[tuple]] | None = None
        self._version = 0

    # ------------------------------------------------------------------ data

    def set_frame(self, frame: pl.DataFrame, currency: str = "USD", *, keep: bool = False) -> None:
        """Show a new frame. keep: the same records again (a reload): keep the sort, the search and
        the cursor on its record (`_key_columns`), or on the same row when the record is gone."""
        key = self._cursor_key() if keep else None
        row, top = self.cursor_row, int(self.scroll_y)
        column = self.current_column()
        self.frame = frame
        self.currency = currency
        self.columns = [self._measure(name, frame[name]) for name in frame.columns]
        names = [c.name for c in self.columns]
        if keep and column in names:
            self.cursor_col = names.index(column)
        else:
            self.cursor_col = min(self.cursor_col, max(len(self.columns) - 1, 0))
        if keep and self.sort_column in names:
            self._sort_frame()
        else:
            self.sort_column, self.sort_descending = None, False
        self.cursor_row = 0
        if keep:
            found = self._find_key(key) if key is not None else None
            self.cursor_row = max(0, min(self.row_count - 1, row if found is None else found))
        self._touch()
        if self.query:
            self.search(self.query, jump=not keep)
        if keep:  # the cursor stays where it was on screen
            self.scroll_to(self.scroll_x, max(0, top + self.cursor_row - row), animate=False, immediate=True)
            self._scroll_cursor_visible()
        else:
            self.scroll_to(0, 0, animate=False)
        self._changed()

    def _key_columns(self) -> list[str]:
        names = self.frame.columns
        if "key" in names:
            return [n for n in FAILING_KEY if n in names]
        return [n for n in names if n in ID_COLUMNS][:1] or list(names)

    def _cursor_key(self) -> tuple[list[str], list[object]] | None:
        if not self.row_count or not self.columns:
            return None
        names = self._key_columns()
        row = self.frame.row(self.cursor_row, named=True)
        return names, [row[n] for n in names]

    def _find_key(self, key: tuple[list[str], list[object]]) -> int | None:
        names, values = key
        if not self.row_count or any(n not in self.frame.columns for n in names):
            return None
        try:
            mask = pl.all_horizontal([pl.col(n).is_null() if v is None else (pl.col(n) == v).fill_null(False)
                                      for n, v in zip(names, values)])
            hits = self.frame.select(mask.alias("m")).to_series().arg_true()
        except pl.exceptions.PolarsError:  # the column's type changed between the loads
            return None
        return int(hits[0]) if len(hits) else None

    def _measure(self, name: str, series: pl.Series) -> Column:
        dtype = series.dtype
        numeric = dtype.is_numeric() or dtype == pl.Boolean
        unit = None
        if numeric and dtype.is_float():
            unit = "currency" if name in CURRENCY_COLUMNS else UNIT_COLUMNS.get(name)
        elif numeric and name in UNIT_COLUMNS:
            unit = UNIT_COLUMNS[name]
        column = Column(name, dtype, cell_len(name) + 2, numeric, unit)  # room for the sort arrow
        width = column.width
        if len(series) == 0:
            return column
        if numeric and dtype != pl.Boolean:
            candidates = [series.min(), series.max()]
            width = max([width] + [cell_len(_cell_text(v, column, self.currency)) for v in candidates])
            width = max(width, len(NULL) if series.null_count() else 0)
        elif dtype == pl.Boolean:
            width = max(width, 5)
        elif dtype == pl.Date:
            width = max(width, 10)
        elif isinstance(dtype, pl.Datetime):
            width = max(width, 16)
        elif dtype == pl.String:
            longest = series.str.len_chars().max()
            width = max(width, int(longest or 0), len(NULL) if series.null_count() else 0)
        else:
            sample = series.head(200).to_list()
            width = max([width] + [cell_len(_cell_text(v, column, self.currency)) for v in sample])
        column.width = min(width + 1, MAX_WIDTH) if not numeric else width
        return column

    @property
    def row_count(self) -> int:
        return self.frame.height

    def current_column(self) -> str | None:
        return self.columns[self.cursor_col].name if self.columns else None

    def _touch(self) -> None:
        self._version += 1
        self._window = None
        total_width = sum(c.width for c in self.columns) + GAP * max(len(self.columns) - 1, 0) + 1
        self.virtual_size = Size(total_width, self.row_count + 1)
        self.refresh()

    def _changed(self) -> None:
        self.post_message(self.Changed(self))

    # ------------------------------------------------------------------ sort and search

    def action_sort(self) -> None:
        name = self.current_column()
        if name is None or self.row_count == 0:
            return
        if self.sort_column == name:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_column, self.sort_descending = name, False
        # The cursor stays on the record it was on (wherever the sort puts it).
        order = self._sort_frame()
        self.cursor_row = int((order == self.cursor_row).arg_true()[0])
        self._touch()
        if self.query:
            self.search(self.query, jump=False)
        self._scroll_cursor_visible()
        self._changed()

    def _sort_frame(self) -> pl.Series:
        """Sort the frame by `sort_column` (stable: ties keep their order); returns the old row numbers in the new order."""
        order = self.frame.select(
            pl.arg_sort_by(self.sort_column, descending=self.sort_descending, nulls_last=True, maintain_order=True)
        ).to_series()
        self.frame = self.frame[order]
        return order

    def search(self, query: str, *, jump: bool = True) -> int:
        """Mark the rows where any cell contains the text (case-insensitive); jump to the first at or after the cursor."""
        self.query = query
        if not query or self.row_count == 0:
            self.matches, self._match_set = [], set()
        else:
            needle = query.lower()
            exprs = [
                pl.col(c.name).cast(pl.String).str.to_lowercase().str.contains(needle, literal=True)
                for c in self.columns
            ]
            mask = self.frame.select(pl.any_horizontal(exprs).fill_null(False).alias("m")).to_series()
            self.matches = mask.arg_true().to_list()
            self._match_set = set(self.matches)
        if jump and self.matches:
            self._goto_match(self.cursor_row, forward=True, inclusive=True)
        self.refresh()
        self._changed()
        return len(self.matches)

    def next_match(self, forward: bool = True) -> None:
        if self.matches:
            self._goto_match(self.cursor_row, forward=forward, inclusive=False)
            self._changed()

    def _goto_match(self, row: int, *, forward: bool, inclusive: bool) -> None:
        import bisect

        if forward:
            i = bisect.bisect_left(self.matches, row) if inclusive else bisect.bisect_right(self.matches, row)
            target = self.matches[i] if i < len(self.matches) else self.matches[0]
        else:
            i = bisect.bisect_left(self.matches, row) - 1
            target = self.matches[i] if i >= 0 else self.matches[-1]
        self.cursor_row = target
        self._scroll_cursor_visible()
        self.refresh()

    def match_position(self) -> int | None:
        """1-based index of the cursor row among the matches (None when it is not a match)."""
        if self.cursor_row not in self._match_set:
            return None
        import bisect

        return bisect.bisect_left(self.matches, self.cursor_row) + 1

    # ------------------------------------------------------------------ cursor

    def action_move(self, dx: int, dy: int) -> None:
        if not self.columns:
            return
        self.cursor_col = max(0, min(len(self.columns) - 1, self.cursor_col + dx))
        self.cursor_row = max(0, min(self.row_count - 1, self.cursor_row + dy))
        self._scroll_cursor_visible()
        self.refresh()
        self._changed()

    def action_page(self, direction: int) -> None:
        self.action_move(0, direction * max(self.data_height - 1, 1))

    def action_jump(self, where: int) -> None:
        self.cursor_row = 0 if where == 0 else max(self.row_count - 1, 0)
        self._scroll_cursor_visible()
        self.refresh()
        self._changed()

    @property
    def data_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _column_x(self, index: int) -> tuple[int, int]:
        x = 0
        for i, column in enumerate(self.columns):
            if i == index:
                return x, x + column.width
            x += column.width + GAP
        return x, x

    def _scroll_cursor_visible(self) -> None:
        top = int(self.scroll_y)
        height = self.data_height
        y = top
        if self.cursor_row < top:
            y = self.cursor_row
        elif self.cursor_row >= top + height:
            y = self.cursor_row - height + 1
        left, right = self._column_x(self.cursor_col)
        width = self.scrollable_content_region.width
        x = int(self.scroll_x)
        if left < x:
            x = left
        elif right > x + width:
            x = right - width
        self.scroll_to(x, y, animate=False, immediate=True)

    def on_click(self, event: Click) -> None:
        if not self.columns:
            return
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y >= 1:
            self.cursor_row = max(0, min(self.row_count - 1, int(self.scroll_y) + offset.y - 1))
        x = offset.x + int(self.scroll_x)
        for i in range(len(self.columns)):
            left, right = self._column_x(i)
            if left <= x < right + GAP:
                self.cursor_col = i
                break
        self.refresh()
        self._changed()

    # ------------------------------------------------------------------ rendering

    def _rows(self, top: int, height: int) -> list[tuple]:
        key = (self._version, top, height)
        if self._window is None or self._window[0] != key:
            self._window = (key, self.frame.slice(top, height).rows())
        return self._window[1]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = int(self.scroll_x), int(self.scroll_y)
        base = self.rich_style
        if not self.columns:
            text = " no rows" if y == 0 else ""
            return Strip([Segment(text.ljust(width), base)]).crop(0, width)
        if y == 0:
            strip = self._header_strip(base)
        else:
            index = scroll_y + y - 1
            if index >= self.row_count:
                return Strip.blank(width, base)
            rows = self._rows(scroll_y, self.data_height)
            row = rows[y - 1] if y - 1 < len(rows) else self.frame.row(index)
            strip = self._row_strip(index, row, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header_strip(self, base: Style) -> Strip:
        header = base + self.get_component_rich_style("records--header")
        current = header + self.get_component_rich_style("records--header-cursor")
        segments: list[Segment] = []
        for i, column in enumerate(self.columns):
            name = column.name
            if self.sort_column == name:
                name += " ▼" if self.sort_descending else " ▲"
            text = _fit(clean(name), column.width)
            text = text.rjust(column.width) if column.numeric else text.ljust(column.width)
            text = set_cell_size(text, column.width)
            segments.append(Segment(text, current if i == self.cursor_col else header))
            segments.append(Segment(" " * GAP, header))
        return Strip(segments)

    def _row_strip(self, index: int, row: tuple, base: Style) -> Strip:
        style = base
        if index in self._match_set:
            style = style + self.get_component_rich_style("records--match")
        is_cursor = index == self.cursor_row
        if is_cursor:
            style = style + self.get_component_rich_style("records--cursor")
        null_style = self.get_component_rich_style("records--null")
        cell_style = style + self.get_component_rich_style("records--cursor-cell") if is_cursor else style
        segments: list[Segment] = []
        for i, (column, value) in enumerate(zip(self.columns, row)):
            text = _fit(_cell_text(value, column, self.currency), column.width)
            pad = column.width - cell_len(text)
            text = " " * pad + text if column.numeric else text + " " * pad
            this = cell_style if (is_cursor and i == self.cursor_col) else style
            if value is None:
                this = this + null_style
            segments.append(Segment(text, this))
            segments.append(Segment(" " * GAP, style))
        return Strip(segments)

    def cell_value(self, row: int | None = None, column: int | None = None) -> object:
        """The raw value under the cursor (or at row/column)."""
        row = self.cursor_row if row is None else row
        column = self.cursor_col if column is None else column
        return self.frame.row(row)[column]

    def visible_text(self) -> list[str]:
        """The rows on screen as plain text (tests)."""
        return [
            "  ".join(_cell_text(v, c, self.currency) for c, v in zip(self.columns, row))
            for row in self._rows(int(self.scroll_y), self.data_height)
        ]
