"""The filters modal: segment, region, channel, owner; several values each, taken from the data."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Button, Label, SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.selection_list import Selection

from revops_tui.kpis.results import Filters
from revops_tui.tui.text import content

NAMES = ("segment", "region", "channel", "owner")


class TickList(SelectionList[str]):
    """A SelectionList whose unticked values show an empty box: Textual draws the same X for
    both states and tells them apart by colour only (identical under NO_COLOR or on a console)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == ToggleButton.BUTTON_INNER and segments[1].style:
            index = segments[1].style.meta.get("option")
            if index is not None and self.get_option_at_index(index).value not in self._selected:
                segments[1] = Segment(" ", segments[1].style)
                return Strip(segments, strip.cell_length)
        return strip


class FiltersScreen(ModalScreen[Filters | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("a", "apply", "Apply", id="apply"),
        Binding("c", "clear", "Clear all", id="clear"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    HELP_EXTRA = [
        ("tab / shift+tab", "next / previous list"),
        ("↑ ↓ space or enter", "move, tick or untick a value"),
    ]

    def __init__(self, values: dict[str, list[str]], current: Filters) -> None:
        super().__init__()
        self.values = values
        self.current = current

    def crumb(self) -> str:
        return "Filters"

    def compose(self) -> ComposeResult:
        with Vertical(id="filters-box") as box:
            box.border_title = "Filters (applied to every screen)"
            box.border_subtitle = "space: tick · a: apply · c: clear · esc: cancel"
            with Horizontal(id="filter-lists"):
                for name in NAMES:
                    chosen = getattr(self.current, name)
                    options = sorted(set(self.values.get(name, [])) | set(chosen))
                    with Vertical(classes="filter-column"):
                        yield Label(f"{name} ({len(options)})", classes="filter-name")
                        yield TickList(
                            *(Selection(content(v), v, v in chosen) for v in options), id=f"filter-{name}"
                        )
            if not any(self.values.get(n) for n in NAMES):
                yield Label("(values appear once the data is loaded)", classes="filter-note")
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", id="apply", variant="primary")
                yield Button("Clear all", id="clear")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#filter-segment", SelectionList).focus()

    def chosen(self) -> Filters:
        return Filters.of(**{name: self.query_one(f"#filter-{name}", SelectionList).selected for name in NAMES})

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_clear(self) -> None:
        for name in NAMES:
            self.query_one(f"#filter-{name}", SelectionList).deselect_all()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"apply": self.action_apply, "clear": self.action_clear, "cancel": self.action_cancel}[event.button.id or "cancel"]()
