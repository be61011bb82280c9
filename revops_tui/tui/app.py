"""The workspace App: bindings, workers, screen stack, palette provider.

Data flows one way: the App owns the settings, the filters and the current
`Snapshot` (tables + results); workers compute snapshots off the main thread
and the App hands each new one to the screens (`data_changed()`), which only
render what they are handed.

Targets: the App keeps a `TargetStore` and the loaded `TargetsSnapshot`
(`app.targets`); it re-reads the file when its stat changes (polled every
second) or the watcher reports it, and hands it to the screens
(`targets_changed()`).

Live data: a thread worker runs `revops_tui.live.changes` for the app's
lifetime; a change of the data folder reloads in place (screen stack, cursor
and drill-down path are kept: screens re-render what they are handed), a
change of config.toml re-reads it (keeping what came from the command line or
the period dialog), a change of the targets file reloads the targets.

A reload that finds a table newly broken (half-written, truncated, deleted)
keeps the last good snapshot on screen and shows the problem in the banner;
the next good write replaces it and clears the banner (see `_keep_last_good`).

Results cache: `ResultsCache` (memory + the user's cache folder), keyed by the
input files' signatures, settings and filters: the first frame shows the last
results for these exact files at once ("cached, confirming…"), and a filter
seen before is not recomputed. Below it, every compute shares one `kpis.memo.Memo`:
a reload after one export, a new filter or period reruns only the queries whose
inputs changed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gc
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import get_current_worker

from revops_tui.cache import ResultsCache, cache_key, code_fingerprint, file_signature
from revops_tui.cancel import Cancelled, stop_when
from revops_tui.config import ConfigError, Settings, load_settings
from revops_tui.kpis.results import Filters
from revops_tui.tui.commands import Palette, RevOpsCommands
from revops_tui.tui.typeahead import KeysInOrder
from revops_tui.tui.screens.departments import DepartmentsScreen
from revops_tui.targets.store import TargetsSnapshot, TargetStore
from revops_tui.tui.screens.help import HelpScreen
from revops_tui.tui.widgets.header import AppHeader, Banner

if TYPE_CHECKING:
    from textual.timer import Timer

    from revops_tui import session

FILTER_NAMES = ("segment", "region", "channel", "owner")


@dataclass
class HeaderState:
    as_of: str | None
    partial: bool
    filters: str
    loaded: str | None
    loading: bool
    data: str
    changed: str | None = None  # when the data files last changed (newest mtime)
    cached: bool = False  # showing cached results while the data is read to confirm them


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
    return text if isinstance(exc, (ConfigError, OSError, ValueError, LookupError)) else f"{type(exc).__name__}: {text}"


def _changed_at(settings: Settings) -> dt.datetime | None:
    """The newest modification time of the data files (None for object stores or no files)."""
    try:
        signature = file_signature(settings)
    except OSError:
        return None
    if not signature:
        return None
    return dt.datetime.fromtimestamp(max(mtime for _, _, mtime in signature) / 1e9)


def _freeze_heap() -> None:
    """Once the workspace and its first numbers are up: move every object alive now (modules,
    widgets, styles: most of the heap) out of the garbage collector's sight. Its full
    collections then scan only newer objects: 10-20 ms instead of 60-80 ms, which otherwise
    land inside a key press now and then (bench/RESULTS.md).

    Only the young generations are collected first (2 ms): a full collection here took 80-110 ms
    on the event loop, just when the first numbers appear and keys start coming. The price is
    the cyclic garbage of the start-up that is frozen with the rest (about 3,400 objects, once).
    """
    gc.collect(1)
    gc.freeze()


def _clock_text(moment: dt.datetime) -> str:
    if moment.date() == dt.date.today():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


def filter_values(tables) -> dict[str, list[str]]:
    """The values each filter can take, from the data (revops_tui.kpis.filters.filter_values)."""
    from revops_tui.kpis.filters import filter_values as values_in

    return values_in(tables)


class RevOpsApp(KeysInOrder, App[int]):
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
        # `t` (target editor) is bound on the departments and detail screens: it needs a KPI.
    ]

    TARGETS_POLL = 1.0  # seconds between stat() checks of the targets file

    def __init__(
        self,
        settings: Settings,
        filters: Filters | None = None,
        notes: Iterable[str] = (),
        *,
        clock: str | None = None,
        data_label: str | None = None,
        cache: ResultsCache | None = None,
        watch: bool = True,
    ) -> None:
        """clock / data_label: fixed texts for the load and change times and the data folder in the
        header (snapshot tests); None shows the real ones. cache: the results cache (default: the
        user's cache folder). watch: follow changes of the data folder, config and targets files."""
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
        self._unknown_filters: str | None = None  # the last notice about filter values not in the data
        self.problems: list[str] = []
        self.loading = False
        self.generation = 0  # every start_work; results of older work are dropped
        self.load_generation = 0  # the generation of the last (re)load of the tables
        self.reload_pending = False
        self.breakdown_cache: dict[tuple, list] = {}
        self.cache = cache if cache is not None else ResultsCache()
        self.cached_view = False  # the snapshot shown is from the cache, the data is being read
        self.data_changed_at: dt.datetime | None = None
        self.kept_last_good = False  # a reload found a broken table: the last good numbers are shown
        self.target_store = TargetStore.from_settings(settings)
        self.targets: TargetsSnapshot | None = None
        self.watch = watch
        self._stop_watch = threading.Event()
        self._compute_lock = threading.Lock()
        self._memo = None  # revops_tui.kpis.memo.Memo, made by the first compute (off the first frame's path)
        self._memo_read: set = set()  # the saved memo files read into it
        self._heap_frozen = False
        self._reload_signature: list | None = None  # the data files as the running reload found them
        self._config_base: Settings | None = None  # config.toml as read at start (to tell overrides apart)
        self.config_error: str | None = None  # config.toml changed and could not be applied (banner)
        self._refresh_timer: Timer | None = None  # refresh_seconds
        self._refresh_every: float | None = None

    # ------------------------------------------------------------------ lifecycle

    def get_default_screen(self) -> DepartmentsScreen:
        return DepartmentsScreen()

    def on_mount(self) -> None:
        for note in self.notes:
            self.notify(note, title="Config", severity="warning", markup=False, timeout=8)
        self.reload_targets(initial=True)
        self.set_interval(self.TARGETS_POLL, self._poll_targets)
        self._set_refresh_timer()
        self.call_after_refresh(self._first_frame)

    def on_unmount(self) -> None:
        self._stop_watch.set()
        if self._heap_frozen:
            gc.unfreeze()  # the frozen objects are collectable again (an embedding process or tests go on)

    def exit(self, *args, **kwargs) -> None:  # type: ignore[override]
        self._stop_watch.set()  # the watcher thread ends within half a second
        super().exit(*args, **kwargs)

    def _first_frame(self) -> None:
        """The first frame is on screen (cards in their loading state): now follow the files and
        load and compute. The watcher starts here, not on mount: its thread imports watchfiles
        (0.2-0.3 s of Python holding the GIL), which slowed the first frame down."""
        self.timings.mark("first_frame")
        if self.watch:
            self._start_watch()
        self.start_work(reload=True)

    # ------------------------------------------------------------------ header

    def header_state(self) -> HeaderState:
        snap = self.snapshot
        loaded = None
        if snap is not None:
            loaded = self.clock if self.clock is not None else _clock_text(snap.loaded_at)
        changed = None
        if self.data_changed_at is not None:
            changed = self.clock if self.clock is not None else _clock_text(self.data_changed_at)
        return HeaderState(
            as_of=snap.results.as_of.isoformat() if snap else None,
            partial=bool(snap and snap.results.partial),
            filters=self.filters.describe(),
            loaded=loaded,
            loading=self.loading,
            data=self.data_label if self.data_label is not None else str(self.settings.data),
            changed=changed,
            cached=self.cached_view,
        )

    def banner_messages(self) -> list[str]:
        """Data problems of the current load, a config.toml not applied, a targets file that cannot be read."""
        messages = list(self.problems)
        if self.config_error:
            messages.append(self.config_error)
        if self.targets is not None and self.targets.error:
            messages.append(f"targets not shown: {self.targets.error}")
        elif self.targets is not None:  # an entry of a known KPI that cannot be used: its status is missing
            messages += [f"target not used: {warning}" for warning in self.targets.invalid]
        return messages

    def refresh_chrome(self) -> None:
        """Redraw the header and banner of every screen on the stack."""
        messages = self.banner_messages()
        for screen in self.screen_stack:
            for header in screen.query(AppHeader):
                header.refresh()
            for banner in screen.query(Banner):
                banner.show(messages)

    # ------------------------------------------------------------------ targets

    def reload_targets(self, initial: bool = False) -> None:
        """Read the targets file again and show it on every screen (it is small: read on the loop)."""
        old = self.targets
        self.targets = self.target_store.load()
        new = self.targets
        if new.error and (old is None or old.error != new.error):
            self.notify(new.error, title="Targets file not read (no targets shown)", severity="error",
                        markup=False, timeout=10)
        seen = set() if initial or old is None else set(old.warnings)
        for warning in [w for w in new.warnings if w not in seen][:3]:
            self.notify(warning, title="Targets", severity="warning", markup=False, timeout=8)
        self.refresh_chrome()
        for screen in self.screen_stack:
            handler = getattr(screen, "targets_changed", None)
            if handler:
                handler()

    def _poll_targets(self) -> None:
        """Edits made outside the app (an editor, another session) show within a second or two."""
        if self.targets is None or self.target_store.changed(self.targets):
            self.reload_targets()

    def edit_target(self, kpi_id: str) -> None:
        """Open the target editor for the KPI (or say why editing is disabled)."""
        from revops_tui.tui.screens.target_editor import EditResult, TargetEditor

        reason = self.target_store.writable()
        if reason:
            self.notify(f"Editing targets is disabled: {reason}", title="Targets are read-only",
                        severity="warning", markup=False, timeout=8)
            return

        def done(result: EditResult | None) -> None:
            if result is None:
                return
            if result.warning:
                self.notify(result.warning, title="Targets", severity="warning", markup=False, timeout=8)
            if result.changed:
                self.reload_targets()
                self.notify(f"Target {result.action}: {kpi_id}", timeout=3, markup=False)

        self.push_screen(TargetEditor(kpi_id, self.target_store, None, currency=self.settings.currency), done)

    # ------------------------------------------------------------------ live data

    def _start_watch(self) -> None:
        self._stop_watch.set()  # a watcher of older settings ends
        self._stop_watch = threading.Event()
        self._watcher(self.settings, self._stop_watch)

    @work(thread=True, group="watch", exit_on_error=False)
    def _watcher(self, settings: Settings, stop: threading.Event) -> None:
        from revops_tui.live import changes

        if settings.config_path is not None and self._config_base is None:
            try:
                self._config_base = load_settings(settings.config_path)[0]
            except (ConfigError, OSError):
                self._config_base = None
        try:
            for touched in changes(settings, stop):
                if stop.is_set():
                    return
                self.call_from_thread(self._touched, touched)
        except Exception as exc:  # noqa: BLE001 - the app works without live updates
            if not stop.is_set():
                try:
                    self.call_from_thread(self.notify, f"not following file changes: {_message(exc)}",
                                          title="Live updates off", severity="warning", markup=False)
                except RuntimeError:
                    pass  # the app is closing

    def _touched(self, touched) -> None:
        """The watcher saw files change (debounced)."""
        if self._stop_watch.is_set():
            return
        reloaded = False
        if touched.config:
            reloaded = self._config_changed()
        if touched.targets:
            self.reload_targets()
        if touched.data and not reloaded and not self._reading_these_files():
            self.start_work(reload=True)

    def _reading_these_files(self) -> bool:
        """A reload under way already reads the data files as they are now (say `r` was pressed
        after the export landed): starting over would only throw its work away."""
        signature = self._reload_signature
        return (self.loading and self.reload_pending and signature is not None
                and signature == file_signature(self.settings))

    def _config_changed(self) -> bool:
        """config.toml changed: re-read it, keeping what differs from the file as read at start
        (command-line options, the period picked in the app). True when the data is being reloaded."""
        path = self.settings.config_path
        if path is None:
            return False
        try:
            fresh, notes = load_settings(path)
        except ConfigError as exc:
            self.notify(f"{exc} (the previous settings stay in use)", title="Config not applied",
                        severity="error", markup=False, timeout=10)
            # The toast goes; the banner stays until the file reads cleanly.
            self.config_error = f"{path.name} not applied (the previous settings stay in use): {exc}"
            self.refresh_chrome()
            return False
        if self.config_error:
            self.config_error = None
            self.refresh_chrome()
        for note in notes:  # unknown keys and the like: said even when no setting changed
            self.notify(note, title="Config", severity="warning", markup=False, timeout=8)
        base = self._config_base
        names = [f.name for f in dataclasses.fields(Settings)]
        if base is None:
            kept = {name: getattr(self.settings, name) for name in ("data", "as_of", "months", "read_only")}
        else:
            kept = {name: getattr(self.settings, name) for name in names
                    if getattr(self.settings, name) != getattr(base, name)}
        self._config_base = fresh
        settings = dataclasses.replace(fresh, **kept)
        if settings == self.settings:
            return False
        old = self.settings
        self.settings = settings
        self._set_refresh_timer()
        if (settings.targets_file, settings.read_only) != (old.targets_file, old.read_only):
            self.target_store = TargetStore.from_settings(settings)
            self.reload_targets()
        if (settings.data, settings.targets_file) != (old.data, old.targets_file) and self.watch:
            self._start_watch()
        self.notify(f"{path} changed: settings re-read, reloading", timeout=4, markup=False)
        self.start_work(reload=True)
        return True

    def _set_refresh_timer(self) -> None:
        """Start, change or stop the refresh_seconds timer to match the settings."""
        every = float(self.settings.refresh_seconds) if self.settings.refresh_seconds else None
        if every == self._refresh_every:
            return
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
            self._refresh_timer = None
        self._refresh_every = every
        if every:
            self._refresh_timer = self.set_interval(every, self._periodic_reload)

    def _periodic_reload(self) -> None:
        """refresh_seconds: reload on a timer (object-store data that cannot be watched)."""
        if not self.loading:
            self.start_work(reload=True)

    # ------------------------------------------------------------------ work

    def start_work(self, *, reload: bool) -> None:
        """Load (reload=True) or recompute with the current filters; newer work makes older work stale."""
        reload = reload or self.snapshot is None or self.reload_pending
        self.generation += 1
        if reload:
            self.load_generation = self.generation
            self._reload_signature = file_signature(self.settings)
        self.reload_pending = reload
        self.loading = True
        self.refresh_chrome()
        self._compute(self.settings, self.filters, reload, self.generation, self.snapshot, self.kept_last_good)

    @work(thread=True, exclusive=True, group="compute", exit_on_error=False)
    def _compute(self, settings: Settings, filters: Filters, reload: bool, generation: int,
                 previous: session.Snapshot | None, keep_last_good: bool = False) -> None:
        worker = get_current_worker()
        # One compute at a time: the one this replaces (cancelled by `exclusive`) stops at its
        # next batch of queries, and this one starts then, instead of both sharing the cores.
        with self._compute_lock, stop_when(lambda: worker.is_cancelled):
            if worker.is_cancelled:
                return
            try:
                self._compute_now(worker, settings, filters, reload, generation, previous, keep_last_good)
            except Cancelled:
                return

    def _compute_now(self, worker, settings: Settings, filters: Filters, reload: bool, generation: int,
                     previous: session.Snapshot | None, keep_last_good: bool) -> None:
        from revops_tui import session  # the data libraries load here, off the first frame's path
        from revops_tui.kpis.memo import Memo
        from revops_tui.priority import yield_to_keys

        if self._memo is None:
            self._memo = Memo()
        # Polars' threads behind the event loop: a key is answered at once during a recompute.
        yield_to_keys()

        try:
            changed_at = _changed_at(settings)
            if previous is None:
                # First frame: the last results for exactly these files, settings and filters,
                # without reading any data; the load below confirms them.
                early = session.cached(settings, filters, self.cache)
                if early is not None and not worker.is_cancelled:
                    self.call_from_thread(self._apply_cached, generation, *early, changed_at)
            # The engine's small results saved by the last session on this data folder: the first
            # reload after a restart then runs only the queries of the tables that changed.
            memo_path = self.cache.memo_path(settings)
            if memo_path is not None and memo_path not in self._memo_read:
                self._memo_read.add(memo_path)
                self._memo.load(memo_path, code_fingerprint())
            last_good = None
            signature = None if previous is None else file_signature(settings)
            if not (reload or previous is None or previous.tables is None) and signature != previous.signature:
                # The files changed since `previous` was read: its tables must not be read again
                # (they would mix its file metadata with the new bytes). While the screen shows
                # the last good numbers (a reload found a file broken), the new view comes from
                # the results of those good files when known; else from the files as they are.
                if keep_last_good:
                    last_good = self.cache.get(cache_key(settings, filters, previous.signature))
                reload = last_good is None
            if last_good is not None:
                snap = session.Snapshot(settings, previous.tables, last_good.as_of, last_good,
                                        previous.loaded_at, signature=previous.signature)
                values = None
            elif reload or previous is None or previous.tables is None:
                snap = session.run(settings, filters, cache=self.cache, memo=self._memo)
                values = filter_values(snap.tables)
            else:
                from revops_tui.kpis.engine import compute

                key = cache_key(settings, filters, signature)
                results = self.cache.get(key)
                if results is None:
                    # Same tables and as-of day: the Data Quality checks (never filtered) stand.
                    known = previous.results.quality if previous.settings == settings else None
                    results = compute(previous.tables, settings, previous.as_of, settings.months, filters,
                                      quality=known, memo=self._memo)
                    session.cache_results(self.cache, key, results, settings, signature)
                snap = session.Snapshot(settings, previous.tables, previous.as_of, results, previous.loaded_at,
                                        signature=previous.signature)
                values = None
        except Cancelled:
            raise
        except BaseException as exc:  # any failure is shown, the app keeps running
            from revops_tui.lazy import QUERY_FAILURES

            if not isinstance(exc, QUERY_FAILURES):
                raise
            if not worker.is_cancelled:
                self.call_from_thread(self._work_failed, generation, _message(exc))
            return
        if worker.is_cancelled:
            return
        self.call_from_thread(self._apply, generation, snap, values, reload, changed_at, last_good is not None)
        if memo_path is not None:
            self._memo.save(memo_path, code_fingerprint())

    def _work_failed(self, generation: int, message: str) -> None:
        if generation != self.generation:
            return
        self.loading = False
        self.reload_pending = False
        self.problems = [message]
        self.refresh_chrome()
        self.screen.refresh()  # all of it: a panic inside Polars writes its message over the screen
        self.notify(message, title="Could not load the data", severity="error", markup=False, timeout=10)

    def _apply_cached(self, generation: int, results, saved_at: dt.datetime | None,
                      changed_at: dt.datetime | None) -> None:
        """Cached results for the first frame; the data is still being read (no tables yet). The
        header's load time is when they were computed (the confirming load then shows its own)."""
        if generation != self.generation or self.snapshot is not None:
            return
        from revops_tui import session

        self.snapshot = session.Snapshot(self.settings, None, results.as_of, results,  # type: ignore[arg-type]
                                         saved_at or dt.datetime.now())
        self.cached_view = True
        self.data_changed_at = changed_at
        self.timings.mark("numbers")
        self.broadcast()

    def _keep_last_good(self, snap: session.Snapshot, reloaded: bool) -> list[str] | None:
        """The problems that make a reload keep the last good numbers, or None to show the new ones.

        Simplest correct behaviour: when a reload of the same settings and filters finds a table
        broken or gone that was fine in the snapshot on screen (a file caught half-written), the
        whole previous snapshot stays on screen, the banner names the file and the problem, and
        nothing is blanked out. The next reload that reads every table again as before (the next
        good write, seen by the watcher) replaces it and clears the banner. A changed period or
        filter always shows the new results (old numbers would be mislabelled)."""
        old = self.snapshot
        if not reloaded or old is None or old.tables is None or self.cached_view:
            return None
        if snap.settings != old.settings or snap.results.filters != old.results.filters:
            return None
        new_problems = [msg for table, msg in snap.results.problems.items() if table not in old.results.problems]
        new_errors = [msg for msg in snap.results.errors if msg not in old.results.errors]
        if not new_problems and not new_errors:
            return None
        return new_problems + new_errors

    def _apply(self, generation: int, snap: session.Snapshot, values: dict | None, reloaded: bool,
               changed_at: dt.datetime | None = None, last_good: bool = False) -> None:
        if generation != self.generation:  # stale: a newer filter or period change is under way
            return
        self.data_changed_at = changed_at
        if last_good:  # another view of the last good files; the banner on the broken one stays
            self.snapshot = snap
            self.loading = False
            self.reload_pending = False
            self.breakdown_cache.clear()
            self.broadcast()
            return
        broken = self._keep_last_good(snap, reloaded)
        if broken is not None:
            self.loading = False
            self.reload_pending = False
            self.kept_last_good = True
            fresh = [p for p in broken if p not in self.problems]
            loaded = self.clock if self.clock is not None else _clock_text(self.snapshot.loaded_at)
            self.problems = [f"showing the last good numbers (loaded {loaded}) until the files read cleanly"] + broken
            for message in fresh:
                self.notify(message, title="Data problem: last good numbers kept", severity="error",
                            markup=False, timeout=10)
            self.refresh_chrome()
            return
        self.kept_last_good = False
        self.cached_view = False
        self.snapshot = snap
        self.reload_pending = False
        self.breakdown_cache.clear()
        if values is not None:
            self.filter_values = values
            self._notify_unknown_filters()
        self.loading = False
        self.timings.mark("numbers")
        problems = [msg for msg in snap.results.problems.values() if " not found in " not in msg]
        problems += list(snap.results.errors)
        fresh = [p for p in problems if p not in self.problems]
        self.problems = problems
        for message in fresh:
            self.notify(message, title="Data problem", severity="error", markup=False, timeout=10)
        self.broadcast()
        if not self._heap_frozen:
            self._heap_frozen = True
            self.call_after_refresh(_freeze_heap)
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
            with stop_when(lambda: worker.is_cancelled):
                report = quality_report(snap.tables.frames, snap.settings, snap.as_of, problems=snap.tables.problems)
            error = None
        except Cancelled:
            return
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

    def _notify_unknown_filters(self) -> None:
        """A filter value from the command line that is not in the data: say so (once per change)."""
        from revops_tui.kpis.filters import unknown_filter_values

        message = unknown_filter_values(self.filters, self.filter_values)
        if message and message != self._unknown_filters:
            self.notify(f"{message}\nPress F to clear the filters.", title="Filter matches nothing",
                        severity="warning", markup=False, timeout=15)
        self._unknown_filters = message

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

    def action_command_palette(self) -> None:
        if self.use_command_palette and not Palette.is_open(self):
            self.push_screen(Palette(id="--command-palette"))

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
    # Our own loop: asyncio.run() would wait, after the app has ended, for a worker thread
    # still inside a query (an object store that does not answer: minutes).
    loop = asyncio.new_event_loop()
    app.run(loop=loop)
    if os.environ.get("REVOPS_TUI_TIMINGS"):
        t = app.timings
        base = age or 0.0

        def fmt(value: float | None) -> str:
            return "n/a" if value is None else f"{base + value:.2f}s (app {value:.2f}s)"

        print(f"revops-tui timings from process start: first frame {fmt(t.first_frame)}, "
              f"numbers {fmt(t.numbers)}, quality checks {fmt(t.quality)}", file=sys.stderr)
    status = app.return_code or 0
    deadline = time.monotonic() + 2.0  # a target being saved finishes in milliseconds
    busy = [t for t in threading.enumerate() if t.is_alive() and not t.daemon and t is not threading.main_thread()]
    for thread in busy:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in busy):
        # A query still running (an object store that does not answer) would hold the exit
        # until it ends; nothing it computes is kept, so leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    loop.close()
    return status


__all__ = ["RevOpsApp", "run_app", "filter_values", "HeaderState"]
