"""Watching the data folder, config.toml and the targets file (watchfiles), without Textual.

A multi-file export lands as one refresh: changes are collected until the folder has been
quiet for `debounce_ms` (about a second), then reported together, sorted into what they touch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from watchfiles import watch

from revops_tui.config import Settings, is_url

POLL_MS = 200  # how often the quiet time, config/targets and the data folder's identity are checked
STEP_MS = 50  # watchfiles' own grouping of events (our debounce is on top of it)


@dataclass(frozen=True)
class Touched:
    data: bool = False
    config: bool = False
    targets: bool = False
    paths: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.data or self.config or self.targets


def watched_paths(settings: Settings) -> list[Path]:
    """The data folder (watched recursively); empty for object-store data."""
    if is_url(settings.data):
        return []
    folder = Path(settings.data).resolve()
    return [folder] if folder.exists() else []


def _stat(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def classify(paths: set[str] | list[str], settings: Settings) -> Touched:
    """Which of data, config and targets a set of changed paths touches (temp and lock files ignored)."""
    data = None if is_url(settings.data) else Path(settings.data).resolve()
    config = Path(settings.config_path).resolve() if settings.config_path else None
    targets = Path(settings.targets_file).resolve()
    touched = {"data": False, "config": False, "targets": False}
    for raw in paths:
        path = Path(raw).resolve()
        if data is not None and (path == data or data in path.parents) and path.suffix == ".parquet":
            touched["data"] = True
        elif config is not None and path == config:
            touched["config"] = True
        elif path == targets:
            touched["targets"] = True
    return Touched(**touched, paths=tuple(sorted(paths)))


def _identity(settings: Settings) -> tuple[str, int, int] | None:
    """What the data path points at now: a folder swapped in by a rename or a symlink changes it."""
    if is_url(settings.data):
        return None
    try:
        folder = Path(settings.data).resolve()
        st = folder.stat()
    except OSError:
        return None
    return str(folder), st.st_dev, st.st_ino


def changes(settings: Settings, stop: threading.Event, debounce_ms: int = 1000,
            max_wait_ms: int = 4000) -> Iterator[Touched]:
    """Yield what changed, debounced, until `stop` is set (blocking: run it in a thread).

    Data changes are held until the folder has been quiet for `debounce_ms`, or at most
    `max_wait_ms` after the first one (a continuous stream of writes still refreshes).
    The data folder is watched with inotify (watchfiles); config.toml and the targets file are
    checked by a cheap stat every fifth of a second (their folders may be large, e.g. a repository
    with a virtualenv, and a safe save replaces the file rather than writing into it). So is the
    data folder's identity: inotify follows the inode, so when another folder is renamed or
    symlinked into its place the watch restarts on it (and the data is reported changed).
    """
    files = {"config": settings.config_path, "targets": settings.targets_file}
    seen = {name: _stat(path) for name, path in files.items()}
    folder = _identity(settings)

    def files_changed() -> Touched:
        touched = {}
        for name, path in files.items():
            now = _stat(path)
            touched[name] = now != seen[name]
            seen[name] = now
        return Touched(config=touched["config"], targets=touched["targets"],
                       paths=tuple(str(files[n]) for n, t in touched.items() if t))

    while not stop.is_set():
        pending: set[str] = set()
        first = last = 0.0
        swapped = False
        paths = watched_paths(settings)
        # Without a folder to watch (an object store, or not there yet), polling alone.
        batches = (watch(*paths, debounce=POLL_MS, step=STEP_MS, stop_event=stop, recursive=True,
                         raise_interrupt=False, rust_timeout=POLL_MS, yield_on_timeout=True)
                   if paths else _ticks(stop))
        with closing(batches):
            for batch in batches:
                now = time.monotonic()
                if batch:
                    pending |= {p for _, p in batch}
                    first, last = first or now, now
                current = _identity(settings)
                swapped = current != folder
                folder = current
                extra = files_changed()
                touched = classify(pending, settings)
                due = bool(pending) and (now - last >= debounce_ms / 1000 or now - first >= max_wait_ms / 1000)
                flush = due or swapped
                if swapped or extra or (touched and due):
                    # config/targets are reported at once; data still settling waits for its quiet time
                    yield Touched(data=swapped or (touched.data and flush), config=extra.config,
                                  targets=extra.targets, paths=(touched.paths if flush else ()) + extra.paths)
                if flush:
                    pending, first, last = set(), 0.0, 0.0
                if swapped or stop.is_set():
                    break
        if not swapped:
            return


def _ticks(stop: threading.Event) -> Iterator[set]:
    while not stop.wait(POLL_MS / 1000):
        yield set()
