"""Targets in the workspace (issue 5) and live data (issue 6): Pilot tests on tmp configs.

Targets: status on the cards, `t` opens the editor and a save shows at once, read-only refuses
with a message, an outside edit of targets.toml shows within ~2 s, a broken file is a banner.
Live data: a rewritten table changes the MRR card; a truncated one keeps the last good numbers
with a banner naming the file, and the next good write clears it.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import polars as pl
from textual.widgets import Input

from revops_tui import session
from revops_tui.tui.screens.departments import DepartmentsScreen
from revops_tui.tui.screens.detail import DetailScreen
from revops_tui.tui.screens.help import HelpScreen
from revops_tui.tui.screens.target_editor import TargetEditor
from revops_tui.tui.widgets.header import AppHeader, Banner
from revops_tui.tui.widgets.keys_footer import KeysFooter
from revops_tui.tui.widgets.kpi_card import KpiCard

from .conftest import REPO, make_app, wait_for, wait_ready, wait_screen, wait_watching

SIZE = (120, 40)

# Shipped data, as of 2026-11-15: MRR 286,552 · ARR 3,438,624 · NRR 122.5%
TARGETS = """\
[mrr]
value = 280000

[arr]
value = 3500000

[nrr]
value = 150
"""


def write_config(folder: Path, data: Path, targets: str | None = TARGETS, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(f'data = "{data}"\nas_of = "2026-11-15"\nmonths = 13\n'
                      f'targets_file = "targets.toml"\n{extra}', encoding="utf-8")
    if targets is not None:
        (folder / "targets.toml").write_text(targets, encoding="utf-8")
    return config


def settings_for(config: Path, **overrides):
    return session.settings_from_options(config=str(config), **overrides)[0]


def card(app, kpi_id: str, pane: str = "overview") -> KpiCard:
    return app.screen_stack[0].query_one(f"#card-{pane}-{kpi_id}", KpiCard)


def target_part(app, kpi_id: str) -> str:
    """The card's target line, words single-spaced ("target $280.0k ✔ on track"; "tgt" on narrow cards)."""
    parts = [p for p in card(app, kpi_id).plain().split(" | ") if p.startswith(("target ", "tgt "))]
    return " ".join(parts[0].replace("tgt ", "target ").split()) if parts else ""


def banner_text(app) -> str:
    banner = app.screen.query_one(Banner)
    return banner.render().plain if banner.has_class("-shown") else ""


def test_cards_show_target_and_status(tmp_path, run):
    async def go():
        app = make_app(settings_for(write_config(tmp_path / "cfg", REPO / "data")))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            assert "target $280.0k ✔ on track" == target_part(app, "mrr")
            assert "target $3.50M ▲ at risk" == target_part(app, "arr")
            assert "target 150.0% ✖ off track" == target_part(app, "nrr")
            assert target_part(app, "grr") == ""  # no target set: no line
            # the detail screen: status in the title, the target line on the chart
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            title = str(app.screen.query_one("#detail-title").render())
            assert "target $280.0k ✔ on track" in title
            assert app.screen.query_one("#chart").data.target == 280000
    run(go())


def test_under_a_filter_a_sum_shows_its_target_as_company_wide(tmp_path, run):
    from revops_tui.kpis.results import Filters

    async def go():
        app = make_app(settings_for(write_config(tmp_path / "cfg", REPO / "data")))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            enterprise = Filters.of(segment=["Enterprise"])
            app.set_filters(enterprise)
            await wait_for(pilot, lambda: not app.loading and app.snapshot.results.filters == enterprise,
                           timeout=15, what="the Enterprise numbers")
            await pilot.pause(0.1)
            # Enterprise's MRR is a part of the company's $280k target: not compared, said so.
            mrr = card(app, "mrr").plain()
            assert "○ target is company-wide" in mrr or "○ company-wide target" in mrr, mrr
            assert "on track" not in mrr and "off track" not in mrr and "at risk" not in mrr
            # NRR is a rate: Enterprise's NRR is still held to the company's 150%.
            assert target_part(app, "nrr").startswith("target 150.0% ")
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            title = str(app.screen.query_one("#detail-title").render())
            assert "target $280.0k ○ company-wide, not compared" in title
            assert app.screen.query_one("#chart").data.target is None  # no company line on a part's chart
    run(go())


