"""Months of the window, E(M), and mapping dates to month indexes.

The engine works on an extended window: the shown months plus LOOKBACK months
before them, so that M-1, M-12 and the 12-month windows of the first shown
month come from the data (kpis.md rule 1). Month k runs from starts[k] to
ends[k] = E(k): the month's last day, or the as-of day for the last month.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass, field

import polars as pl

LOOKBACK = 12


def add_months(day: dt.date, n: int) -> dt.date:
    """First day of the month n months after day's month."""
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=_cal.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Calendar:
    as_of: dt.date
    shown: int  # months shown in every trend
    lookback: int = LOOKBACK
    starts: list[dt.date] = field(init=False)
    ends: list[dt.date] = field(init=False)

    def __post_init__(self) -> None:
        n = self.shown + self.lookback
        starts = [add_months(self.as_of, k - n + 1) for k in range(n)]
        ends = [month_end(s) for s in starts[:-1]] + [self.as_of]
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "ends", ends)

    @property
    def size(self) -> int:
        """K: the number of months in the extended window."""
        return len(self.starts)

    @property
    def first_shown(self) -> int:
        return self.lookback

    @property
    def partial(self) -> bool:
        """The as-of month is month to date unless the as-of day is its last day."""
        return self.as_of != month_end(self.as_of)

    def label(self, k: int) -> str:
        return self.starts[k].strftime("%Y-%m")

    def labels(self) -> list[str]:
        return [self.label(k) for k in range(self.first_shown, self.size)]

    def _day_months(self, last: dt.date) -> pl.Series:
        """k of each day from the window's first day to `last` (Int32, one entry per day)."""
        first = self.starts[0]
        days = pl.date_range(first, last, "1d", eager=True)
        return ((days.dt.year().cast(pl.Int32) * 12 + days.dt.month().cast(pl.Int32))
                - (first.year * 12 + first.month)).alias("k")

    def _day_number(self, expr: pl.Expr) -> pl.Expr:
        """The date's position in the _day_months tables (0 = the window's first day)."""
        return expr.cast(pl.Int32) - (self.starts[0] - dt.date(1970, 1, 1)).days

    def month_index(self, expr: pl.Expr) -> pl.Expr:
        """k of the calendar month holding the date: -1 before the window, K after its last month.

        A lookup by day number in a table of the window's days: much cheaper than taking
        year and month apart or a binary search, which matters over tens of millions of rows.
        """
        table = self._day_months(month_end(self.as_of))
        offset = self._day_number(expr)
        return (
            pl.when(offset < 0)
            .then(pl.lit(-1, dtype=pl.Int32))
            .when(offset >= len(table))
            .then(pl.lit(self.size, dtype=pl.Int32))
            .otherwise(pl.lit(table).gather(offset.clip(0, len(table) - 1)))
        )

    def by_month(self, expr: pl.Expr, values: list[int]) -> pl.Expr:
        """values[k] for a date in window month k (up to the as-of day), null outside the window.

        One lookup by day number, like month_index, with the value of each day's month
        already in the table (no per-row arithmetic on k).
        """
        table = pl.Series("v", values, dtype=pl.Int64).gather(self._day_months(self.as_of))
        offset = self._day_number(expr)
        return pl.when(offset.is_between(0, len(table) - 1)).then(pl.lit(table).gather(offset.clip(0, len(table) - 1)))

    def in_month(self, expr: pl.Expr) -> pl.Expr:
        """k of the window month the date is *in* (null outside the window or after as-of)."""
        return pl.when(expr.is_between(self.starts[0], self.as_of)).then(self.month_index(expr))

    def reached(self, expr: pl.Expr) -> pl.Expr:
        """The first k with E(k) >= date: 0 for dates before the window, K after as-of.

        So "date <= E(k)" is "k >= reached(date)" for every k, the partial month included.
        """
        return (
            pl.when(expr.is_null() | (expr > self.as_of))
            .then(pl.lit(self.size, dtype=pl.Int32))
            .otherwise(self.month_index(expr).clip(lower_bound=0))
            .cast(pl.Int32)
        )

    def frame(self) -> pl.LazyFrame:
        """One row per month k with its first day and E(k)."""
        return pl.LazyFrame(
            {"k": list(range(self.size)), "start": self.starts, "end": self.ends},
            schema={"k": pl.Int32, "start": pl.Date, "end": pl.Date},
        )
