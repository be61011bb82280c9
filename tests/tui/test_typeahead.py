"""Keys typed ahead (arriving together, as over SSH after a stall) end where the same keys typed
slowly end (revops_tui/tui/typeahead.py and the screens' keys_wait).

Each sequence runs twice on fresh apps: pressed one at a time, waiting for the app to settle
after each key, and sent as one burst with no wait in between; the end states must be equal.
Before the typeahead change each of these sequences ended elsewhere as a burst (the character
typed into a dialog's field lost, a Tab undone, the search query taking the next key, a sort or a
breakdown row applied to rows still loading).
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from .conftest import make_app, send_burst, wait_idle, wait_ready

pytestmark = pytest.mark.usefixtures("fast_load")

SEQUENCES = {
    "target value": (["t", "backspace", "backspace", "9"], []),
    "target tab and toggle": (["t", "tab", "l", "tab", "backspace", "7"], []),
    "period as-of": (["p", "backspace", "backspace", "0", "1"], []),
    "records search then next": (["slash", "a", "c", "enter", "n"], ["enter", "enter"]),
    "records open then sort": (["enter", "right", "s", "s"], ["enter"]),
    "breakdown row of a new month": (["up", "tab", "down", "enter"], ["enter", "d"]),
}


def _state(app) -> list:
    """What a user would see of each screen: its kind, the focus, fields, tables and requests."""
    out = []
    for screen in app.screen_stack:
        focused = screen.focused
        entry = [type(screen).__name__, getattr(focused, "id", None)]
        entry += [(w.id, w.value) for w in screen.query(Input) if w.id]
        entry += [(w.id, w.cursor_row, w.cursor_column) for w in screen.query(DataTable) if w.id]
        for name in ("kpi_id", "month", "dimension", "direction"):
            entry.append((name, getattr(screen, name, None)))
        request = getattr(screen, "request", None)
        if request is not None:
            entry.append(("request", request.dimension, request.value))
        table = screen.query("#records").first() if screen.query("#records") else None
        if table is not None:
            entry.append(("records", table.query, table.sort_column, table.sort_descending))
        out.append(entry)
    return out


async def _run(keys: list[str], setup: list[str], burst: bool) -> list:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        for key in setup:
            await pilot.press(key)
            await wait_idle(pilot)
            await pilot.pause(0.15)
        if burst:
            send_burst(app, *keys)
            await pilot.pause(0.3)
        else:
            for key in keys:
                await pilot.press(key)
                await wait_idle(pilot)
                await pilot.pause(0.15)
        await wait_idle(pilot)
        await pilot.pause(0.3)
        return _state(app)


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_a_burst_ends_where_slow_typing_ends(run, name):
    keys, setup = SEQUENCES[name]
    slow = run(_run(keys, setup, burst=False))
    fast = run(_run(keys, setup, burst=True))
    assert fast == slow
