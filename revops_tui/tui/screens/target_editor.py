"""The target editor: set, change or remove one KPI's target (issue 5, `t` on a card or detail).

Usage from the workspace::

    def done(result: EditResult) -> None:
        if result.changed:          # "saved" or "removed": the file changed
            ...reload the targets (store.load()) and refresh the cards / chart
        if result.warning:          # e.g. saved, but the history could not be written
            self.notify(result.warning, severity="warning")

    self.push_screen(TargetEditor(kpi_id, store, month=None, currency=settings.currency), done)

The modal always dismisses with an `EditResult` (never None):

- action "saved": `target` is the KPI's target as written (for a month edit, the
  whole target including its dated months);
- action "removed": `target` is what is left of the KPI's target after the
  removal: None when the whole target went, the target without that month when
  only a dated month target was removed;
- action "cancelled": nothing was written; `target` is None.

Keys: tab / shift+tab between fields, enter saves from any field, esc cancels,
d removes (after a confirmation; no field accepts the letter d), ctrl+s saves
too. In the direction field: left / right / space toggle, h higher, l lower.

The current target is read when the modal opens and kept as `base`: a save
passes it to `TargetStore.set(..., base=base)`, so an edit of the same KPI made
by someone else in the meantime raises ConflictError, and the conflict modal
shows both values: "keep mine" saves with force=True, "keep theirs" fills the
form with what is on disk (nothing is saved).

When the targets file cannot be read (`store.load().error`) or is not writable
(`store.writable()`: read-only file, folder or mode) the modal still opens,
with the reason shown prominently and Save disabled; enter then checks the
file again and, while it is still broken, refuses with the message and leaves
the typed values in the fields. Any TargetsError while saving is shown the
same way; nothing typed is lost.

All file access of a save or removal runs in a thread worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Literal

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from revops_tui.formatting import format_value
from revops_tui.kpis.catalog import CATALOG, Kpi
from revops_tui.targets.status import Target
from revops_tui.targets.store import ConflictError, ReadOnlyError, TargetsError, TargetStore
from revops_tui.targets.values import (
    DEFAULT_TOLERANCE,
    format_plain,
    parse_month,
    parse_tolerance,
    parse_target,
)
from revops_tui.tui.text import clean

SAVED = "saved"
REMOVED = "removed"
CANCELLED = "cancelled"

Action = Literal["saved", "removed", "cancelled"]


@dataclass(frozen=True)
class EditResult:
    """What the target editor did; the modal's dismiss value (see the module doc)."""

    action: Action
    kpi_id: str
    target: Target | None = None
    month: str | None = None  # the month of a dated edit / removal, else None
    warning: str | None = None  # e.g. "saved, but the history ... could not be written"

    @property
    def changed(self) -> bool:
        """True when the targets file was written (saved or removed)."""
        return self.action != CANCELLED


# ---------------------------------------------------------------- text helpers


def when_text(stamp: Any) -> str:
    """"2026-11-20T14:02:11Z" -> "2026-11-20 14:02" (UTC, as stored); other text shown cleaned."""
    if stamp is None:
        return "?"
    text = str(stamp)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return clean(text)
    return moment.strftime("%Y-%m-%d %H:%M")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _fmt(value: Any, unit: str, currency: str, compact: bool = False) -> str:
    number = _number(value)
    if number is None:
        return "none" if value is None else clean(value)
    return format_value(number, unit, currency, compact=compact)


def describe(target: Target | None, unit: str, currency: str = "USD", month: str | None = None) -> str:
    """One line for a target: "$120,000 · higher is better · tolerance 5%" (month: its dated value)."""
    if target is None:
        return "no target"
    value = target.value_for(month)
    if month is not None and month in target.months:
        head = f"{month}: {_fmt(value, unit, currency)}"
    elif month is not None:
        head = f"{month}: {_fmt(value, unit, currency)} (no dated target; the base value)"
        if value is None:
            head = f"{month}: no target"
    else:
        head = _fmt(value, unit, currency) if value is not None else "only dated months"
    return f"{head} · {target.direction} is better · tolerance {target.tolerance:g}%"


