"""The workspace App: bindings, workers, screen stack, palette provider.

Data flows one way: the App owns the settings, the filters and the current
`Snapshot` (tables + results); workers compute snapshots off the main thread
and the App hands each new one to the screens (`data_changed()`), which only
render what they are handed.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Iterable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import get_current_worker

from revops_tui import session
from revops_tui.config import Settings
from revops_tui.kpis.results import Filters
from revops_tui.tui.commands import RevOpsCommands
from revops_tui.tui.screens.departments import DepartmentsScreen
from revops_tui.tui.screens.help import HelpScreen
from revops_tui.tui.widgets.header import AppHeader, Banner

FILTER_NAMES = ("segment", "region", "channel", "owner")


@dataclass
class HeaderState:
    as_of: str | None
    partial: bool
    filters: str
    loaded: str | None
    loading: bool
    data: str


@dataclass
class Timings:
    """Seconds from the App's creation (run_app) to the first frame and to the first numbers."""

    started: float = field(default_factory=time.perf_counter)
    first_frame: float | None = None
    numbers: float | None = None
    quality: float | None = None

    def mark(self, name: str) -> None:
        if getattr(self, name) is None:
            setattr(self, name, time.perf_counter() - self.started)


def _message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, (session.ConfigError, OSError, ValueError, LookupError)) else f"{type(exc).__name__}: {text}"


def filter_values(tables) -> dict[str, list[str]]:
    """The values each filter can take, from the data: customers.segment/region/channel, opportunities.owner."""
    import polars as pl

    out: dict[str, list[str]] = {name: [] for name in FILTER_NAMES}
    sources = {"segment": "customers", "region": "customers", "channel": "customers", "owner": "opportunities"}
    for name, table in sources.items():
        frame = tables.frames.get(table)
        if frame is None:
            continue
        try:
            values = frame.select(pl.col(name).drop_nulls().unique()).collect().to_series().to_list()
        except Exception:  # noqa: BLE001 - a broken column leaves that filter empty, the rest works
            continue
        out[name] = sorted(str(v) for v in values)
    return out


