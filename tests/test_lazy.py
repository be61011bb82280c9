"""collect_each: a frame whose query fails, even by a panic inside Polars, spoils only itself."""

from __future__ import annotations

import polars as pl
from polars.exceptions import PanicException

from revops_tui import lazy


def test_a_panic_fails_only_its_frame(monkeypatch):
    bad = pl.LazyFrame({"x": [1]})
    good = pl.LazyFrame({"x": [2]})
    real_collect = pl.LazyFrame.collect

    def collect(self, *args, **kwargs):
        if self is bad:  # what Polars raises for a file truncated under its scan
            raise PanicException("range end out of bounds")
        return real_collect(self, *args, **kwargs)

    def collect_all(frames, *args, **kwargs):
        return [f.collect() for f in frames]

    monkeypatch.setattr(pl.LazyFrame, "collect", collect)
    monkeypatch.setattr(pl, "collect_all", collect_all)
    done, failed = lazy.collect_each([good, bad, good])
    assert sorted(done) == [0, 2] and done[0]["x"].to_list() == [2]
    assert list(failed) == [1] and isinstance(failed[1], PanicException)
