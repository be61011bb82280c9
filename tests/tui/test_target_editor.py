"""The target editor modal (issue 5): Pilot tests on a tiny harness app, and two snapshots.

Update the snapshots after a deliberate change of the modal:
    pytest --snapshot-update tests/tui/test_target_editor.py
(and look at the new SVGs in tests/tui/__snapshots__/test_target_editor/).
"""

from __future__ import annotations

import asyncio
import json
import time
import tomllib
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Button, Input, Static

from revops_tui.targets.store import TargetStore
from revops_tui.tui.screens.target_editor import (
    CANCELLED,
    REMOVED,
    SAVED,
    ConfirmRemove,
    ConflictScreen,
    DirectionToggle,
    EditResult,
    TargetEditor,
    history_lines,
)

SIZE = (80, 24)

MRR = """\
[mrr]
value = 120000
direction = "higher"
tolerance = 5
updated_at = "2026-11-20T14:02:00Z"
updated_by = "alice"

[mrr.months]
2026-12 = 130000
"""


class EditorHarness(App[None]):
    """Pushes the editor on mount and records what it dismisses with."""

    def __init__(self, store: TargetStore, kpi_id: str = "mrr", month: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.kpi_id = kpi_id
        self.month = month
        self.results: list[EditResult] = []

    def on_mount(self) -> None:
        self.push_screen(TargetEditor(self.kpi_id, self.store, self.month), self.results.append)


def make(tmp_path: Path, content: str | None = MRR, **kwargs) -> tuple[EditorHarness, Path]:
    path = tmp_path / "targets.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    store = TargetStore(path, user="tester", read_only=kwargs.pop("read_only", False))
    return EditorHarness(store, **kwargs), path


def doc(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


async def wait_for(pilot, condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def wait_editor(pilot) -> TargetEditor:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TargetEditor), "the editor")
    await pilot.pause()
    return pilot.app.screen


async def wait_idle(pilot) -> None:
    """The editor's save / check worker has finished."""
    await wait_for(pilot, lambda: not (isinstance(pilot.app.screen, TargetEditor) and pilot.app.screen.busy),
                   "the save")
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------- saving


def test_valid_value_saves(tmp_path):
    app, path = make(tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            assert editor.base is not None and editor.base.value == 120000
            assert editor.query_one("#te-value", Input).value == "120000"  # prefilled, selected
            await type_text(pilot, "130k")
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    result = app.results[0]
    assert result.action == SAVED and result.changed
    assert result.target is not None and result.target.value == 130000
    table = doc(path)["mrr"]
    assert table["value"] == 130000
    assert table["direction"] == "higher" and table["tolerance"] == 5
    assert table["months"] == {"2026-12": 130000}  # dated targets kept
    assert table["updated_by"] == "tester"


@pytest.mark.parametrize(
    ("kpi_id", "typed", "expected"),
    [
        ("mrr", "12000", 12000),
        ("mrr", "12,000", 12000),
        ("mrr", "12k", 12000),
        ("mrr", "1.5M", 1_500_000),
        ("win_rate", "7.5%", 7.5),
    ],
)
def test_each_value_syntax(tmp_path, kpi_id, typed, expected):
    app, path = make(tmp_path, content=None, kpi_id=kpi_id)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            assert editor.base is None
            assert editor.query_one("#te-value", Input).value == ""
            await type_text(pilot, typed)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    assert app.results[0].action == SAVED
    table = doc(path)[kpi_id]
    assert table["value"] == expected
    assert table["tolerance"] == 5  # the default
    from revops_tui.kpis.catalog import CATALOG
    assert table["direction"] == CATALOG[kpi_id].better  # the KPI's default


def test_invalid_value_shows_inline_message_and_saves_nothing(tmp_path):
    app, path = make(tmp_path)
    before = path.read_bytes()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            await type_text(pilot, "abc")
            await pilot.press("enter")
            await pilot.pause(0.1)
            message = text_of(editor, "#te-value-error")
            assert "value: 'abc' is not a number" in message
            assert message.startswith("✖")  # readable without colour
            assert editor.query_one("#te-value", Input).value == "abc"  # the typed text stays
            assert pilot.app.screen is editor  # still open
            # the modal fits the 80x24 terminal without scrolling
            box = editor.query_one("#te-box")
            assert box.region.y >= 0 and box.region.bottom <= SIZE[1]
            assert box.max_scroll_y == 0

    run(scenario())
    assert app.results == []
    assert path.read_bytes() == before
    assert not (tmp_path / "targets-history.jsonl").exists()


def test_out_of_range_value_is_refused_inline(tmp_path):
    app, path = make(tmp_path)  # the editor of MRR: a target is at least 0
    before = path.read_bytes()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            await type_text(pilot, "-5")
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert "a target for MRR must be at least 0, not -5" in text_of(editor, "#te-value-error")
            assert pilot.app.screen is editor

    run(scenario())
    assert app.results == [] and path.read_bytes() == before


def test_invalid_tolerance_and_month(tmp_path):
    app, path = make(tmp_path)
    before = path.read_bytes()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            await pilot.press("tab", "tab")  # value -> direction -> tolerance
            assert pilot.app.focused.id == "te-tolerance"
            await type_text(pilot, "-3")
            await pilot.press("tab")
            await type_text(pilot, "2026-13")
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert "tolerance: tolerance must be a percentage >= 0" in text_of(editor, "#te-tolerance-error")
            assert "month: month must be YYYY-MM" in text_of(editor, "#te-month-error")
            assert text_of(editor, "#te-value-error") == ""
            assert pilot.app.focused.id == "te-tolerance"  # the first bad field

    run(scenario())
    assert app.results == [] and path.read_bytes() == before


def test_escape_cancels(tmp_path):
    app, path = make(tmp_path)
    before = path.read_bytes()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_editor(pilot)
            await type_text(pilot, "999")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    assert app.results == [EditResult(CANCELLED, "mrr", None, None)]
    assert not app.results[0].changed
    assert path.read_bytes() == before


def test_direction_and_enter_from_the_direction_field(tmp_path):
    app, path = make(tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            await pilot.press("tab")
            assert isinstance(pilot.app.focused, DirectionToggle)
            await pilot.press("right")
            assert editor.query_one(DirectionToggle).value == "lower"
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    assert app.results[0].action == SAVED
    assert doc(path)["mrr"]["direction"] == "lower"
    assert doc(path)["mrr"]["value"] == 120000


# ---------------------------------------------------------------- months


def test_month_argument_writes_a_dated_target(tmp_path):
    app, path = make(tmp_path, month="2027-01")

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            assert editor.query_one("#te-month", Input).value == "2027-01"
            # no dated target for 2027-01 yet: the base value is prefilled
            assert editor.query_one("#te-value", Input).value == "120000"
            await type_text(pilot, "140k")
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    result = app.results[0]
    assert result.action == SAVED and result.month == "2027-01"
    table = doc(path)["mrr"]
    assert table["value"] == 120000
    assert table["months"] == {"2026-12": 130000, "2027-01": 140000}


def test_month_typed_in_the_field(tmp_path):
    app, path = make(tmp_path, content=None)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_editor(pilot)
            await type_text(pilot, "50k")
            await pilot.press("tab", "tab", "tab")
            assert pilot.app.focused.id == "te-month"
            await type_text(pilot, "2027-3")
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    table = doc(path)["mrr"]
    assert "value" not in table
    assert table["months"] == {"2027-03": 50000}


# ---------------------------------------------------------------- removing


def test_d_and_confirm_removes(tmp_path):
    app, path = make(tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            await pilot.press("d")  # focus is in the value field: d still means remove
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmRemove), "the confirmation")
            assert "Remove the target of MRR ($120,000" in str(pilot.app.screen.query_one("#tc-question").render())
            assert "d" not in editor.query_one("#te-value", Input).value
            await pilot.press("y")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    result = app.results[0]
    assert result.action == REMOVED and result.target is None and result.changed
    assert "mrr" not in doc(path)
    entry = json.loads((tmp_path / "targets-history.jsonl").read_text().splitlines()[-1])
    assert entry["action"] == "unset" and entry["old"] == 120000


def test_d_then_keep_removes_nothing(tmp_path):
    app, path = make(tmp_path)
    before = path.read_bytes()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmRemove), "the confirmation")
            await pilot.press("n")
            await wait_for(pilot, lambda: pilot.app.screen is editor, "the editor again")
            assert "Not removed" in text_of(editor, "#te-status")

    run(scenario())
    assert app.results == [] and path.read_bytes() == before


