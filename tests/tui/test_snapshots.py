"""Snapshot tests (pytest-textual-snapshot) on the shipped data with its fixed as-of day.

Update after a deliberate change of the screens: pytest --snapshot-update tests/tui/test_snapshots.py
(and look at the new SVGs in tests/tui/__snapshots__/).
"""

from __future__ import annotations

import pytest

from revops_tui.tui.screens.detail import DetailScreen
from revops_tui.tui.screens.help import HelpScreen
from revops_tui.tui.screens.records import RecordsScreen

from .conftest import make_app, wait_idle, wait_ready, wait_screen

SIZES = [(80, 24), (120, 40)]
SIZE_IDS = ["80x24", "120x40"]


pytestmark = pytest.mark.usefixtures("fast_load")


def ready_then(*keys: str, screen=None):
    async def run_before(pilot) -> None:
        await wait_ready(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        if screen is not None:
            await wait_screen(pilot, screen)
        await wait_idle(pilot)
        await pilot.pause(0.2)
    return run_before


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("pane_key", ["1", "2", "3", "4", "5"],
                         ids=["overview", "marketing", "sales", "customer_success", "data_quality"])
def test_pane(snap_compare, pane_key, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=ready_then(pane_key))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_detail_mrr(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=ready_then("enter", "up", screen=DetailScreen))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_records_mrr_expansion(snap_compare, size):
    keys = ("enter", "up", "tab", "down", "down", "enter")
    assert snap_compare(make_app(), terminal_size=size, run_before=ready_then(*keys, screen=RecordsScreen))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_help(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=ready_then("question_mark", screen=HelpScreen))
