"""Results cache: keyed by every input file's (path, size, mtime), the settings, filters, as-of and
months, in memory (switching back to a filter never recomputes) and on disk in the user's cache
folder (a restart shows the last numbers at once, then confirms them). A changed file changes the
key, and so does other program code (`code_fingerprint`), so stale results are never served as
current. The same folder holds the engine's saved small results per data folder (`memo_path`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
from collections import OrderedDict
from pathlib import Path

import revops_tui
from revops_tui.config import Settings, is_url
from revops_tui.contract import TABLES
from revops_tui.kpis.catalog import CATALOG
from revops_tui.kpis.results import Filters, KpiResult, Results

FORMAT = 1


def file_stamp(path: Path | str) -> tuple[str, int, int] | None:
    """(path, size, mtime_ns): what tells one version of a data file from the next; None when
    the file is gone. Keys the results cache and the engine's kept results (kpis.memo)."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)


def file_signature(settings: Settings) -> list[tuple[str, int, int]] | None:
    """file_stamp of every Parquet file of the data folder; None for object stores."""
    if is_url(settings.data):
        return None
    folder = Path(settings.data)
    out: list[tuple[str, int, int]] = []
    for name in TABLES:
        for candidate in (folder / f"{name}.parquet", folder / name):
            paths = sorted(candidate.rglob("*.parquet")) if candidate.is_dir() else [candidate]
            out += [stamp for stamp in map(file_stamp, paths) if stamp is not None]
    return out


@functools.cache
def code_fingerprint() -> str:
    """The program's version and its source files: results saved by other code (an upgrade, a
    changed formula) are not taken as this code's."""
    return source_fingerprint(Path(revops_tui.__file__).parent, revops_tui.__version__)


def source_fingerprint(package: Path, version: str) -> str:
    """A digest of `version` and the (name, size, mtime) of every .py file under `package`."""
    stamps = sorted((str(p.relative_to(package)), *(file_stamp(p) or ())[1:]) for p in package.rglob("*.py"))
    return hashlib.sha256(json.dumps([version, stamps]).encode()).hexdigest()[:16]


def cache_key(settings: Settings, filters: Filters, signature: list | None) -> str | None:
    if signature is None:
        return None
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)
              if f.name not in ("targets_file", "read_only", "refresh_seconds", "config_path")}
    if settings.as_of == "today":
        fields["as_of"] = dt.date.today().isoformat()
    payload = json.dumps([FORMAT, code_fingerprint(), fields, filters.as_dict(), signature], default=str,
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def to_json(results: Results) -> dict:
    return {
        "as_of": results.as_of.isoformat(), "months": results.months, "partial": results.partial,
        "filters": results.filters.as_dict(), "problems": results.problems, "errors": results.errors,
        "kpis": {k: {"value": r.value, "series": r.series, "available": r.available, "reason": r.reason,
                     "not_filtered_by": list(r.not_filtered_by), "filtered_by": list(r.filtered_by)}
                 for k, r in results.kpis.items()},
    }


def from_json(doc: dict) -> Results:
    kpis = {
        k: KpiResult(CATALOG[k], v["value"], doc["partial"], [tuple(p) for p in v["series"]], v["available"],
                     v["reason"], tuple(v["not_filtered_by"]), tuple(v["filtered_by"]))
        for k, v in doc["kpis"].items() if k in CATALOG
    }
    return Results(dt.date.fromisoformat(doc["as_of"]), doc["months"], doc["partial"],
                   Filters.of(**doc["filters"]), kpis, doc["problems"], doc["errors"])


def write_cache_file(path: Path, text: str) -> bool:
    """Write a cache file whole or not at all (a temporary file renamed over it); False when it
    cannot be written: a cache that cannot be written only costs speed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False


class ResultsCache:
    """Memory (a few recent keys) in front of one JSON file per key in the cache folder."""

    def __init__(self, folder: Path | None = None, keep: int = 16):
        if folder is None:
            from platformdirs import user_cache_dir

            folder = Path(user_cache_dir("revops-tui")) / "results"
        self.folder = folder
        self.keep = keep
        self._memory: OrderedDict[str, Results] = OrderedDict()

    def get(self, key: str | None) -> Results | None:
        if key is None:
            return None
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        try:
            results = from_json(json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no entry, or one from another version: recompute
        self._remember(key, results)
        return results

    def saved_at(self, key: str | None) -> dt.datetime | None:
        """When the results under this key were written to the cache folder (None: not there)."""
        if key is None:
            return None
        try:
            return dt.datetime.fromtimestamp((self.folder / f"{key}.json").stat().st_mtime)
        except OSError:
            return None

    def put(self, key: str | None, results: Results) -> None:
        if key is None:
            return
        self._remember(key, results)
        write_cache_file(self.folder / f"{key}.json", json.dumps(to_json(results)))

    def memo_path(self, settings: Settings) -> Path | None:
        """Where the workspace saves the engine's small results (kpis.memo) for this data folder;
        None for an object store (its tables have no versions, nothing is kept)."""
        if is_url(settings.data):
            return None
        folder = str(Path(settings.data).resolve())
        return self.folder / "memo" / f"{hashlib.sha256(folder.encode()).hexdigest()[:32]}.json"

    def _remember(self, key: str, results: Results) -> None:
        self._memory[key] = results
        self._memory.move_to_end(key)
        while len(self._memory) > self.keep:
            self._memory.popitem(last=False)