def test_t_opens_editor_and_save_updates_card(tmp_path, run):
    async def go():
        config = write_config(tmp_path / "cfg", REPO / "data")
        app = make_app(settings_for(config))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            assert "t Target" in app.screen.query_one(KeysFooter).plain()
            await pilot.press("t")
            await wait_screen(pilot, TargetEditor)
            editor = app.screen
            field = editor.query_one("#te-value", Input)
            field.value = "400k"
            await pilot.press("enter")
            await wait_screen(pilot, DepartmentsScreen)
            assert "target $400.0k ✖ off track" == target_part(app, "mrr")  # at once, no restart
            assert "value = 400000" in (tmp_path / "cfg" / "targets.toml").read_text()
            # in the detail screen: t opens the editor for that KPI; the history lists the change
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            history = str(app.screen.query_one("#target-history").render())
            assert "-> $400.0k" in history
            await pilot.press("t")
            await wait_screen(pilot, TargetEditor)
            assert app.screen.kpi_id == "mrr"
            await pilot.press("escape")
            await wait_screen(pilot, DetailScreen)
            await pilot.press("question_mark")
            await wait_screen(pilot, HelpScreen)
            assert "target" in app.screen.plain()
    run(go())


def test_read_only_says_why(tmp_path, run):
    async def go():
        config = write_config(tmp_path / "cfg", REPO / "data")
        app = make_app(settings_for(config, read_only=True))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            await pilot.press("t")
            await pilot.pause(0.2)
            assert not isinstance(app.screen, TargetEditor)
            messages = [n.message for n in app._notifications]
            assert any("Editing targets is disabled" in m and "read-only" in m for m in messages)
            assert target_part(app, "mrr").startswith("target $280.0k")  # targets still shown
    run(go())


def test_outside_edit_shows_within_two_seconds(tmp_path, run):
    async def go():
        config = write_config(tmp_path / "cfg", REPO / "data")
        app = make_app(settings_for(config))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            assert target_part(app, "mrr").endswith("✔ on track")
            (tmp_path / "cfg" / "targets.toml").write_text(TARGETS.replace("280000", "500000"))
            start = time.monotonic()
            await wait_for(pilot, lambda: "$500.0k" in target_part(app, "mrr"), timeout=5,
                           what="the outside edit")
            assert time.monotonic() - start < 2.5
            assert target_part(app, "mrr").endswith("✖ off track")
    run(go())


def test_an_unusable_target_entry_written_meanwhile_is_shown(tmp_path, run):
    """A value that is not a number (the CLI warns; `check` refuses): the workspace says so in the
    banner and in that KPI's editor, instead of silently showing 'no target'."""
    async def go():
        config = write_config(tmp_path / "cfg", REPO / "data")
        app = make_app(settings_for(config))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            assert banner_text(app) == ""
            (tmp_path / "cfg" / "targets.toml").write_text(TARGETS + '\n[win_rate]\nvalue = "abc"\n')
            await wait_for(pilot, lambda: "target not used" in banner_text(app), timeout=5, what="the banner")
            assert "[win_rate] value must be a number, found 'abc'" in banner_text(app)
            assert any("[win_rate]" in str(n.message) for n in app._notifications)
            app.edit_target("win_rate")
            await wait_screen(pilot, TargetEditor)
            await pilot.pause(0.2)
            current = str(app.screen.query_one("#te-current").render())
            assert "not used" in current and "found 'abc'" in current
    run(go())


