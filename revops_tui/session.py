"""From command-line options to settings, tables and results (shared by the CLI and the TUI)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from revops_tui.cache import ResultsCache, cache_key, file_signature
from revops_tui.config import ConfigError, Settings, settings_from_options  # noqa: F401 - re-exported
from revops_tui.kpis.engine import compute
from revops_tui.kpis.memo import Memo
from revops_tui.kpis.results import Filters, Results
from revops_tui.loading import Tables, data_folder_problem, load_tables, resolve_as_of

@dataclass
class Snapshot:
    """One load of the data and the KPIs computed from it."""

    settings: Settings
    tables: Tables
    as_of: dt.date
    results: Results
    loaded_at: dt.datetime = field(default_factory=dt.datetime.now)
    # file_signature() of the files as the tables were read: once the files differ, these
    # tables must not be queried again (Polars keeps a scanned file's metadata and would read
    # the new bytes with it: old numbers under the new files, or a panic on a truncated one).
    signature: list | None = None


def load(settings: Settings) -> tuple[Tables, dt.date]:
    """Scan the tables and resolve the as-of day; raises ConfigError for a missing data folder."""
    problem = data_folder_problem(settings)
    if problem:
        raise ConfigError(problem)
    tables = load_tables(settings)
    if not tables.frames and all(" not found in " in msg for msg in tables.problems.values()):
        # Not "every KPI unavailable, exit 0": a wrong location would silently disable alerting.
        raise ConfigError(f"no table of the data contract found in {settings.data} "
                          f"(expected NAME.parquet or NAME/ for tables such as customers, subscriptions)")
    return tables, resolve_as_of(settings.as_of, tables)


class UnknownFilterValue(ValueError):
    """A filter value that matches no row of the data (the message lists the values that do)."""


def run(settings: Settings, filters: Filters | None = None, cache: ResultsCache | None = None,
        memo: Memo | None = None, strict_filters: bool = False) -> Snapshot:
    """Load and compute every KPI (results from the cache when its key matches; with a memo, only
    the queries whose tables changed since the last compute run). With strict_filters, a filter
    value found nowhere in the data raises UnknownFilterValue before anything is computed."""
    filters = filters or Filters()
    signature = file_signature(settings)
    key = cache_key(settings, filters, signature) if cache else None
    tables, as_of = load(settings)
    if strict_filters and filters.active():
        from revops_tui.kpis.filters import filter_values, unknown_filter_values

        problem = unknown_filter_values(filters, filter_values(tables))
        if problem:
            raise UnknownFilterValue(problem)
    results = cache.get(key) if cache else None
    if results is None:
        results = compute(tables, settings, as_of, settings.months, filters, memo=memo)
        if cache:
            cache_results(cache, key, results, settings, signature)
    return Snapshot(settings, tables, as_of, results, signature=signature)


def cache_results(cache: ResultsCache, key: str | None, results: Results, settings: Settings,
                  signature: list | None) -> None:
    """Keep results under the files' signature taken before they were read, unless a file
    changed while they were computed (they may hold some of its new bytes: not that key's)."""
    if not results.errors and not results.unreadable and file_signature(settings) == signature:
        cache.put(key, results)


def cached(settings: Settings, filters: Filters, cache: ResultsCache) -> tuple[Results, dt.datetime | None] | None:
    """The last results for exactly these inputs, without reading any data (for a first frame),
    and when they were computed (saved)."""
    key = cache_key(settings, filters, file_signature(settings))
    results = cache.get(key)
    return None if results is None else (results, cache.saved_at(key))


def validation_problems(tables: Tables) -> dict[str, str]:
    """Problems of tables that exist but failed validation (missing tables are not errors)."""
    return {name: msg for name, msg in tables.problems.items() if " not found in " not in msg}
