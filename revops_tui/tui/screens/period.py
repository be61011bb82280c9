"""The period modal: as-of day (latest, today or YYYY-MM-DD) and months, validated before anything changes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from revops_tui.config import parse_as_of
from revops_tui.tui.text import clean

MIN_MONTHS, MAX_MONTHS = 1, 240


def validate(as_of: str, months: str) -> tuple[str, int]:
    """(as-of, months) or ValueError with a message for the user."""
    value = parse_as_of(as_of)  # ValueError: "as-of must be 'latest', 'today' or a date YYYY-MM-DD, not ..."
    try:
        count = int(months.strip())
    except ValueError:
        raise ValueError(f"months must be a whole number, not {months.strip()!r}") from None
    if not MIN_MONTHS <= count <= MAX_MONTHS:
        raise ValueError(f"months must be between {MIN_MONTHS} and {MAX_MONTHS}, not {count}")
    return value, count


class PeriodScreen(ModalScreen[tuple[str, int] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    HELP_EXTRA = [
        ("tab", "next field"),
        ("enter", "apply (after checking both fields)"),
    ]

    def __init__(self, as_of: str, months: int) -> None:
        super().__init__()
        self.as_of = as_of
        self.months = months

    def crumb(self) -> str:
        return "Period"

    def compose(self) -> ComposeResult:
        with Vertical(id="period-box") as box:
            box.border_title = "Period"
            box.border_subtitle = "enter: apply · esc: cancel"
            yield Label("As-of day: latest, today or YYYY-MM-DD")
            yield Input(self.as_of, id="period-as-of")
            yield Label(f"Months in every trend ({MIN_MONTHS}-{MAX_MONTHS})")
            yield Input(str(self.months), id="period-months", type="integer")
            yield Static("", id="period-error")
            with Horizontal(id="period-buttons"):
                yield Button("Apply", id="apply", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#period-as-of", Input).focus()

    def action_apply(self) -> None:
        as_of = self.query_one("#period-as-of", Input).value
        months = self.query_one("#period-months", Input).value
        try:
            result = validate(as_of, months)
        except ValueError as exc:
            error = self.query_one("#period-error", Static)
            error.update(Text(f"✖ {clean(exc)}", style="bold red"))
            error.add_class("-shown")
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_cancel()