def test_remove_one_month_via_the_button(tmp_path):
    app, path = make(tmp_path, month="2026-12")

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            assert editor.query_one("#te-value", Input).value == "130000"  # the dated value
            editor.query_one("#te-remove", Button).focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmRemove), "the confirmation")
            assert "Remove the 2026-12 target of MRR" in str(pilot.app.screen.query_one("#tc-question").render())
            await pilot.press("enter")  # the focused "Remove" button
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    result = app.results[0]
    assert result.action == REMOVED and result.month == "2026-12"
    assert result.target is not None and result.target.value == 120000 and result.target.months == {}
    assert doc(path)["mrr"]["value"] == 120000 and "months" not in doc(path)["mrr"]


def test_nothing_to_remove(tmp_path):
    app, path = make(tmp_path, content=None)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            assert editor.query_one("#te-remove", Button).disabled
            await pilot.press("d")
            await pilot.pause()
            assert pilot.app.screen is editor
            assert "MRR has no target to remove" in text_of(editor, "#te-status")

    run(scenario())
    assert app.results == [] and not path.exists()


# ---------------------------------------------------------------- conflicts


async def _conflict(pilot, app, path) -> TargetEditor:
    editor = await wait_editor(pilot)
    TargetStore(path, user="bob").set("mrr", 150000)  # someone else, after the modal opened
    await type_text(pilot, "125k")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen), "the conflict")
    body = str(pilot.app.screen.query_one("#tx-text").render())
    assert "changed by bob" in body
    theirs, mine, opened = (body.split(label, 1)[1].split("\n")[1].strip()
                            for label in ("Theirs (in the file now", "Mine (this edit)", "When you opened it"))
    assert theirs.startswith("$150,000 · 1 dated month(s) · higher is better")
    assert mine.startswith("$125,000 · 1 dated month(s) · higher is better")
    assert opened.startswith("$120,000 · 1 dated month(s) · higher is better")
    return editor


