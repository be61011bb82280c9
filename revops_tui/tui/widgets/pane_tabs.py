"""The row of department tabs ("1 Overview  2 Marketing …"): shows the active pane, a click switches."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.widget import Widget


class PaneTabs(Widget):
    """Not focusable: the arrow keys belong to the cards; 1-5 and tab switch panes."""

    DEFAULT_CSS = """
    PaneTabs {
        height: 1;
        background: $surface;
        color: $text-muted;
    }
    PaneTabs > .pane-tabs--active { color: $text; text-style: bold reverse; }
    PaneTabs > .pane-tabs--key { color: $accent; text-style: bold; }
    """

    COMPONENT_CLASSES = {"pane-tabs--active", "pane-tabs--key"}

    class Picked(Message):
        def __init__(self, pane: str) -> None:
            super().__init__()
            self.pane = pane

    def __init__(self, panes: dict[str, str], active: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.panes = panes  # pane id -> title
        self.active = active
        self._spans: list[tuple[int, int, str]] = []

    def activate(self, pane: str) -> None:
        self.active = pane
        self.refresh()

    def render(self) -> Text:
        active_style = self.get_component_rich_style("pane-tabs--active", partial=True)
        key_style = self.get_component_rich_style("pane-tabs--key", partial=True)
        text = Text(no_wrap=True, overflow="crop")
        self._spans = []
        for i, (pane, title) in enumerate(self.panes.items(), start=1):
            start = cell_len(text.plain)
            label = Text.assemble(" ", (str(i), key_style), f" {title} ")
            if pane == self.active:
                label = Text.assemble(f" {i} {title} ", style=active_style)
            text.append_text(label)
            self._spans.append((start, cell_len(text.plain), pane))
            text.append(" ")
        return text

    def on_click(self, event: Click) -> None:
        for start, end, pane in self._spans:
            if start <= event.x < end:
                self.post_message(self.Picked(pane))
                return
