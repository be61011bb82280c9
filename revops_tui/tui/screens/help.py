"""Help: every key of the current screen, and q quit."""

from __future__ import annotations

from rich.cells import cell_len
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

ALWAYS = [
    ("f", "filters (segment, region, channel, owner)"),
    ("F", "clear the filters"),
    ("p", "as-of day and months"),
    ("r", "reload the data"),
    ("ctrl+p", "command palette: go to a KPI, switch pane, set a filter, change theme"),
    ("?", "this help"),
    ("q / ctrl+c", "quit"),
]


SKIP_ACTIONS = {"app.focus_next", "app.focus_previous", "screen.copy_text", "screen.maximize", "screen.minimize"}


def _title(screen: Screen) -> str:
    crumb = getattr(screen, "crumb", None)
    return crumb() if callable(crumb) else type(screen).__name__


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="close"),
        Binding("enter", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    @classmethod
    def for_screen(cls, screen: Screen) -> "HelpScreen":
        """The keys that work on the screen: its bindings, its extra keys, the app's keys and q quit."""
        from revops_tui.tui.widgets.header import breadcrumb_for

        app = screen.app
        keys: dict[str, list[str]] = {}  # description -> keys, in order of appearance
        for _key, (node, binding, enabled, _tooltip) in screen.active_bindings.items():
            if not binding.description or not enabled or node is app or binding.system:
                continue
            if binding.action in SKIP_ACTIONS:
                continue
            if binding.action.split("(")[0] in getattr(screen, "HELP_HIDE", ()):
                continue  # summed up by one of the screen's HELP_EXTRA lines
            display = app.get_key_display(binding)
            keys.setdefault(binding.description, [])
            if display not in keys[binding.description]:
                keys[binding.description].append(display)
        rows = [(" / ".join(k), description) for description, k in keys.items()]
        rows.extend(getattr(screen, "HELP_EXTRA", []))
        rows.extend(ALWAYS)
        unique: list[tuple[str, str]] = []
        for row in rows:
            if row not in unique:
                unique.append(row)
        return cls(breadcrumb_for(app, screen) or _title(screen), unique)

    def compose(self) -> ComposeResult:
        # A grid, so that a description too long for a narrow terminal wraps under itself.
        text = Table.grid(padding=(0, 2))
        text.add_column(no_wrap=True, style="bold")
        text.add_column(overflow="fold")
        for key, description in self.rows:
            text.add_row(key, description)
        keys = max((cell_len(k) for k, _ in self.rows), default=0)
        longest = keys + 2 + max((cell_len(d) for _, d in self.rows), default=0)
        with VerticalScroll(id="help-box") as box:
            box.styles.width = longest + 4  # border and padding; max-width (TCSS) caps it, the grid wraps
            box.border_title = f"Keys · {self.title_text}"
            box.border_subtitle = "esc close"
            yield Static(text, id="help-keys")

    def plain(self) -> str:
        return "\n".join(f"{k}  {d}" for k, d in self.rows)

    def action_close(self) -> None:
        self.dismiss(None)