def test_conflict_keep_mine(tmp_path):
    app, path = make(tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await _conflict(pilot, app, path)
            await pilot.press("m")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    assert app.results[0].action == SAVED
    assert doc(path)["mrr"]["value"] == 125000


def test_conflict_keep_theirs(tmp_path):
    app, path = make(tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await _conflict(pilot, app, path)
            before = path.read_bytes()
            await pilot.press("t")
            await wait_for(pilot, lambda: pilot.app.screen is editor, "the editor again")
            await pilot.pause()
            assert editor.query_one("#te-value", Input).value == "150000"  # the form shows theirs
            assert editor.base is not None and editor.base.value == 150000
            assert "Kept theirs" in text_of(editor, "#te-status")
            assert "$150,000" in text_of(editor, "#te-current")
            assert path.read_bytes() == before  # nothing saved
            assert app.results == []
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    assert app.results[0].action == CANCELLED
    assert doc(path)["mrr"]["value"] == 150000


# ---------------------------------------------------------------- broken and read-only files


def test_broken_file_refuses_saving_and_keeps_the_edit(tmp_path):
    app, path = make(tmp_path, content="[mrr]\nvalue = 120000\nbroken = = 3\n")
    before = path.read_bytes()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            banner = text_of(editor, "#te-banner")
            assert "Saving is refused: the targets file cannot be read" in banner
            assert "targets.toml:3" in banner  # file and line
            assert editor.query_one("#te-save", Button).disabled
            assert editor.query_one("#te-remove", Button).disabled
            assert "unknown" in text_of(editor, "#te-current")
            await type_text(pilot, "130k")
            await pilot.press("enter")
            await wait_idle(pilot)
            assert "Not saved" in text_of(editor, "#te-status")
            assert editor.query_one("#te-value", Input).value == "130k"
            assert path.read_bytes() == before
            await pilot.press("d")
            await pilot.pause()
            assert pilot.app.screen is editor and "Not removed" in text_of(editor, "#te-status")
            # the file is fixed meanwhile: enter checks again, then saves
            path.write_text(MRR, encoding="utf-8")
            await pilot.press("enter")
            await wait_idle(pilot)
            assert editor.blocked is None and not editor.query_one("#te-save", Button).disabled
            assert "$120,000" in text_of(editor, "#te-current")
            assert editor.query_one("#te-value", Input).value == "130k"
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    assert app.results[0].action == SAVED
    assert doc(path)["mrr"]["value"] == 130000


def test_file_broken_after_opening_keeps_the_edit(tmp_path):
    app, path = make(tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            path.write_text("mrr = [\n", encoding="utf-8")
            await type_text(pilot, "130k")
            await pilot.press("enter")
            await wait_idle(pilot)
            assert "Not saved" in text_of(editor, "#te-status")
            assert "not valid TOML" in text_of(editor, "#te-status")
            assert "Saving is refused" in text_of(editor, "#te-banner")
            assert editor.query_one("#te-value", Input).value == "130k"

    run(scenario())
    assert app.results == []
    assert path.read_text() == "mrr = [\n"


def test_read_only_flag_disables_saving(tmp_path):
    app, path = make(tmp_path, read_only=True)
    before = path.read_bytes()

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await wait_editor(pilot)
            assert "Editing is disabled: read-only mode" in text_of(editor, "#te-banner")
            assert "$120,000" in text_of(editor, "#te-current")  # the target is still shown
            assert editor.query_one("#te-save", Button).disabled
            assert editor.query_one("#te-remove", Button).disabled
            await type_text(pilot, "130k")
            await pilot.press("enter")
            await wait_idle(pilot)
            assert "Not saved: editing is disabled" in text_of(editor, "#te-status")
            assert editor.query_one("#te-value", Input).value == "130k"
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.results, "the result")

    run(scenario())
    assert app.results[0].action == CANCELLED
    assert path.read_bytes() == before


def test_read_only_folder(tmp_path):
    import os

    folder = tmp_path / "shared"
    folder.mkdir()
    app, path = make(folder)
    os.chmod(folder, 0o555)
    try:
        async def scenario():
            async with app.run_test(size=SIZE) as pilot:
                editor = await wait_editor(pilot)
                assert "is read-only" in text_of(editor, "#te-banner")
                assert editor.query_one("#te-save", Button).disabled

        run(scenario())
    finally:
        os.chmod(folder, 0o755)


# ---------------------------------------------------------------- history


def test_history_lines_newest_first(tmp_path):
    store = TargetStore(tmp_path / "targets.toml", user="tester")
    entries = [
        {"at": "2026-11-20T14:02:09Z", "by": "alice", "kpi": "mrr", "month": None, "action": "set",
         "old": 120000, "new": 130000},
        {"at": "2026-11-21T08:30:00Z", "by": "bob", "kpi": "win_rate", "month": None, "action": "set",
         "old": None, "new": 25},
        {"at": "2026-11-22T09:00:00Z", "by": "carol\x1b[31m", "kpi": "mrr", "month": "2026-12",
         "action": "set", "old": None, "new": 140000},
        {"at": "2026-11-23T10:15:00Z", "by": "dave", "kpi": "mrr", "month": None, "action": "unset",
         "old": 130000, "new": None},
    ]
    store.history_path.write_text("".join(json.dumps(e) + "\n" for e in entries) + "not json\n")
    assert history_lines(store, "mrr", "currency", "USD") == [
        "2026-11-23 10:15 dave: $130.0k -> removed",
        "2026-11-22 09:00 carol\\x1b[31m: none -> $140.0k for 2026-12",
        "2026-11-20 14:02 alice: $120.0k -> $130.0k",
    ]
    assert history_lines(store, "win_rate", "%") == ["2026-11-21 08:30 bob: none -> 25.0%"]
    assert history_lines(store, "mrr", "currency", limit=1) == ["2026-11-23 10:15 dave: $130.0k -> removed"]
    assert history_lines(store, "cac", "currency") == []


# ---------------------------------------------------------------- snapshots


def _typed(*keys: str):
    async def run_before(pilot) -> None:
        await wait_editor(pilot)
        await pilot.press(*keys)
        await wait_idle(pilot)
        await pilot.pause(0.1)
    return run_before


def test_snapshot_valid_input(snap_compare, tmp_path):
    app, _path = make(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=_typed(*"130k"))


def test_snapshot_inline_error(snap_compare, tmp_path):
    app, _path = make(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=_typed(*"abc", "enter"))


def test_conflict_back_keeps_the_edit(tmp_path):
    app, path = make(tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            editor = await _conflict(pilot, app, path)
            await pilot.press("escape")  # neither: back to the form
            await wait_for(pilot, lambda: pilot.app.screen is editor, "the editor again")
            assert editor.query_one("#te-value", Input).value == "125k"
            assert "Nothing saved" in text_of(editor, "#te-status")

    run(scenario())
    assert app.results == []
    assert doc(path)["mrr"]["value"] == 150000