def describe_full(target: Target | None, unit: str, currency: str = "USD",
                  month: str | None = None) -> str:
    """Base value, the month's dated value (if any), direction and tolerance: for comparing two targets."""
    if target is None:
        return "no target"
    parts = [_fmt(target.value, unit, currency) if target.value is not None else "no base value"]
    if month is not None:
        dated = target.months.get(month)
        parts.append(f"{month}: {_fmt(dated, unit, currency)}" if dated is not None
                     else f"{month}: no dated target")
    elif target.months:
        parts.append(f"{len(target.months)} dated month(s)")
    parts += [f"{target.direction} is better", f"tolerance {target.tolerance:g}%"]
    return " · ".join(parts)


def _months_text(target: Target, unit: str, currency: str, limit: int = 3) -> str:
    items = sorted(target.months.items())
    shown = ", ".join(f"{m} {_fmt(v, unit, currency)}" for m, v in items[:limit])
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return f"Dated: {shown}{more}"


def history_lines(store: TargetStore, kpi_id: str, unit: str, currency: str = "USD",
                  limit: int | None = None) -> list[str]:
    """The KPI's target history, newest first, one plain line per change.

    "2026-11-20 14:02 alice: $120.0k -> $130.0k" (times in UTC as stored;
    values with `format_value(..., compact=True)`); a dated edit ends with
    "for 2026-12"; a removal reads "$120.0k -> removed"; a first target
    "none -> $130.0k". Text from the file (user names) is cleaned of control
    characters; show the lines as literal text (rich Text), never as markup.
    """
    lines: list[str] = []
    for entry in reversed(store.history(kpi_id)):
        who = clean(entry.get("by") or "?")
        old = _fmt(entry.get("old"), unit, currency, compact=True)
        if entry.get("action") == "unset":
            new = "removed"
        else:
            new = _fmt(entry.get("new"), unit, currency, compact=True)
        month = entry.get("month")
        suffix = f" for {clean(month)}" if month else ""
        lines.append(f"{when_text(entry.get('at'))} {who}: {old} -> {new}{suffix}")
        if limit is not None and len(lines) >= limit:
            break
    return lines


def value_hint(kpi: Kpi, currency: str) -> str:
    if kpi.unit == "%":
        return "in percent: 7.5 or 7.5%"
    if kpi.unit in ("currency", "currency/day"):
        return f"{currency}: 12000, 12,000, 12k, 1.5M"
    if kpi.unit == "count":
        return "12000, 12,000 or 12k"
    return f"in {kpi.unit}: e.g. 12 or 1.5"


BROKEN = "Saving is refused: the targets file cannot be read (it is never overwritten)"


def broken_message(error: str) -> str:
    return f"{BROKEN}: {error}"


def _error(text: str) -> Text:
    return Text(f"✖ {clean(text)}", style="bold red")


def _note(text: str) -> Text:
    return Text(f"✔ {clean(text)}", style="green")


# ---------------------------------------------------------------- widgets


class DirectionToggle(Widget, can_focus=True):
    """higher / lower as one focusable line: ◉ higher is better   ○ lower is better."""

    DEFAULT_CSS = """
    DirectionToggle {
        height: 1;
        width: 1fr;
    }
    """

    BINDINGS = [
        Binding("left,right,space", "toggle", "Toggle direction", show=False),
        Binding("h", "pick('higher')", "Higher is better", show=False),
        Binding("l", "pick('lower')", "Lower is better", show=False),
    ]

    def __init__(self, value: str = "higher", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._value = value if value in ("higher", "lower") else "higher"

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, value: str) -> None:
        self._value = "lower" if value == "lower" else "higher"
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True)
        for i, option in enumerate(("higher", "lower")):
            if i:
                text.append("   ")
            chosen = option == self._value
            mark = "◉" if chosen else "○"
            style = "bold" if chosen else ""
            if chosen and self.has_focus:
                style = "bold reverse"
            text.append(f"{mark} {option} is better", style=style)
        return text

    def action_toggle(self) -> None:
        self.value = "lower" if self._value == "higher" else "higher"

    def action_pick(self, option: str) -> None:
        self.value = option

    def on_click(self, event: events.Click) -> None:
        self.value = "higher" if event.x < len("◉ higher is better") + 1 else "lower"

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class Dialog(ModalScreen):
    """The layout the editor's questions share: a box in the middle, its text, buttons right."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
    }
    Dialog .dialog-box {
        height: auto;
        max-width: 100%;
        padding: 0 1;
        background: $surface;
    }
    Dialog .dialog-text {
        height: auto;
        margin-bottom: 1;
    }
    Dialog .dialog-buttons {
        height: auto;
        align-horizontal: right;
    }
    Dialog .dialog-buttons Button {
        margin-left: 1;
    }
    """


