"""Incremental recompute: the collected results of the engine's queries, kept by what they read.

Every query of a compute (a KPI part's monthly frame, a Data Quality check's counts) reads a
few tables. Its result is kept under a key made of the settings, the as-of day, the months and
the *version* of each table it reads: the (path, size, modification time) of the table's files,
plus, for a table a filter narrowed, the filters and the versions of the tables the filter
joins (customers, opportunities). When an export rewrites one file, only the queries that read
that table run again; the rest come from here. A filter change likewise reruns only the parts
whose tables the filter narrows (an owner filter leaves subscriptions, usage and tickets alone),
and a period change only the KPI parts (the checks are keyed without the months).

A table without a version (an object-store URL, hand-built test frames) is never kept: its
queries always run. Only complete, successful results are kept. The results are small (one row
per month, or one row of counts), so a few hundred entries cost little memory; the two large
frames kept, customer MRR and the usage summary (one row per customer or change), are kept for
their latest inputs only.

The small results can also be saved to a file and read back by the next process (`save`,
`load`: the workspace keeps one such file per data folder in the user's cache folder), so the
first reload after a restart also runs only the queries of the changed tables. Their keys hold
the file versions, so a result of files changed since is never taken; the file also holds a
fingerprint of the program's code (`code`), and one written by other code is ignored.
"""

from __future__ import annotations

import base64
import io
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable, Iterable

import polars as pl

from revops_tui.cache import write_cache_file
from revops_tui.kpis.results import Filters
from revops_tui.loading import Tables

FILTER_SOURCES = ("customers", "opportunities")  # the tables filter_tables joins to narrow others

SAVE_FORMAT = 1
SAVE_LIMIT = 256  # results saved: a compute runs about 40 queries

Version = Hashable
Value = Any  # a collected frame, or a bundle of them (subscriptions.CustomerMrr)


@dataclass
class Memo:
    """Least recently used results by key. `hits` and `missed` (the kind and name of each query
    looked up in vain) tell what a compute took from here and what it ran (tests, bench)."""

    keep: int = 512
    hits: int = 0
    missed: list[tuple[str, Hashable]] = field(default_factory=list)
    _store: OrderedDict[Hashable, Value] = field(default_factory=OrderedDict)
    _staged: list[tuple[Hashable | None, Value, bool]] = field(default_factory=list)
    _loaded: dict[str, pl.DataFrame] = field(default_factory=dict)  # read by load(), by repr(key)
    _dirty: bool = False  # kept something since the last save()

    def get(self, key: Hashable | None) -> Value | None:
        if key is None:
            return None
        found = self._store.get(key)
        if found is None and self._loaded:
            found = self._loaded.pop(repr(key), None)
            if found is not None:
                self._store[key] = found
        if found is None:
            self.missed.append(key[:2] if isinstance(key, tuple) else (str(key), None))
            return None
        self.hits += 1
        self._store.move_to_end(key)
        return found

    def put(self, key: Hashable | None, value: Value, only_latest: bool = False) -> None:
        """Keep `value`; `only_latest`: drop the kept values of the same query for other inputs
        (a large frame, such as the usage summary: one per customer, not one per period picked)."""
        if key is None:
            return
        if only_latest:
            for old in [k for k in self._store if k[:2] == key[:2]]:  # type: ignore[index]
                del self._store[old]
        self._store[key] = value
        self._store.move_to_end(key)
        self._dirty = True
        while len(self._store) > self.keep:
            self._store.popitem(last=False)

    def stage(self, key: Hashable | None, value: Value, only_latest: bool = False) -> None:
        """Hold a result until commit(): a compute keeps its results only once it knows that
        the files it read did not change while it read them."""
        self._staged.append((key, value, only_latest))

    def commit(self, keep: bool) -> None:
        staged, self._staged = self._staged, []
        if keep:
            for key, value, only_latest in staged:
                self.put(key, value, only_latest=only_latest)

    def reset_counts(self) -> None:
        self.hits = 0
        self.missed = []

    def __len__(self) -> int:
        return len(self._store)

    def save(self, path: Path, code: str, limit: int = SAVE_LIMIT) -> None:
        """Write the most recent small results (not the large shared frames) to `path`, when
        something was kept since the last save. Atomic (a temporary file renamed over it); a
        file that cannot be written costs only speed."""
        if not self._dirty:
            return
        # Newest first, then what load() read and no get() has taken yet (other filters, say). A
        # part has one row per month, a check one row of counts: only the "shared" frames are large.
        kept = [(repr(k), v) for k, v in reversed(self._store.items())
                if isinstance(k, tuple) and k[0] != "shared" and isinstance(v, pl.DataFrame)]
        entries = {}
        for k, frame in [*kept, *self._loaded.items()][:limit]:  # disjoint: get() moves a loaded one
            buffer = io.BytesIO()
            frame.write_ipc(buffer)
            entries[k] = base64.b64encode(buffer.getvalue()).decode("ascii")
        if write_cache_file(path, json.dumps({"format": SAVE_FORMAT, "code": code, "entries": entries})):
            self._dirty = False

    def load(self, path: Path, code: str) -> int:
        """Read what save() wrote (by this code), to be taken by later gets; returns how many
        results were read. A missing, unreadable or foreign file is ignored."""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("format") != SAVE_FORMAT or doc.get("code") != code:
                return 0
            loaded = {k: pl.read_ipc(io.BytesIO(base64.b64decode(v))) for k, v in doc["entries"].items()}
        except Exception:  # noqa: BLE001 - any damage to a cache file only costs speed
            return 0
        self._loaded.update(loaded)
        return len(loaded)


def context(settings: object, as_of: object, months: int) -> str:
    """Everything besides the tables that a query's result depends on."""
    return json.dumps([repr(settings), str(as_of), months])


def table_versions(tables: Tables, frames: dict[str, pl.LazyFrame], filters: Filters) -> dict[str, Version | None]:
    """The version of each table as this compute reads it (None: not kept).

    `frames` are the tables after filter_tables: a frame that is not the loaded one was narrowed
    by a filter, so its version also holds the filters and the tables the filter joins.
    """
    out: dict[str, Version | None] = {}
    active = json.dumps(filters.as_dict(), sort_keys=True)
    for name, lf in frames.items():
        version = tables.versions.get(name)
        if version is not None and lf is not tables.frames.get(name):
            sources = tuple(tables.versions.get(t) for t in FILTER_SOURCES)
            version = None if None in sources else (version, active, sources)
        out[name] = version
    return out


def key(kind: str, name: Hashable, ctx: str, versions: dict[str, Version | None],
        reads: Iterable[str]) -> Hashable | None:
    """The key of one query, or None when a table it reads has no version."""
    read = tuple(versions.get(t) for t in reads)
    if None in read:
        return None
    return (kind, name, ctx, read)
