"""Stopping superseded work between queries (no Polars or Textual import: the TUI imports it
before the data libraries are needed)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator


class Cancelled(Exception):
    """The work was superseded (a newer reload or filter change): its result is not wanted."""


_stop = threading.local()


@contextmanager
def stop_when(check: Callable[[], bool]) -> Iterator[None]:
    """In this thread, make check_stop() raise Cancelled once `check()` is true.

    A running Polars query cannot be interrupted, but the engine collects in batches and
    looks between them: superseded work stops within one batch instead of running on and
    taking the cores from the work that replaced it.
    """
    previous = getattr(_stop, "check", None)
    _stop.check = check
    try:
        yield
    finally:
        _stop.check = previous


def check_stop() -> None:
    check = getattr(_stop, "check", None)
    if check is not None and check():
        raise Cancelled