class RevOpsApp(App[int]):
    """The RevOps workspace."""

    TITLE = "RevOps TUI"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {RevOpsCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f", "filters", "Filters", id="filters"),
        Binding("F", "clear_filters", "Clear filters", id="clear_filters"),
        Binding("p", "period", "Period", id="period"),
        Binding("r", "reload", "Reload", id="reload"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit_ctrl_c"),
        # Targets hook: Binding("t", "edit_target", "Target", id="target") is added with the target editor.
    ]

    def __init__(
        self,
        settings: Settings,
        filters: Filters | None = None,
        notes: Iterable[str] = (),
        *,
        clock: str | None = None,
        data_label: str | None = None,
    ) -> None:
        """clock / data_label: fixed texts for the load time and the data folder in the header
        (snapshot tests); None shows the real ones."""
        super().__init__()
        self.timings = Timings()
        self.settings = settings
        self.filters = filters or Filters()
        self.notes = list(notes)
        self.clock = clock
        self.data_label = data_label
        self.snapshot: session.Snapshot | None = None
        self.quality = None  # revops_tui.kpis.quality.QualityReport, computed after each load
        self.quality_error: str | None = None
        self.filter_values: dict[str, list[str]] = {name: [] for name in FILTER_NAMES}
        self.problems: list[str] = []
        self.loading = False
        self.generation = 0  # every start_work; results of older work are dropped
        self.load_generation = 0  # the generation of the last (re)load of the tables
        self.reload_pending = False
        self.breakdown_cache: dict[tuple, list] = {}

    # ------------------------------------------------------------------ lifecycle

    def get_default_screen(self) -> DepartmentsScreen:
        return DepartmentsScreen()

    def on_mount(self) -> None:
        for note in self.notes:
            self.notify(note, title="Config", severity="warning", markup=False, timeout=8)
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        """The first frame is on screen (cards in their loading state): now load and compute."""
        self.timings.mark("first_frame")
        self.start_work(reload=True)

    # ------------------------------------------------------------------ header

    def header_state(self) -> HeaderState:
        snap = self.snapshot
        loaded = None
        if snap is not None:
            loaded = self.clock if self.clock is not None else snap.loaded_at.strftime("%H:%M:%S")
        return HeaderState(
            as_of=snap.results.as_of.isoformat() if snap else None,
            partial=bool(snap and snap.results.partial),
            filters=self.filters.describe(),
            loaded=loaded,
            loading=self.loading,
            data=self.data_label if self.data_label is not None else str(self.settings.data),
        )

    def refresh_chrome(self) -> None:
        """Redraw the header and banner of every screen on the stack."""
        for screen in self.screen_stack:
            for header in screen.query(AppHeader):
                header.refresh()
            for banner in screen.query(Banner):
                banner.show(self.problems)

    # ------------------------------------------------------------------ work

    def start_work(self, *, reload: bool) -> None:
        """Load (reload=True) or recompute with the current filters; newer work makes older work stale."""
        reload = reload or self.snapshot is None or self.reload_pending
        self.generation += 1
        if reload:
            self.load_generation = self.generation
        self.reload_pending = reload
        self.loading = True
        self.refresh_chrome()
        self._compute(self.settings, self.filters, reload, self.generation, self.snapshot)

    @work(thread=True, exclusive=True, group="compute", exit_on_error=False)
    def _compute(self, settings: Settings, filters: Filters, reload: bool, generation: int,
                 previous: session.Snapshot | None) -> None:
        worker = get_current_worker()
        try:
            if reload or previous is None:
                snap = session.run(settings, filters)
                values = filter_values(snap.tables)
            else:
                from revops_tui.kpis.engine import compute

                results = compute(previous.tables, settings, previous.as_of, settings.months, filters)
                snap = session.Snapshot(settings, previous.tables, previous.as_of, results, previous.loaded_at)
                values = None
        except Exception as exc:  # noqa: BLE001 - any failure is shown, the app keeps running
            if not worker.is_cancelled:
                self.call_from_thread(self._work_failed, generation, _message(exc))
            return
        if worker.is_cancelled:
            return
        self.call_from_thread(self._apply, generation, snap, values, reload)

    def _work_failed(self, generation: int, message: str) -> None:
        if generation != self.generation:
            return
        self.loading = False
        self.reload_pending = False
        self.problems = [message]
        self.refresh_chrome()
        self.notify(message, title="Could not load the data", severity="error", markup=False, timeout=10)

    def _apply(self, generation: int, snap: session.Snapshot, values: dict | None, reloaded: bool) -> None:
        if generation != self.generation:  # stale: a newer filter or period change is under way
            return
        self.snapshot = snap
        self.reload_pending = False
        self.breakdown_cache.clear()
        if values is not None:
            self.filter_values = values
        self.loading = False
        self.timings.mark("numbers")
        problems = [msg for msg in snap.results.problems.values() if " not found in " not in msg]
        problems += list(snap.results.errors)
        fresh = [p for p in problems if p not in self.problems]
        self.problems = problems
        for message in fresh:
            self.notify(message, title="Data problem", severity="error", markup=False, timeout=10)
        self.broadcast()
        report = getattr(snap.results, "quality", None)  # the engine may compute the checks with the KPIs
        if report is not None and hasattr(report, "checks"):
            self._apply_quality(self.load_generation, report, None)
        elif reloaded or self.quality is None:
            self.quality = None
            self._quality(snap, self.load_generation)

    @work(thread=True, exclusive=True, group="quality", exit_on_error=False)
    def _quality(self, snap: session.Snapshot, generation: int) -> None:
        from revops_tui.kpis.quality import quality_report

        worker = get_current_worker()
        try:
            report = quality_report(snap.tables.frames, snap.settings, snap.as_of, problems=snap.tables.problems)
            error = None
        except Exception as exc:  # noqa: BLE001
            report, error = None, _message(exc)
        if not worker.is_cancelled:
            self.call_from_thread(self._apply_quality, generation, report, error)

    def _apply_quality(self, generation: int, report, error: str | None) -> None:
        if generation != self.load_generation:  # the tables were reloaded since
            return
        self.quality, self.quality_error = report, error
        self.timings.mark("quality")
        if error:
            self.notify(error, title="Data quality checks failed", severity="error", markup=False)
        for screen in self.screen_stack:
            handler = getattr(screen, "quality_changed", None)
            if handler:
                handler()

    def broadcast(self) -> None:
        """Hand the current snapshot to every screen on the stack."""
        self.refresh_chrome()
        for screen in self.screen_stack:
            handler = getattr(screen, "data_changed", None)
            if handler:
                handler()

    # ------------------------------------------------------------------ actions

    def set_filters(self, filters: Filters) -> None:
        if filters == self.filters:
            return
        self.filters = filters
        self.start_work(reload=False)

    def toggle_filter(self, name: str, value: str) -> None:
        current = set(getattr(self.filters, name))
        current ^= {value}
        self.set_filters(Filters.of(**{**self.filters.as_dict(), name: current}))

    def action_filters(self) -> None:
        from revops_tui.tui.screens.filters import FiltersScreen

        if isinstance(self.screen, FiltersScreen):
            return

        def done(result: Filters | None) -> None:
            if result is not None:
                self.set_filters(result)

        self.push_screen(FiltersScreen(self.filter_values, self.filters), done)

    def action_clear_filters(self) -> None:
        if self.filters.active():
            self.set_filters(Filters())
            self.notify("Filters cleared", timeout=3)

    def action_period(self) -> None:
        from revops_tui.tui.screens.period import PeriodScreen

        if isinstance(self.screen, PeriodScreen):
            return

        def done(result: tuple[str, int] | None) -> None:
            if result is not None:
                self.set_period(*result)

        self.push_screen(PeriodScreen(self.settings.as_of, self.settings.months), done)

    def set_period(self, as_of: str, months: int) -> None:
        self.settings = self.settings.with_overrides(as_of=as_of, months=months)
        self.start_work(reload=True)

    def action_reload(self) -> None:
        self.start_work(reload=True)
        self.notify("Reloading the data…", timeout=2)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    def _after_palette(self, callback) -> bool:
        """Run the callback once the command palette has closed (it closes after calling the command)."""
        from textual.command import CommandPalette

        if isinstance(self.screen, CommandPalette):
            self.set_timer(0.01, callback)
            return True
        return False

    def _to_departments(self) -> DepartmentsScreen:
        """Pop every screen above the departments screen and return it."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, DepartmentsScreen):
            self.pop_screen()
        return self.screen_stack[0]  # type: ignore[return-value]

    def show_pane(self, pane: str) -> None:
        """Back to the departments screen, on the given pane."""
        base: DepartmentsScreen = self.screen_stack[0]  # type: ignore[assignment]
        base.show_pane(pane)  # at once, so that the screen resumes with the pane's card focused

        def back() -> None:
            if not self._after_palette(back):
                self._to_departments()

        back()

    def goto_kpi(self, kpi_id: str) -> None:
        """Open the KPI's detail screen from anywhere (command palette)."""
        from revops_tui.kpis.catalog import CATALOG, PANES
        from revops_tui.tui.screens.detail import DetailScreen

        pane = next((p for p, ids in PANES.items() if kpi_id in ids), CATALOG[kpi_id].department)
        base: DepartmentsScreen = self.screen_stack[0]  # type: ignore[assignment]
        base.show_pane(pane)
        base.focus_card(kpi_id)

        def open_detail() -> None:
            if self._after_palette(open_detail):
                return
            self._to_departments()
            self.push_screen(DetailScreen(kpi_id, pane))

        open_detail()


def _process_age() -> float | None:
    """Seconds since this process started (Linux), to report timings from the command line on."""
    try:
        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_app(settings: Settings, filters: Filters | None, notes: list[str]) -> int:
    """Build and run the workspace; returns the exit status.

    REVOPS_TUI_TIMINGS=1 prints, on exit, the seconds from the start of the process to the
    first frame and to the numbers (and from the App's creation, after the imports).
    """
    age = _process_age()
    app = RevOpsApp(settings, filters, notes)
    app.run()
    if os.environ.get("REVOPS_TUI_TIMINGS"):
        t = app.timings
        base = age or 0.0

        def fmt(value: float | None) -> str:
            return "n/a" if value is None else f"{base + value:.2f}s (app {value:.2f}s)"

        print(f"revops-tui timings from process start: first frame {fmt(t.first_frame)}, "
              f"numbers {fmt(t.numbers)}, quality checks {fmt(t.quality)}", file=sys.stderr)
    return app.return_code or 0


__all__ = ["RevOpsApp", "run_app", "filter_values", "HeaderState"]
