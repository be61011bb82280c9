"""Collecting many lazy frames at once, without one bad input spoiling the others."""

from __future__ import annotations

import os

import polars as pl
from polars.exceptions import PanicException

from revops_tui.cancel import check_stop

# What a failing query raises: an exception, or a panic inside Polars (pyo3's PanicException
# derives from BaseException, so `except Exception` lets it end the whole compute), seen with a
# file truncated under a scan that had read its metadata.
QUERY_FAILURES = (Exception, PanicException)

# Frames collected at once. Polars runs the queries of one collect_all side by side, each
# with its own hash tables; beyond about two per core that buys no speed and multiplies
# memory (1M customers: all Data Quality checks at once peak at 1.1 GB, four at a time at
# 0.45 GB in the same time). See bench/RESULTS.md.
BATCH = 2 * (os.cpu_count() or 2)


def collect_each(
    frames: list[pl.LazyFrame], batch: int = BATCH
) -> tuple[dict[int, pl.DataFrame], dict[int, BaseException]]:
    """Collect the frames, `batch` at a time; when a batch fails, each of its frames alone,
    so a corrupt file spoils only the frames that read it. Returns results and exceptions
    by position."""
    done: dict[int, pl.DataFrame] = {}
    failed: dict[int, BaseException] = {}
    for start in range(0, len(frames), batch):
        check_stop()
        chunk = frames[start:start + batch]
        try:
            done.update(zip(range(start, start + len(chunk)), pl.collect_all(chunk)))
            continue
        except QUERY_FAILURES:
            pass
        for i, lf in enumerate(chunk, start):
            try:
                done[i] = lf.collect()
            except QUERY_FAILURES as exc:  # corrupt page, schema drift between files, ...
                failed[i] = exc
    return done, failed


def first_line(exc: BaseException) -> str:
    """An exception's message, first line only (Polars appends query plans)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
