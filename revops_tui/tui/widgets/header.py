"""The header: tool name, as-of day, filters, last load, loading indicator; breadcrumb and data folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from revops_tui.tui.text import clean

if TYPE_CHECKING:
    from revops_tui.tui.app import RevOpsApp

TOOL_NAME = "RevOps TUI"
MAX_LINES = 4  # of the banner
SEPARATOR = " │ "


def breadcrumb_for(app: "RevOpsApp", upto: object) -> str:
    """The crumbs of the screen stack up to (and including) the given screen."""
    crumbs: list[str] = []
    for screen in app.screen_stack:
        crumb = getattr(screen, "crumb", None)
        if callable(crumb):
            part = crumb()
            if part:
                crumbs.append(part)
        if screen is upto:
            break
    return " › ".join(crumbs)


class AppHeader(Widget):
    """Two lines: status (as-of, filters, load time, loading) and breadcrumb (with the data folder)."""

    DEFAULT_CSS = """
    AppHeader {
        dock: top;
        height: 2;
        background: $panel;
        color: $foreground;
    }
    """

    def render(self) -> Text:
        app: RevOpsApp = self.app  # type: ignore[assignment]
        width = max(self.size.width, 1)
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append(f" {TOOL_NAME}", style="bold")
        state = app.header_state()
        if state.as_of:
            status.append(SEPARATOR)
            status.append(f"as of {state.as_of}")
            if state.partial:
                status.append(" (month to date)", style="italic")
        status.append(SEPARATOR)
        status.append("filters: ")
        status.append(clean(state.filters), style="bold" if state.filters != "none" else "")
        if state.cached:
            status.append(SEPARATOR)
            status.append("⟳ cached, confirming…", style="bold reverse")
        elif state.loading:
            status.append(SEPARATOR)
            status.append("⟳ loading…", style="bold reverse")
        status.truncate(width, overflow="ellipsis")

        crumb = " " + clean(breadcrumb_for(app, self.screen))
        loaded = f"loaded {state.loaded}" if state.loaded else ""
        changed = f"changed {state.changed}" if state.changed else ""
        data = f"data: {clean(state.data)}"
        room = width - cell_len(crumb) - 3
        right = ""
        candidates = [" · ".join(p for p in (data, changed, loaded) if p),
                      " · ".join(p for p in (changed, loaded) if p), loaded, ""]
        for candidate in candidates:
            if cell_len(candidate) <= room:
                right = candidate
                break
        line2 = Text(no_wrap=True, overflow="ellipsis")
        line2.append(crumb, style="bold")
        if right:
            line2.append(" " * (width - cell_len(crumb) - cell_len(right) - 1))
            line2.append(right + " ", style="dim")
        line2.truncate(width, overflow="ellipsis")
        return Text("\n").join([status, line2])


class Banner(Widget):
    """Errors of the current load (a table failing validation, a query error), shown until the next load."""

    # In the flow under the docked header (two docked widgets would overlap: the banner hid the
    # header's as-of, filters and load times exactly when they matter).
    DEFAULT_CSS = """
    Banner {
        height: auto;
        max-height: 4;
        display: none;
        background: $error 20%;
        color: $text;
        padding: 0 1;
    }
    Banner.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.messages: list[str] = []

    def show(self, messages: list[str]) -> None:
        self.messages = list(messages)
        self.set_class(bool(self.messages), "-shown")
        self.refresh(layout=True)

    def render(self) -> Text:
        lines = [Text.assemble(("✖ ", "bold"), clean(m)) for m in self.messages]
        width = self.content_size.width
        if width <= 0 or sum(-(-cell_len(line.plain) // width) for line in lines) <= MAX_LINES:
            return Text("\n").join(lines)
        # Too long to wrap in full: one line per problem (the file it names comes first), and
        # the count of those that do not fit; each was shown in full as a notification.
        if len(lines) > MAX_LINES:
            rest = len(lines) - MAX_LINES + 1
            lines = lines[:MAX_LINES - 1] + [Text(f"… {rest} more problem{'s' if rest > 1 else ''}", style="italic")]
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return Text("\n", no_wrap=True).join(lines)

    def on_mount(self) -> None:
        app = self.app
        messages = getattr(app, "banner_messages", None)
        self.show(messages() if callable(messages) else list(getattr(app, "problems", [])))
