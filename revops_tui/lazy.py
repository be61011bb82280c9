"""Collecting many lazy frames at once, without one bad input spoiling the others."""

from __future__ import annotations

import polars as pl


def collect_each(frames: list[pl.LazyFrame]) -> tuple[dict[int, pl.DataFrame], dict[int, Exception]]:
    """Collect all frames together (shared scans); when that fails, each alone, so a corrupt
    file spoils only the frames that read it. Returns results and exceptions by position."""
    try:
        return dict(enumerate(pl.collect_all(frames))), {}
    except Exception:
        done: dict[int, pl.DataFrame] = {}
        failed: dict[int, Exception] = {}
        for i, lf in enumerate(frames):
            try:
                done[i] = lf.collect()
            except Exception as exc:  # corrupt page, schema drift between files, ...
                failed[i] = exc
        return done, failed


def first_line(exc: BaseException) -> str:
    """An exception's message, first line only (Polars appends query plans)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
