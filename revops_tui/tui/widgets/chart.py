"""Charts drawn with plotext (6.x figure API) and shown as Rich Text sized to the widget.

plotext keeps one global figure, so charts are only built on the main thread
(in `render`), which takes a few milliseconds for the sizes we draw.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from revops_tui.formatting import format_value

MOVEMENT_STYLE = {  # movement -> (marker, plotext colour, rich colour); the marker tells them apart without colour
    "new": ("█", "green", "green"),
    "reactivation": ("▓", "blue", "blue"),
    "expansion": ("▒", "cyan", "cyan"),
    "contraction": ("▒", "yellow", "yellow"),
    "churn": ("█", "red", "red"),
}
POSITIVE = ("new", "reactivation", "expansion")
NEGATIVE = ("contraction", "churn")


def _simple_glyphs() -> bool:
    """The Linux console's font has no braille; draw with plain markers there."""
    return os.environ.get("TERM", "") == "linux"


def month_label(month: str, short: bool) -> str:
    return month[2:] if short else month  # "2026-09" or "26-09"


def _ticks(months: list[str], width: int) -> tuple[list[int], list[str]]:
    """Positions and labels of the x axis, thinned so that the labels fit."""
    if not months:
        return [], []
    short = len(months) * 8 > width
    label_w = 6 if short else 8
    step = max(1, -(-len(months) * label_w // max(width - 10, 1)))
    positions = list(range(len(months) - 1, -1, -step))[::-1]  # always label the last (current) month
    return [p + 1 for p in positions], [month_label(months[p], short) for p in positions]


def _money_ticks(low: float, high: float, unit: str, currency: str, count: int = 4) -> tuple[list[float], list[str]]:
    if high == low:
        high, low = high + 1, low - 1
    step = (high - low) / max(count - 1, 1)
    values = [low + i * step for i in range(count)]
    return values, [format_value(v, unit, currency, compact=True) for v in values]


class PlotextChart(Widget):
    """Base class: subclasses implement `plot(width, height)` on `plt.figure` and return a caption."""

    DEFAULT_CSS = """
    PlotextChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._cache: tuple[object, Text] | None = None

    def cache_key(self) -> object:  # pragma: no cover - overridden
        return None

    def plot(self, fig, width: int, height: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def empty_message(self) -> str | None:
        return None

    def legend(self) -> Text | None:
        return None

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        message = self.empty_message()
        if message is not None:
            return Text(message, style="dim italic")
        legend = self.legend()
        plot_height = height - (1 if legend is not None else 0)
        if width < 20 or plot_height < 4:
            return Text("(too small for a chart)", style="dim italic")
        key = (width, plot_height, self.cache_key())
        if self._cache is not None and self._cache[0] == key:
            text = self._cache[1]
        else:
            import plotext as plt  # imported on first use: it takes a while and the first frame needs none

            plt.terminal.limit(False, False)  # the widget sets the size: not capped to what the terminal reports
            fig = plt.figure
            fig.clear()
            fig.theme("simple")
            fig.plot_size(width, plot_height)
            self.plot(fig, width, plot_height)
            fig.legend(active=False)
            text = Text.from_ansi(fig.build().string().rstrip("\n"))
            text.no_wrap = True
            self._cache = (key, text)
        if legend is None:
            return text
        return Text("\n").join([text, legend])


@dataclass
class LineData:
    months: list[str]
    values: list[float | None]
    unit: str
    currency: str
    picked: str | None = None
    target: float | None = None


class LineChart(PlotextChart):
    """A KPI's series over the months, the picked month marked, and a target line when set."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: LineData | None = None

    def set_data(self, data: LineData | None) -> None:
        self.data = data
        self.refresh()

    def cache_key(self) -> object:
        d = self.data
        return None if d is None else (tuple(d.months), tuple(d.values), d.unit, d.picked, d.target, d.currency)

    def empty_message(self) -> str | None:
        if self.data is None:
            return "loading…"
        if not any(v is not None for v in self.data.values):
            return "no values to chart"
        return None

    def legend(self) -> Text | None:
        d = self.data
        if d is None or (d.target is None and d.picked is None):
            return None
        text = Text(" ")
        text.append("● value", style="cyan")
        if d.picked:
            text.append(f"   ┊ picked month {d.picked}", style="yellow")
        if d.target is not None:
            text.append(f"   ─ target {format_value(d.target, d.unit, d.currency, compact=True)}", style="red")
        return text

    def plot(self, fig, width: int, height: int) -> None:
        d = self.data
        assert d is not None
        xs = list(range(1, len(d.months) + 1))
        import plotext as plt

        marker = "•" if _simple_glyphs() else "braille"
        segment: list[tuple[int, float]] = []
        segments: list[list[tuple[int, float]]] = []
        for x, v in zip(xs, d.values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
            else:
                segment.append((x, v))
        if segment:
            segments.append(segment)
        for seg in segments:
            sig = fig.signal([p[0] for p in seg], [p[1] for p in seg], marker=plt.marker(marker, "cyan"))
            if len(seg) > 1:
                sig.lines()
            fig.draw(sig)
        values = [v for v in d.values if v is not None]
        if d.target is not None:
            values.append(d.target)
            fig.line(d.target, orientation="horizontal", pixel="red")
        if d.picked in d.months:
            fig.line(d.months.index(d.picked) + 1, orientation="vertical", pixel="yellow")
        positions, labels = _ticks(d.months, width)
        fig.ruler("x").ticks(positions, labels)
        fig.ruler("x").lim(0.5, len(d.months) + 0.5)
        low, high = min(values), max(values)
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 1
        low, high = low - pad, high + pad
        fig.ruler("y").lim(low, high)
        ticks, tick_labels = _money_ticks(low, high, d.unit, d.currency, count=max(2, min(5, height // 3)))
        fig.ruler("y").ticks(ticks, tick_labels)


@dataclass
class MovementData:
    months: list[str]
    movements: dict[str, list[float | None]]  # movement -> value per month (positive amounts)
    currency: str


class MovementsChart(PlotextChart, can_focus=True):
    """MRR movements per month: new, reactivation, expansion up; contraction, churn down."""

    DEFAULT_CSS = """
    MovementsChart { height: 16; border: round $panel-lighten-2; border-title-color: $text-muted; }
    MovementsChart:focus { border: heavy $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: MovementData | None = None
        self.border_title = "MRR movements per month"

    def set_data(self, data: MovementData | None) -> None:
        self.data = data
        self.refresh()

    def cache_key(self) -> object:
        d = self.data
        return None if d is None else (tuple(d.months), tuple((k, tuple(v)) for k, v in d.movements.items()),
                                       d.currency)

    def empty_message(self) -> str | None:
        if self.data is None:
            return "loading…"
        if not self.data.movements:
            return "MRR movements unavailable"
        return None

    def legend(self) -> Text | None:
        text = Text(" ")
        for name, (marker, _, colour) in MOVEMENT_STYLE.items():
            text.append(f"{marker}{marker} {name}" + (" (−)" if name in NEGATIVE else ""), style=colour)
            text.append("  ")
        return text

    def plot(self, fig, width: int, height: int) -> None:
        import plotext as plt

        d = self.data
        assert d is not None
        xs = list(range(1, len(d.months) + 1))

        def series(name: str, sign: int) -> list[float]:
            return [sign * (v or 0.0) for v in d.movements.get(name, [None] * len(xs))]

        ups = [n for n in POSITIVE if n in d.movements]
        downs = [n for n in NEGATIVE if n in d.movements]
        stacks = []  # (name, base, top) of each floating bar segment, stacked away from 0
        for names, sign in ((ups, 1), (downs, -1)):
            base = [0.0] * len(xs)
            for name in names:
                top = [b + v for b, v in zip(base, series(name, sign))]
                stacks.append((name, base, top))
                base = top
        edges = [v for _, base, top in stacks for v in (*base, *top)] or [0.0]
        top_value, bottom_value = max(0.0, *edges), min(0.0, *edges)
        # A character cell shows one segment, and plotext fills every cell a bar touches: a $45
        # expansion on $16k of new MRR took a whole row, a $150 churn below 0 none. So the y range
        # is cut into whole rows with 0 on a row edge, every boundary goes to its nearest edge, and
        # a segment is drawn over the rows it then covers (none: not drawn).
        rows = max(2, height - 3)  # the plot's rows between its frame and its x axis
        row = (top_value - bottom_value) / (rows - 1) or 1.0  # one row to spare
        lowest = -math.ceil(-bottom_value / row)  # index of the bottom row (row k spans k..k+1 rows)
        for name, base, top in stacks:
            marker, colour, _ = MOVEMENT_STYLE[name]
            edges_at = [(round(b / row), round(t / row)) for b, t in zip(base, top)]
            # just inside the outer edges (plotext maps a value to the row of the nearest centre)
            cells = [(min(a, b) + 0.1) * row if a != b else None for a, b in edges_at]
            ends = [(max(a, b) - 0.1) * row if a != b else None for a, b in edges_at]
            shown = [i for i, c in enumerate(cells) if c is not None]
            if shown:
                fig.draw(fig.bar([xs[i] for i in shown], [cells[i] for i in shown], [ends[i] for i in shown],
                                 marker=plt.marker(marker, colour), width=0.6))
        fig.ruler("x").lim(0.5, len(xs) + 0.5)
        fig.ruler("y").lim((lowest + 0.5) * row, (lowest + rows - 0.5) * row)  # centres of the end rows
        ticks, labels = _money_ticks(bottom_value, top_value, "currency", d.currency,
                                     count=max(2, min(5, height // 3)))
        fig.ruler("y").ticks(ticks, labels)
        positions, tick_labels = _ticks(d.months, width)
        fig.ruler("x").ticks(positions, tick_labels)
