"""The month calendar: the months shown, the 12 before them, and E(M) for each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

# M-12 (nrr, grr) and the 12-month windows (clv, cac12) reach 12 months before the first month shown;
# rule 1 says they are computed from the data all the same.
MONTHS_BEFORE = 12


@dataclass(frozen=True)
class Month:
    idx: int  # position in the calendar; M-1 is idx - 1
    label: str  # "YYYY-MM", as in the report
    first: dt.date
    end: dt.date  # E(M): the last day of M, or the as-of day in the as-of month (rule 1)


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    n = year * 12 + month - 1 + delta
    return n // 12, n % 12 + 1


def month_start(day: dt.date, delta: int = 0) -> dt.date:
    """The first day of the month `delta` months after the one holding `day`."""
    return dt.date(*_shift(day.year, day.month, delta), 1)


def calendar(as_of: dt.date, shown: int) -> list[Month]:
    """The `shown` months ending with the as-of month, preceded by MONTHS_BEFORE more."""
    months = []
    total = shown + MONTHS_BEFORE
    for idx in range(total):
        year, month = _shift(as_of.year, as_of.month, idx - total + 1)
        first = dt.date(year, month, 1)
        next_year, next_month = _shift(year, month, 1)
        end = min(dt.date(next_year, next_month, 1) - dt.timedelta(days=1), as_of)
        months.append(Month(idx, f"{year:04d}-{month:02d}", first, end))
    return months


def register_months(con: duckdb.DuckDBPyConnection, as_of: dt.date, shown: int) -> list[Month]:
    """Table months(idx, label, first, e); returns the calendar, the shown months being the last `shown`."""
    months = calendar(as_of, shown)
    con.execute("CREATE OR REPLACE TEMP TABLE months (idx INTEGER, label VARCHAR, first DATE, e DATE)")
    con.executemany("INSERT INTO months VALUES (?, ?, ?, ?)", [(m.idx, m.label, m.first, m.end) for m in months])
    return months
