"""Fixtures for the workspace tests: the shipped data (fixed as-of), a tiny dataset with hostile names."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import polars as pl
import pytest

from revops_tui import session
from revops_tui.kpis.results import Filters
from revops_tui.tui.app import RevOpsApp

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config.toml"

# Names that look like markup or carry escape sequences: they must show literally.
HOSTILE_NAMES = ["[bold red]x[/]", "[@click=app.quit]y", "\x1b[31mred"]
HOSTILE_OWNER = "[b]Boss[/b] \x1b]0;pwned\x07"


def shipped_settings(**overrides):
    settings, _notes = session.settings_from_options(config=str(CONFIG))
    return settings.with_overrides(**overrides)


def make_app(settings=None, filters: Filters | None = None, **kwargs) -> RevOpsApp:
    """An app with a fixed clock and data label, so screenshots do not change between runs.

    No file watcher unless watch=True (the live tests turn it on)."""
    kwargs.setdefault("watch", False)
    app = RevOpsApp(settings or shipped_settings(), filters, [], clock="09:00:00", data_label="data", **kwargs)
    app.animation_level = "none"  # no tab-underline or scroll animations to wait for
    return app


async def wait_for(pilot, condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def wait_ready(pilot, quality: bool = True) -> None:
    """Numbers (and the quality checks) have arrived and nothing is loading."""
    app = pilot.app
    await wait_for(pilot, lambda: app.snapshot is not None and not app.loading
                   and (not quality or app.quality is not None or app.quality_error), what="the data")
    await pilot.pause()


async def wait_watching(pilot) -> None:
    """Numbers are up and the file watcher follows the files (it starts after the first frame, on
    a thread that shows no sign of being ready: half a second is ample)."""
    await wait_ready(pilot, quality=False)
    await pilot.pause(0.5)


async def wait_idle(pilot) -> None:
    """Every worker has finished (breakdowns, records)."""
    app = pilot.app
    await wait_for(pilot, lambda: not app.loading and all(w.is_finished for w in app.workers)
                   and getattr(app.screen, "_timer", None) is None, what="workers")
    await pilot.pause()


# The character a key name types (None: a key that types nothing); other names type themselves.
CHARACTERS = {"enter": "\r", "tab": "\t", "slash": "/", "space": " ", "backspace": None,
              "up": None, "down": None, "left": None, "right": None, "escape": None}


def send_burst(app, *keys: str) -> None:
    """Keys arriving together, as typed ahead or over SSH after a stall: all handed to the app's
    queue with no wait in between (Pilot's press() waits for the app after each key)."""
    from textual import events

    for key in keys:
        app._driver.send_message(events.Key(key, CHARACTERS.get(key, key)))


async def wait_screen(pilot, cls) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, cls), what=cls.__name__)
    await pilot.pause(0.1)  # the screen's resume (focus restore) runs after it becomes current


async def palette(pilot, query: str) -> None:
    """Run the palette's best hit for the query."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await wait_screen(pilot, CommandPalette)
    await pilot.press(*query)
    await wait_for(pilot, lambda: pilot.app.screen.query_one(CommandList).option_count > 0, what="hits")
    await pilot.pause(0.2)  # the search runs while typing: let the last one finish
    await pilot.press("enter")


@pytest.fixture(scope="session")
def hostile_data(tmp_path_factory) -> Path:
    """A small generated dataset where active customers and an owner have markup-looking names."""
    from revops_tui.demo import generate

    folder = tmp_path_factory.mktemp("hostile")
    generate(folder, customers=60, seed=11, months=24)
    settings = session.settings_from_options(data=str(folder), as_of="latest")[0]
    snap = session.run(settings)
    from revops_tui.kpis.drilldown import records, scope_of

    month = snap.results.months[-1]
    active = records(scope_of(snap), "mrr", month)["customer_id"].to_list()[: len(HOSTILE_NAMES)]
    customers = pl.read_parquet(folder / "customers.parquet")
    names = dict(zip(active, HOSTILE_NAMES))
    customers = customers.with_columns(
        name=pl.col("customer_id").replace_strict(names, default=pl.col("name"), return_dtype=pl.String)
    )
    customers.write_parquet(folder / "customers.parquet")
    deals = pl.read_parquet(folder / "opportunities.parquet")
    first_owner = deals["owner"].drop_nulls().sort()[0]
    deals = deals.with_columns(
        owner=pl.when(pl.col("owner") == first_owner).then(pl.lit(HOSTILE_OWNER)).otherwise(pl.col("owner"))
    )
    deals.write_parquet(folder / "opportunities.parquet")
    return folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test gets an empty results cache folder (never the user's own)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


_RUNS: dict = {}
_QUALITY: dict = {}


@pytest.fixture
def fast_load(monkeypatch):
    """Load and compute each (settings, filters) once per test session (the shipped data does not change).

    Each app still gets its own Snapshot object; only tests that never change the files use this.
    """
    import dataclasses

    from revops_tui.kpis import quality

    real_run, real_quality = session.run, quality.quality_report

    def run(settings, filters=None, cache=None, memo=None):
        key = (repr(settings), filters or Filters())  # Settings holds dicts: not hashable
        if key not in _RUNS:
            _RUNS[key] = real_run(settings, filters)
        return dataclasses.replace(_RUNS[key])

    def quality_report(frames, settings, as_of, problems=None):
        key = (repr(settings), as_of)
        if key not in _QUALITY:
            _QUALITY[key] = real_quality(frames, settings, as_of, problems=problems)
        return _QUALITY[key]

    monkeypatch.setattr(session, "run", run)
    monkeypatch.setattr(quality, "quality_report", quality_report)


@pytest.fixture
def run():
    """Run a coroutine (tests are plain functions; pytest-asyncio is not a dependency)."""
    return asyncio.run
