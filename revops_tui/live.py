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
    """Folders to watch: the data folder and the folders of the config and targets files
    (their folders, since a safe save replaces the file rather than writing into it)."""
    paths: list[Path] = []
    if not (isinstance(settings.data, str) and "://" in settings.data):
        paths.append(Path(settings.data))
    for file in (settings.config_path, settings.targets_file):
        if file is not None:
            paths.append(Path(file).resolve().parent)
    unique: list[Path] = []
    for path in paths:
        resolved = path.resolve()
        if resolved.exists() and resolved not in unique:
            unique.append(resolved)
    return unique


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
    """Yield what changed, debounced, until `stop` is set (blocking: run it in a thread)."""
    paths = watched_paths(settings)
    if not paths:
        return
    for batch in watch(*paths, debounce=debounce_ms, step=100, stop_event=stop, recursive=True,
                       raise_interrupt=False, rust_timeout=500, yield_on_timeout=False):
        touched = classify({p for _, p in batch}, settings)
        if touched:
            yield touched
