"""The oracle's result type and the arithmetic of 'no value' (kpis.md, notation and rule 5)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from tests.oracle.months import Month

Value = float | None
KpiValues = dict[str, dict[str, Value]]  # {kpi_id: {"YYYY-MM": value}}


def ratio(numerator: float | None, denominator: float | None) -> Value:
    """A quotient over a 0 (or missing) denominator is no value, never 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def percent(numerator: float | None, denominator: float | None) -> Value:
    value = ratio(numerator, denominator)
    return None if value is None else 100.0 * value


def by_idx(con: duckdb.DuckDBPyConnection, sql: str) -> dict[int, Any]:
    """Runs a query whose rows start with a month idx; {idx: the rest of the row (one value unwrapped)}."""
    rows = con.execute(sql).fetchall()
    return {row[0]: (row[1] if len(row) == 2 else row[1:]) for row in rows}


def shown_series(months: Sequence[Month], shown: int, value: Callable[[int], Value]) -> dict[str, Value]:
    """value(idx) for each of the last `shown` months, keyed by label; ints and Decimals become floats."""
    out = {}
    for month in months[-shown:]:
        v = value(month.idx)
        out[month.label] = None if v is None else float(v)
    return out