class ConfirmRemove(Dialog, ModalScreen[bool]):
    """"Remove the target?": y / enter remove, n / esc keep."""

    DEFAULT_CSS = """
    #tc-box {
        width: 60;
        border: heavy $error;
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Remove", show=False),
        Binding("n,escape", "answer(False)", "Keep", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def crumb(self) -> str:
        return "Remove target?"

    def compose(self) -> ComposeResult:
        with Vertical(id="tc-box", classes="dialog-box") as box:
            box.border_title = "Remove target?"
            box.border_subtitle = "y/enter remove · n/esc keep"
            yield Static(Text(clean(self.question)), id="tc-question", classes="dialog-text")
            with Horizontal(id="tc-buttons", classes="dialog-buttons"):
                yield Button("Remove (y)", id="tc-yes", variant="error")
                yield Button("Keep (n)", id="tc-no")

    def on_mount(self) -> None:
        self.query_one("#tc-yes", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "tc-yes")


class ConflictScreen(Dialog, ModalScreen[str | None]):
    """Someone changed the KPI's target since the editor opened: keep mine (m) or theirs (t).

    Dismisses with "mine", "theirs" or None (esc: back to the editor, nothing saved).
    """

    DEFAULT_CSS = """
    #tx-box {
        width: 76;
        max-height: 100%;
        border: heavy $warning;
    }
    """

    BINDINGS = [
        Binding("m", "choose('mine')", "Keep mine", show=False),
        Binding("t", "choose('theirs')", "Keep theirs", show=False),
        Binding("escape", "choose(None)", "Back", show=False),
    ]

    def __init__(self, kpi: Kpi, error: ConflictError, base: Target | None, month: str | None,
                 currency: str = "USD") -> None:
        super().__init__()
        self.kpi = kpi
        self.error = error
        self.base = base
        self.month = month
        self.currency = currency

    def crumb(self) -> str:
        return f"Conflict · {self.kpi.label}"

    def body(self) -> Text:
        unit, cur, month = self.kpi.unit, self.currency, self.month
        theirs, mine = self.error.theirs, self.error.mine
        who = clean(theirs.updated_by) if theirs is not None and theirs.updated_by else "someone else"
        text = Text()
        text.append(f"{self.kpi.name}: the target was changed by {who} since you opened the editor.\n")
        when = (f", {when_text(theirs.updated_at)} UTC" if theirs is not None and theirs.updated_at
                else "")
        text.append(f"\nTheirs (in the file now{when}):\n", style="bold")
        text.append("  " + describe_full(theirs, unit, cur, month))
        text.append("\nMine (this edit):\n", style="bold")
        text.append("  " + (describe_full(mine, unit, cur, month) if mine is not None
                            else ("remove the target" if month is None else f"remove the {month} target")))
        text.append("\nWhen you opened it:\n", style="bold")
        text.append("  " + describe_full(self.base, unit, cur, month))
        text.append("\n\nKeep mine saves your edit over theirs; keep theirs shows their target "
                    "in the form and saves nothing.")
        return text

    def compose(self) -> ComposeResult:
        with Vertical(id="tx-box", classes="dialog-box") as box:
            box.border_title = f"Conflict · {self.kpi.label}"
            box.border_subtitle = "m keep mine · t keep theirs · esc back"
            yield Static(self.body(), id="tx-text", classes="dialog-text")
            with Horizontal(id="tx-buttons", classes="dialog-buttons"):
                yield Button("Keep mine (m)", id="tx-mine", variant="warning")
                yield Button("Keep theirs (t)", id="tx-theirs", variant="primary")
                yield Button("Back (esc)", id="tx-back")

    def on_mount(self) -> None:
        self.query_one("#tx-theirs", Button).focus()

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss({"tx-mine": "mine", "tx-theirs": "theirs"}.get(event.button.id or ""))


class TargetInput(Input):
    """A one-line field that lets the letter d through to the editor's remove key.

    (An Input normally takes every printable key; no target field needs a d.)
    """

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if character in ("d",):
            return False
        return super().check_consume_key(key, character)


@dataclass(frozen=True)
class _Form:
    value: float
    direction: str
    tolerance: float
    month: str | None


# ---------------------------------------------------------------- the editor


class TargetEditor(ModalScreen[EditResult]):
    """Edit one KPI's target; dismisses with an EditResult (see the module doc)."""

    DEFAULT_CSS = """
    TargetEditor {
        align: center middle;
        background: $background 60%;
    }
    #te-box {
        width: 74;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        padding: 0 1;
        background: $surface;
    }
    #te-kpi {
        text-style: bold;
    }
    #te-kpi, #te-current, #te-banner, #te-status {
        height: auto;
    }
    #te-banner {
        margin-top: 1;
        padding: 0 1;
        border-left: thick $error;
        text-style: bold;
        display: none;
    }
    #te-banner.-shown {
        display: block;
    }
    .te-row {
        height: 1;
        margin-top: 1;
    }
    .te-label {
        width: 12;
    }
    .te-row.-focused > .te-label {
        text-style: bold reverse;
    }
    .te-row Input {
        width: 16;
        margin-right: 2;
    }
    .te-hint {
        width: 1fr;
        color: $text-muted;
    }
    .te-error {
        height: auto;
        padding-left: 12;
        display: none;
    }
    .te-error.-shown {
        display: block;
    }
    #te-status {
        margin-top: 1;
        min-height: 1;
    }
    #te-buttons {
        height: auto;
        align-horizontal: right;
    }
    #te-buttons Button {
        margin-left: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("enter", "save", "Save", show=False),
        Binding("ctrl+s", "save", "Save", show=False, priority=True),
        # No field takes the letter d (values, tolerances, months are numbers), so
        # d removes even while typing in a field.
        Binding("d", "remove", "Remove target", priority=True, id="remove"),
    ]

    HELP_EXTRA = [
        ("tab / shift+tab", "next / previous field"),
        ("enter", "save (from any field)"),
        ("← → / space (direction)", "higher or lower is better"),
        ("d", "remove the target (asks first)"),
        ("esc", "close without saving"),
    ]

    def __init__(self, kpi_id: str, store: TargetStore, month: str | None = None, *,
                 currency: str = "USD") -> None:
        super().__init__()
        if kpi_id not in CATALOG:
            raise ValueError(f"unknown KPI id {kpi_id!r}")
        self.kpi_id = kpi_id
        self.kpi = CATALOG[kpi_id]
        self.store = store
        self.month = parse_month(month) if month else None
        self.currency = currency
        self.base: Target | None = None  # the target as shown when opened (conflict check)
        self.blocked: str | None = None  # why saving is refused (broken / read-only file)
        self.unusable: list[str] = []  # warnings about this KPI's entry in the file (see _load)
        self.busy = False
        self._pending: tuple[str, dict[str, Any]] | None = None  # the last save/remove (for "keep mine")

    def crumb(self) -> str:
        return f"Target · {self.kpi.label}"

    # -- building ------------------------------------------------------------
    def _load(self) -> None:
        snap = self.store.load()
        if snap.error is not None:
            self.base = None
            self.blocked = broken_message(snap.error)
            return
        self.base = snap.targets.get(self.kpi_id)
        # what the file holds for this KPI but cannot be used (a value "abc", a direction "up")
        self.unusable = [w for w in snap.invalid if f"[{self.kpi_id}]" in w or f"[{self.kpi_id}." in w]
        reason = self.store.writable()
        self.blocked = f"Editing is disabled: {reason}" if reason else None

    def compose(self) -> ComposeResult:
        self._load()
        base = self.base
        value = base.value_for(self.month) if base is not None else None
        direction = base.direction if base is not None else self.kpi.better
        tolerance = base.tolerance if base is not None else DEFAULT_TOLERANCE
        with VerticalScroll(id="te-box", can_focus=False) as box:
            box.border_title = f"Target · {self.kpi.label}"
            box.border_subtitle = "enter save · esc cancel · d remove"
            unit = self.kpi.unit if self.kpi.unit != "currency" else f"currency ({self.currency})"
            yield Static(Text(f"{self.kpi.name} · {unit} · {self.kpi.better} is better"), id="te-kpi")
            yield Static(id="te-current")
            yield Static(id="te-banner")
            with Horizontal(classes="te-row"):
                yield Label("Value", classes="te-label")
                yield TargetInput(format_plain(value), id="te-value", compact=True,
                            placeholder="target")
                yield Static(Text(clean(value_hint(self.kpi, self.currency))), classes="te-hint")
            yield Static(id="te-value-error", classes="te-error")
            with Horizontal(classes="te-row"):
                yield Label("Direction", classes="te-label")
                yield DirectionToggle(direction, id="te-direction")
            with Horizontal(classes="te-row"):
                yield Label("Tolerance", classes="te-label")
                yield TargetInput(f"{tolerance:g}", id="te-tolerance", compact=True, placeholder="5")
                yield Static(Text("% miss allowed while 'at risk'"), classes="te-hint")
            yield Static(id="te-tolerance-error", classes="te-error")
            with Horizontal(classes="te-row"):
                yield Label("Month", classes="te-label")
                yield TargetInput(self.month or "", id="te-month", compact=True, placeholder="YYYY-MM")
                yield Static(Text("optional: a target for that month only"), classes="te-hint")
            yield Static(id="te-month-error", classes="te-error")
            yield Static(id="te-status")
            with Horizontal(id="te-buttons"):
                yield Button("Save", id="te-save", variant="primary")
                yield Button("Remove (d)", id="te-remove", variant="error")
                yield Button("Cancel", id="te-cancel")

    def on_mount(self) -> None:
        if self.app.is_headless:  # steady screenshots in tests
            for field in self.query(Input):
                field.cursor_blink = False
        self._show_current()
        self._show_blocked()
        self.query_one("#te-value", Input).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Mark the focused field's label (reverse video: visible without colour).
        for row in self.query(".te-row"):
            row.set_class(event.widget.parent is row, "-focused")

    # -- showing -------------------------------------------------------------
    def _show_current(self) -> None:
        unit, cur = self.kpi.unit, self.currency
        text = Text()
        text.append("Current target: ", style="bold")
        if self.blocked is not None and self.blocked.startswith(BROKEN):
            text.append("unknown (the targets file cannot be read)")
        else:
            base = self.base
            text.append(describe(base, unit, cur, self.month))
            if base is not None:
                if base.months and (self.month is None or set(base.months) - {self.month}):
                    text.append("\n" + _months_text(base, unit, cur))
                if base.updated_at or base.updated_by:
                    by = clean(base.updated_by) if base.updated_by else "?"
                    text.append(f"\nLast change: {when_text(base.updated_at)} UTC by {by}")
            for warning in self.unusable:
                text.append(f"\n⚠ not used: {clean(warning)}", style="bold")
        self.query_one("#te-current", Static).update(text)
        remove = self.query_one("#te-remove", Button)
        remove.disabled = self.base is None or self.blocked is not None

    def _show_blocked(self) -> None:
        banner = self.query_one("#te-banner", Static)
        save = self.query_one("#te-save", Button)
        if self.blocked is None:
            banner.update("")
            banner.remove_class("-shown")
            save.disabled = self.busy
        else:
            banner.update(_error(self.blocked))
            banner.add_class("-shown")
            save.disabled = True
        self.query_one("#te-remove", Button).disabled = self.base is None or self.blocked is not None

    def _status(self, text: Text | str) -> None:
        self.query_one("#te-status", Static).update(text)

    def _field_error(self, name: str, message: str | None) -> None:
        box = self.query_one(f"#te-{name}-error", Static)
        if message:
            box.update(_error(f"{name}: {message}"))
            box.add_class("-shown")
        else:
            box.update("")
            box.remove_class("-shown")

    # -- reading the form ----------------------------------------------------
    def _read_month(self) -> tuple[bool, str | None]:
        text = self.query_one("#te-month", Input).value
        if not text.strip():
            self._field_error("month", None)
            return True, None
        try:
            month = parse_month(text)
        except ValueError as exc:
            self._field_error("month", str(exc))
            return False, None
        self._field_error("month", None)
        return True, month

    def _read_form(self) -> _Form | None:
        """The typed values, or None after showing an inline message under each bad field."""
        first_bad: str | None = None
        value = tolerance = None
        try:
            value = parse_target(self.query_one("#te-value", Input).value, self.kpi)
            self._field_error("value", None)
        except ValueError as exc:
            self._field_error("value", str(exc))
            first_bad = first_bad or "value"
        try:
            tolerance = parse_tolerance(self.query_one("#te-tolerance", Input).value)
            self._field_error("tolerance", None)
        except ValueError as exc:
            self._field_error("tolerance", str(exc))
            first_bad = first_bad or "tolerance"
        ok, month = self._read_month()
        if not ok:
            first_bad = first_bad or "month"
        if first_bad is not None or value is None or tolerance is None:
            self._status(Text("Nothing saved: fix the field marked ✖.", style="bold"))
            focused = self.focused
            if not isinstance(focused, Input) or focused.id != f"te-{first_bad}":
                self.query_one(f"#te-{first_bad}", Input).focus()
            return None
        direction = self.query_one("#te-direction", DirectionToggle).value
        return _Form(value, direction, tolerance, month)

    def _fill(self, target: Target | None) -> None:
        """Show `target` in the fields (keep theirs); the month field is left as it is."""
        ok, month = self._read_month()
        month = month if ok else None
        value = target.value_for(month) if target is not None else None
        self.query_one("#te-value", Input).value = format_plain(value)
        self.query_one("#te-direction", DirectionToggle).value = (
            target.direction if target is not None else self.kpi.better)
        tolerance = target.tolerance if target is not None else DEFAULT_TOLERANCE
        self.query_one("#te-tolerance", Input).value = f"{tolerance:g}"
        for name in ("value", "tolerance"):
            self._field_error(name, None)

    # -- actions -------------------------------------------------------------
    def action_cancel(self) -> None:
        if self.busy:  # a save cannot be taken back half-way: wait for its outcome
            self._status(Text("Still saving… esc works once it is done.", style="bold"))
            return
        self.dismiss(EditResult(CANCELLED, self.kpi_id, None, None))

    def action_save(self) -> None:
        if self.busy:
            return
        form = self._read_form()
        if form is None:
            return
        if self.blocked is not None:
            # Maybe the file was fixed meanwhile: look again (the typed values stay).
            self._start("check", self._check)
            return
        args = {"value": form.value, "direction": form.direction, "tolerance": form.tolerance,
                "month": form.month}
        self._pending = ("set", args)
        self._start("set", self._job_set(args, force=False))

    def action_remove(self) -> None:
        if self.busy:
            return
        if self.blocked is not None:
            self._status(_error(f"Not removed: {self.blocked}"))
            return
        ok, month = self._read_month()
        if not ok:
            return
        base = self.base
        label = self.kpi.name
        if base is None:
            self._status(_error(f"{label} has no target to remove."))
            return
        if month is not None and month not in base.months:
            self._status(_error(f"{label} has no dated target for {month} to remove; clear the "
                                "month field to remove the whole target."))
            return
        if month is None:
            what = describe(base, self.kpi.unit, self.currency)
            question = (f"Remove the target of {label} ({what})"
                        + (f", including {len(base.months)} dated month(s)" if base.months else "")
                        + "? Its card will show 'no target'.")
        else:
            value = _fmt(base.months[month], self.kpi.unit, self.currency)
            question = f"Remove the {month} target of {label} ({value})? That month uses the base target again."

        def answered(yes: bool | None) -> None:
            if yes:
                args = {"month": month}
                self._pending = ("unset", args)
                self._start("unset", self._job_unset(args, force=False))
            else:
                self._status(Text("Not removed."))

        self.app.push_screen(ConfirmRemove(question), answered)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "te-save":
            self.action_save()
        elif event.button.id == "te-remove":
            self.action_remove()
        else:
            self.action_cancel()

    # -- the file work (thread workers) ---------------------------------------
    def _job_set(self, args: dict[str, Any], force: bool) -> Callable[[], Any]:
        store, kpi_id, base = self.store, self.kpi_id, self.base

        def job() -> Any:
            target = store.set(kpi_id, args["value"], direction=args["direction"],
                               tolerance=args["tolerance"], month=args["month"], base=base, force=force)
            return target, store.last_warning
        return job

    def _job_unset(self, args: dict[str, Any], force: bool) -> Callable[[], Any]:
        store, kpi_id, base = self.store, self.kpi_id, self.base

        def job() -> Any:
            removed = store.unset(kpi_id, month=args["month"], base=base, force=force)
            warning = store.last_warning if removed else None
            return removed, store.load().targets.get(kpi_id), warning
        return job

    def _check(self) -> Any:
        snap = self.store.load()
        return snap, self.store.writable()

    def _start(self, name: str, job: Callable[[], Any]) -> None:
        store = self.store

        def guarded() -> tuple[str, Any]:
            try:
                return "ok", job()
            except ConflictError as exc:
                return "error", (exc, None)
            except Exception as exc:  # shown in the modal; nothing typed is lost
                broken = store.load().error if isinstance(exc, TargetsError) else None
                return "error", (exc, broken)

        self.busy = True
        self.query_one("#te-save", Button).disabled = True
        self._status(Text("Removing…" if name == "unset" else "Checking the targets file…"
                          if name == "check" else "Saving…"))
        self.run_worker(guarded, name=name, group="target-editor", thread=True, exclusive=True,
                        exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "target-editor" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        event.stop()
        self.busy = False
        self._show_blocked()
        if event.state == WorkerState.ERROR:  # pragma: no cover - guarded() catches everything
            self._failed(Exception(str(worker.error)), None)
            return
        kind, payload = worker.result
        if kind == "error":
            self._failed(*payload)
        elif worker.name == "set":
            target, warning = payload
            self.dismiss(EditResult(SAVED, self.kpi_id, target, self._pending_month(), warning))
        elif worker.name == "unset":
            removed, after, warning = payload
            if removed:
                self.dismiss(EditResult(REMOVED, self.kpi_id, after, self._pending_month(), warning))
            else:
                self.base = after
                self._show_current()
                self._show_blocked()
                self._status(_error("Nothing removed: the file no longer has that target "
                                    "(someone else removed it); the current target is shown above."))
        elif worker.name == "check":
            snap, reason = payload
            if snap.error is not None or reason is not None:
                self.blocked = (broken_message(snap.error)
                                if snap.error is not None else f"Editing is disabled: {reason}")
                self._show_current()
                self._show_blocked()
                hint = ("fix the file and press enter again" if snap.error is not None
                        else "editing is disabled (see above)")
                self._status(_error(f"Not saved: {hint}. Your edit is kept in the form."))
            else:
                self.blocked = None
                self.base = snap.targets.get(self.kpi_id)
                self._show_current()
                self._show_blocked()
                self._status(_note("The targets file can be read and written again; the current "
                                   "target is shown above. Press enter to save your edit."))

    def _failed(self, exc: Exception, broken: str | None) -> None:
        if isinstance(exc, ConflictError):
            self._status(Text("Conflict: choose which target to keep.", style="bold"))
            self.app.push_screen(ConflictScreen(self.kpi, exc, self.base, self._pending_month(), self.currency),
                             lambda choice: self._resolve(choice, exc))
            return
        if isinstance(exc, ReadOnlyError):
            self.blocked = f"Editing is disabled: {exc}"
            self._show_blocked()
        elif broken is not None:
            self.blocked = broken_message(broken)
            self._show_current()
            self._show_blocked()
        what = "removed" if self._pending and self._pending[0] == "unset" else "saved"
        self._status(_error(f"Not {what}: {exc} Your edit is kept."))

    def _pending_month(self) -> str | None:
        return self._pending[1].get("month") if self._pending else None

    def _resolve(self, choice: str | None, conflict: ConflictError) -> None:
        if choice == "mine" and self._pending is not None:
            kind, args = self._pending
            job = self._job_set(args, force=True) if kind == "set" else self._job_unset(args, force=True)
            self._start(kind, job)
        elif choice == "theirs":
            self.base = conflict.theirs
            self._fill(conflict.theirs)
            self._show_current()
            self._show_blocked()
            self._status(_note("Kept theirs: the form shows the target now in the file; nothing "
                               "was saved. Esc closes, enter saves the form as shown."))
        else:
            self._status(Text("Nothing saved; your edit is still in the form (enter asks again).",
                              style="bold"))
