"""Command palette (ctrl+p): go to any KPI, switch pane, set a filter, change theme, reload, period."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Iterator

from textual import on
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.widgets import Button, Input, OptionList

from revops_tui.kpis.catalog import CATALOG, DEPARTMENTS, MOVEMENTS
from revops_tui.tui.text import clean

if TYPE_CHECKING:
    from revops_tui.tui.app import RevOpsApp


class RevOpsCommands(Provider):
    """Commands built from the catalog and the data (filter values are shown literally)."""

    @property
    def revops(self) -> "RevOpsApp":
        return self.app  # type: ignore[return-value]

    def commands(self) -> Iterator[tuple[str, Callable[[], None], str]]:
        app = self.revops
        for kpi_id, kpi in CATALOG.items():
            if kpi_id in MOVEMENTS:
                continue
            yield f"Go to KPI: {kpi.name}", partial(app.goto_kpi, kpi_id), kpi.definition
        for pane, title in DEPARTMENTS.items():
            yield f"Switch pane: {title}", partial(app.show_pane, pane), f"show the {title} pane"
        for name, values in app.filter_values.items():
            chosen = getattr(app.filters, name)
            for value in values:
                verb = "Remove filter" if value in chosen else "Filter"
                yield f"{verb} {name}: {clean(value)}", partial(app.toggle_filter, name, value), f"{name} filter (applied to every screen)"
        yield "Clear filters", app.action_clear_filters, "remove every filter"
        for theme in sorted(app.available_themes):
            yield f"Change theme: {theme}", partial(setattr, app, "theme", theme), "colours of the workspace"
        yield "Reload the data", app.action_reload, "read the tables again"
        yield "Set the period (as-of day, months)", app.action_period, "as-of day and months"

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, self._highlight(matcher, text), command, text=text, help=escape(help_text))

    async def discover(self) -> Hits:
        for text, command, help_text in self.commands():
            if text.startswith(("Switch pane", "Clear filters", "Reload", "Set the period")):
                yield DiscoveryHit(Content(text), command, text=text, help=escape(help_text))

    @staticmethod
    def _highlight(matcher, text: str) -> Content:
        """Like Matcher.highlight, but on literal text (the fuzzy matcher would parse markup)."""
        content = Content(text)
        score, offsets = matcher.fuzzy_search.match(matcher.query, text)
        if not score:
            return content
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
        return content


class Palette(CommandPalette):
    """Textual's command palette, safe against keys typed ahead: two Enters arriving together
    each selected the hit; the palette closed itself on the first and was dismissed again on the
    second (Textual: "Can't pop screen", the app ended). Handlers of a subclass run first;
    preventing the default skips the palette's own once it is no longer on top."""

    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _ignore_once_closed(self, event: Input.Submitted | Button.Pressed | OptionList.OptionSelected) -> None:
        if self.app.screen is not self:
            event.stop()
            event.prevent_default()