def test_broken_targets_file_banner_and_app_works(tmp_path, run):
    async def go():
        config = write_config(tmp_path / "cfg", REPO / "data", targets="[mrr]\nvalue = = 3\n")
        app = make_app(settings_for(config))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            text = banner_text(app)
            assert "targets.toml:2" in text and "not valid TOML" in text
            assert card(app, "mrr").plain().startswith("MRR | $")  # numbers, no target line
            assert target_part(app, "mrr") == ""
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)  # the app keeps working
            assert "targets.toml:2" in banner_text(app)
            # fixing the file clears the banner and shows the targets
            (tmp_path / "cfg" / "targets.toml").write_text(TARGETS)
            await wait_for(pilot, lambda: "targets.toml" not in banner_text(app), timeout=5, what="fix")
            await pilot.press("escape")
            await wait_screen(pilot, DepartmentsScreen)
            assert target_part(app, "mrr").startswith("target $280.0k")
    run(go())


# ----------------------------------------------------------------------------- live data


def replace_atomically(frame: pl.DataFrame, path: Path) -> None:
    tmp = path.with_name(".tmp-" + path.name)
    frame.write_parquet(tmp)
    os.replace(tmp, path)


def header_text(app) -> str:
    return app.screen.query_one(AppHeader).render().plain


