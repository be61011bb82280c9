"""Watching the data folder, config.toml and the targets file (watchfiles), without Textual.

A multi-file export lands as one refresh: changes are collected until the folder has been
quiet for `debounce_ms` (about a second), then reported together, sorted into what they touch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from watchfiles import watch

from revops_tui.config import Settings


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
    if isinstance(settings.data, str) and "://" in settings.data:
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
    data = None if isinstance(settings.data, str) and "://" in settings.data else Path(settings.data).resolve()
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


def changes(settings: Settings, stop: threading.Event, debounce_ms: int = 1000) -> Iterator[Touched]:
    """Yield what changed, debounced, until `stop` is set (blocking: run it in a thread).

    The data folder is watched with inotify (watchfiles); config.toml and the targets file are
    checked by a cheap stat every half second (their folders may be large, e.g. a repository
    with a virtualenv, and a safe save replaces the file rather than writing into it).
    """
    files = {"config": settings.config_path, "targets": settings.targets_file}
    seen = {name: _stat(path) for name, path in files.items()}

    def files_changed() -> Touched:
        touched = {}
        for name, path in files.items():
            now = _stat(path)
            touched[name] = now != seen[name]
            seen[name] = now
        return Touched(config=touched["config"], targets=touched["targets"],
                       paths=tuple(str(files[n]) for n, t in touched.items() if t))

    paths = watched_paths(settings)
    if not paths:
        while not stop.wait(0.5):
            touched = files_changed()
            if touched:
                yield touched
        return
    for batch in watch(*paths, debounce=debounce_ms, step=100, stop_event=stop, recursive=True,
                       raise_interrupt=False, rust_timeout=500, yield_on_timeout=True):
        touched = classify({p for _, p in batch}, settings)
        extra = files_changed()
        if touched or extra:
            yield Touched(data=touched.data, config=extra.config, targets=extra.targets,
                          paths=touched.paths + extra.paths)
