"""A KPI card: name, value, change vs the previous month, sparkline of the trend, target hook.

One widget that renders its lines itself (a pane of cards made of sub-widgets
costs hundreds of widgets and slows the first frame).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from revops_tui.formatting import format_change, format_value, is_good
from revops_tui.kpis.catalog import CATALOG
from revops_tui.kpis.results import KpiResult
from revops_tui.tui.targets_hook import CardTarget
from revops_tui.tui.text import clean

LOADING = "…"
BARS = "▁▂▃▄▅▆▇█"
# A filtered sum or count against a company-wide target, the widest that fits the card.
PART_TEXTS = ("target is company-wide", "company-wide target", "company target")


def change_text(result: KpiResult) -> Text:
    """'▲ +2.6%' coloured by whether the change is good for the KPI (the arrow reads without colour);
    for a month with no value, why (no renewals due, no deals closed)."""
    kpi = result.kpi
    if result.value is None and result.available:  # a rate or mean over nothing this month: say what
        return Text(kpi.no_value_reason, style="italic")
    text = format_change(result.value, result.previous, kpi.unit)
    good = is_good(result.value, result.previous, kpi.unit, kpi.better)
    return Text(text, style="" if good is None else ("bold green" if good else "bold red"))


def sparkline(values: list[float | None], width: int) -> str:
    """A one-line trend filling the width: the months spread evenly, a gap for a month with no value.

    Nothing for fewer than two values (one bar says nothing about a trend)."""
    if len(values) < 2 or width <= 0:
        return ""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(known), max(known)
    span = high - low

    def bar(v: float | None) -> str:
        if v is None:
            return " "
        if span == 0:
            return BARS[3]
        return BARS[min(len(BARS) - 1, int((v - low) / span * (len(BARS) - 1) + 0.5))]

    bars = [bar(v) for v in values]
    if width <= len(bars):
        return "".join(bars[-width:])
    return "".join(bars[i * len(bars) // width] for i in range(width))


class KpiCard(Widget, can_focus=True):
    """One KPI of a pane. `result` None = loading."""

    DEFAULT_CSS = """
    KpiCard {
        height: auto;
        border: round $panel-lighten-2;
        padding: 0 1;
        background: $surface;
    }
    KpiCard:focus {
        border: heavy $accent;
        background: $boost;
    }
    KpiCard > .kpi-card--name { text-style: bold; color: $text-muted; }
    KpiCard:focus > .kpi-card--name { color: $text; text-style: bold; }
    KpiCard > .kpi-card--value { text-style: bold; color: $text; }
    KpiCard > .kpi-card--reason { color: $text-warning; text-style: italic; }
    KpiCard > .kpi-card--spark { color: $primary; }
    KpiCard > .kpi-card--dim { color: $text-muted; text-style: italic; }
    """

    COMPONENT_CLASSES = {"kpi-card--name", "kpi-card--value", "kpi-card--reason", "kpi-card--spark", "kpi-card--dim"}

    def __init__(self, kpi_id: str, pane: str, currency: str = "USD", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kpi_id = kpi_id
        self.pane = pane
        self.kpi = CATALOG[kpi_id]
        self.currency = currency
        self.result: KpiResult | None = None
        self.target: CardTarget | None = None
        self._memo: tuple | None = None  # (result, target, other state, rendered lines)

    def on_click(self) -> None:
        self.focus()

    def show(self, result: KpiResult | None, currency: str, target: CardTarget | None = None) -> None:
        """Show a result (None: loading)."""
        self.result, self.currency, self.target = result, currency, target
        self.set_class(result is not None and not result.available, "-unavailable")
        self.refresh(layout=True)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"kpi-card--{name}", partial=True)

    def lines(self) -> list[Text]:
        """The card's lines (name, value, change, reason or target, sparkline)."""
        kpi, result = self.kpi, self.result
        lines = [Text(kpi.label, style=self._style("name"))]
        if result is None:
            lines.append(Text(LOADING, style=self._style("value")))
            lines.append(Text("loading", style=self._style("dim")))
            lines.append(Text(""))
            return lines
        if not result.available:
            lines.append(Text("unavailable", style=self._style("value")))
            lines.append(Text(clean(result.reason or "no data"), style=self._style("reason")))
            return lines
        lines.append(Text(format_value(result.value, kpi.unit, self.currency, compact=True), style=self._style("value")))
        change = change_text(result)
        if result.previous is None and len(result.series) < 2:
            change = Text("no history yet", style=self._style("dim"))
        if result.not_filtered_by:
            change.append(f"  not filtered by {', '.join(result.not_filtered_by)}", style=self._style("dim"))
        lines.append(change)
        if self.target is not None:
            lines.append(self._target_line(self.target))
        width = max(self.content_size.width, 1)
        lines.append(Text(sparkline([v for _, v in result.series], width), style=self._style("spark"), no_wrap=True))
        return lines

    def _target_line(self, target: CardTarget) -> Text:
        from revops_tui.targets.status import COLOURS, SYMBOLS

        width = max(self.content_size.width, 1)
        if target.company_wide is not None:  # a filtered sum or count: the company-wide target is not its target
            symbol = SYMBOLS.get(target.status, "?")
            text = next((t for t in PART_TEXTS if len(t) + 2 <= width), PART_TEXTS[-1])
            return Text(f"{symbol} {text}", style=COLOURS.get(target.status, ""), no_wrap=True, overflow="ellipsis")
        value = format_value(target.value, self.kpi.unit, self.currency, compact=True)
        mark = f"{SYMBOLS.get(target.status, '?')} {target.status}"
        # The widest form that fits on one line (narrow cards drop the word "target", then the gap).
        for head, gap in (("target ", "  "), ("target ", " "), ("tgt ", " ")):
            if len(head) + len(value) + len(gap) + len(mark) <= width:
                break
        text = Text(head + value, no_wrap=True, overflow="ellipsis")
        text.append(gap)
        text.append(mark, style=COLOURS.get(target.status, ""))
        return text

    def render(self) -> Text:
        # Textual renders a card twice when it lays it out (height: auto measures the lines
        # first), and again on every pane switch: the lines are made once per state.
        rest = (self.currency, self.content_size.width, self.has_focus)
        memo = self._memo
        if memo is not None and memo[0] is self.result and memo[1] is self.target and memo[2] == rest:
            return memo[3]
        text = Text("\n").join(self.lines())
        self._memo = (self.result, self.target, rest, text)
        return text

    def notify_style_update(self) -> None:
        self._memo = None  # a theme or pseudo-class change restyles the lines
        super().notify_style_update()

    def plain(self) -> str:
        """The card as plain text (tests)."""
        lines = self.lines()
        if self.result is not None and self.result.available:
            lines = lines[:-1]  # without the sparkline
        return " | ".join(line.plain for line in lines if line.plain)