def test_live_rewrite_changes_card_and_truncated_file_keeps_numbers(tmp_path, run):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    config = write_config(tmp_path / "cfg", data)

    async def go():
        app = make_app(settings_for(config), watch=True)
        app.clock = None  # real times in the header
        async with app.run_test(size=SIZE) as pilot:
            await wait_watching(pilot)
            before = card(app, "mrr").plain()
            assert "changed " in header_text(app) and "loaded " in header_text(app)
            # drill in: the reload keeps the detail screen and the picked month
            await pilot.press("enter")
            await wait_screen(pilot, DetailScreen)
            await pilot.press("up")
            await pilot.pause(0.2)
            month = app.screen.month
            subs = pl.read_parquet(data / "subscriptions.parquet")
            replace_atomically(subs.head(subs.height // 2), data / "subscriptions.parquet")
            await wait_for(pilot, lambda: card(app, "mrr").plain() != before, timeout=8, what="the new MRR")
            after = card(app, "mrr").plain()
            assert isinstance(app.screen, DetailScreen) and app.screen.month == month
            # a truncated write: the last good numbers stay, the banner names the file
            raw = (data / "subscriptions.parquet").read_bytes()
            (data / "subscriptions.parquet").write_bytes(raw[: len(raw) // 2])
            await wait_for(pilot, lambda: "subscriptions.parquet" in banner_text(app), timeout=8,
                           what="the banner")
            assert card(app, "mrr").plain() == after
            assert "last good numbers" in banner_text(app)
            assert isinstance(app.screen, DetailScreen)
            # the next good write clears it
            replace_atomically(subs, data / "subscriptions.parquet")
            await wait_for(pilot, lambda: banner_text(app) == "", timeout=8, what="the banner to clear")
            assert card(app, "mrr").plain() == before
    run(go())


def test_cached_results_first_then_confirmed(tmp_path, run, monkeypatch):
    import threading

    config = write_config(tmp_path / "cfg", REPO / "data")
    settings = settings_for(config)
    from revops_tui.cache import ResultsCache

    cache = ResultsCache(tmp_path / "cache")
    session.run(settings, cache=cache)  # an earlier run saved these results
    gate = threading.Event()
    real_run = session.run

    def slow_run(settings, filters=None, cache=None, memo=None):
        gate.wait(20)  # the data is slow to read: the cached numbers show meanwhile
        return real_run(settings, filters, cache=cache, memo=memo)

    monkeypatch.setattr(session, "run", slow_run)

    async def go():
        app = make_app(settings, cache=ResultsCache(tmp_path / "cache"))  # a restart: a fresh memory
        seen: list[bool] = []
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.snapshot is not None, what="numbers")
            seen.append(app.cached_view and "cached, confirming" in header_text(app))
            assert card(app, "mrr").plain().startswith("MRR | $286.6k")
            gate.set()
            await wait_ready(pilot, quality=False)
            assert seen == [True]  # the cached numbers came first, marked as such
            assert not app.cached_view and "cached" not in header_text(app)
            assert card(app, "mrr").plain().startswith("MRR | $286.6k")
        assert app.snapshot.tables is not None
    run(go())


def test_a_restart_after_one_export_reruns_only_that_tables_queries(tmp_path, run):
    # The workspace saves the engine's small results beside the results cache; after a restart
    # with a new tickets export only the tickets queries run, and the numbers are exact.
    from revops_tui.cache import ResultsCache

    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    settings = settings_for(write_config(tmp_path / "cfg", data))

    async def first():
        app = make_app(settings, cache=ResultsCache(tmp_path / "cache"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot)
            await wait_for(pilot, lambda: any((tmp_path / "cache" / "memo").glob("*.json")), what="the memo file")
        return app.snapshot.results["support_tickets"].series
    before = run(first())

    tickets = pl.read_parquet(data / "tickets.parquet")  # the new export lacks October's tickets
    tickets.filter(pl.col("created_at").dt.strftime("%Y-%m") != "2026-10").write_parquet(data / "tickets.parquet")

    async def restart():
        app = make_app(settings, cache=ResultsCache(tmp_path / "cache"))  # a fresh memory
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot)
            ran = {name for _, name in app._memo.missed}
            assert ran == {"tickets", "resolution", ("rows", "tickets"),
                           ("consistency", "tickets", "customer_id", "customer exists"),
                           ("uniqueness", "tickets", "ticket_id", "unique key")}
            assert app._memo.hits > 30  # everything else came from the saved results
            return app.snapshot.results
    after = run(restart())
    fresh = session.run(settings).results  # from scratch, no memo
    assert after["support_tickets"].series == fresh["support_tickets"].series
    assert dict(after["support_tickets"].series)["2026-10"] == 0 != dict(before)["2026-10"]
    assert after["mrr"].series == fresh["mrr"].series and after.quality.checks == fresh.quality.checks


def test_config_change_is_reread_and_a_broken_one_keeps_the_old_settings(tmp_path, run):
    config = write_config(tmp_path / "cfg", REPO / "data")

    async def go():
        app = make_app(settings_for(config), watch=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_watching(pilot)
            assert card(app, "mrr").plain().startswith("MRR | $286.6k")
            config.write_text(config.read_text(encoding="utf-8") + 'currency = "EUR"\n', encoding="utf-8")
            await wait_for(pilot, lambda: card(app, "mrr").plain().startswith("MRR | €286.6k"), timeout=10,
                           what="the re-read currency")
            assert app.settings.currency == "EUR"
            # a broken config: said so, and the settings in use stay
            config.write_text('data = "unclosed\n', encoding="utf-8")
            await wait_for(pilot, lambda: any(n.title == "Config not applied" for n in app._notifications),
                           timeout=10, what="the config error")
            message = next(n.message for n in app._notifications if n.title == "Config not applied")
            assert str(config) in message and "previous settings stay" in message
            assert app.settings.currency == "EUR"
            assert card(app, "mrr").plain().startswith("MRR | €286.6k")
    run(go())


def test_refresh_seconds_reloads_without_a_file_watcher(tmp_path, run):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    config = write_config(tmp_path / "cfg", data, extra="refresh_seconds = 1\n")

    async def go():
        app = make_app(settings_for(config), watch=False)  # as for an object store: nothing to watch
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            before = card(app, "mrr").plain()
            subs = pl.read_parquet(data / "subscriptions.parquet")
            replace_atomically(subs.head(subs.height // 2), data / "subscriptions.parquet")
            await wait_for(pilot, lambda: card(app, "mrr").plain() != before, timeout=10,
                           what="the timed reload")
    run(go())


def test_a_watcher_event_for_the_files_a_reload_is_reading_does_not_restart_it(tmp_path, run, monkeypatch):
    # `r` pressed after an export landed, then the watcher reports that export: the reload under
    # way reads those very files, so it goes on; a file changed after it started does restart it.
    import threading

    from revops_tui.live import Touched

    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    config = write_config(tmp_path / "cfg", data)
    gate, real_run = threading.Event(), session.run

    def gated_run(settings, filters=None, cache=None, memo=None):
        gate.wait(20)
        return real_run(settings, filters, cache=cache, memo=memo)

    async def go():
        app = make_app(settings_for(config))
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot, quality=False)
            monkeypatch.setattr(session, "run", gated_run)
            app.action_reload()
            generation = app.generation
            app._touched(Touched(data=True))
            assert app.generation == generation  # the same files: the reload goes on
            stamp = time.time() + 5
            os.utime(data / "usage.parquet", (stamp, stamp))
            app._touched(Touched(data=True))
            assert app.generation == generation + 1  # a newer file: read again
            gate.set()
            await wait_ready(pilot, quality=False)
            assert not app.loading
    run(go())


def test_a_view_change_while_a_file_is_broken_shows_only_numbers_of_the_good_files(tmp_path, run):
    """A truncated file keeps the last good numbers; a filter picked meanwhile shows that view of
    the same good files when it is known (banner kept), else its KPIs are unavailable: never
    numbers read through the old file's metadata, and nothing is cached under the broken file."""
    from revops_tui.cache import ResultsCache
    from revops_tui.kpis.results import Filters

    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    config = write_config(tmp_path / "cfg", data)
    settings = settings_for(config)
    cache = ResultsCache(tmp_path / "cache")
    enterprise, latam = Filters.of(segment=["Enterprise"]), Filters.of(region=["LATAM"])

    async def settle(pilot, app, filters):
        app.set_filters(filters)
        await wait_for(pilot, lambda: not app.loading and app.snapshot.results.filters == filters,
                       timeout=15, what=f"results for {filters.as_dict()}")
        await pilot.pause(0.1)

    async def go():
        app = make_app(settings, watch=True, cache=cache)
        async with app.run_test(size=SIZE) as pilot:
            await wait_watching(pilot)
            everyone = card(app, "mrr").plain()
            await settle(pilot, app, enterprise)
            only_enterprise = card(app, "mrr").plain()
            assert only_enterprise != everyone
            await settle(pilot, app, Filters())
            raw = (data / "subscriptions.parquet").read_bytes()
            (data / "subscriptions.parquet").write_bytes(raw[:3000])
            await wait_for(pilot, lambda: "last good numbers" in banner_text(app), timeout=8, what="the banner")
            # a view of the good files already computed: shown, and the banner stays
            await settle(pilot, app, enterprise)
            assert card(app, "mrr").plain() == only_enterprise
            assert "subscriptions.parquet" in banner_text(app) and "last good numbers" in banner_text(app)
            assert session.cached(settings, enterprise, cache) is None  # not under the broken file
            # back to everyone: the last good numbers again
            await settle(pilot, app, Filters())
            assert card(app, "mrr").plain() == everyone and "last good numbers" in banner_text(app)
            # a view never computed: its KPIs cannot be read now, and the banner says why
            await settle(pilot, app, latam)
            assert "unavailable" in card(app, "mrr").plain()
            assert "subscriptions.parquet" in banner_text(app)
            # the next good write: the LATAM numbers
            replace_atomically(pl.read_parquet(REPO / "data" / "subscriptions.parquet"), data / "subscriptions.parquet")
            await wait_for(pilot, lambda: "unavailable" not in card(app, "mrr").plain() and banner_text(app) == "",
                           timeout=10, what="the LATAM numbers")
    run(go())
