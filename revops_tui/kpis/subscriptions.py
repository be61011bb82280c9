"""Customer MRR from subscription change events: the frames most KPIs share.

MRR is handled in integer micro-units (1e-6 of the currency) so that running
sums of +mrr / -mrr events are exact and "compared exactly" (rule 7) is not at
the mercy of float rounding.
"""

from __future__ import annotations

import polars as pl

from revops_tui.kpis.calendar import Calendar
from revops_tui.kpis.monthly import cum_sum_within, shift_within

MICRO = 1_000_000


def to_micro(expr: pl.Expr) -> pl.Expr:
    return (expr.fill_nan(0.0).fill_null(0.0) * MICRO).round(0).cast(pl.Int64)


def from_micro(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Float64) / MICRO


def valid_rows(subs: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """Rows that can be active by the as-of day (rule 4: end_date <= start_date never is)."""
    return subs.filter(
        (pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("start_date")))
        & (pl.col("start_date") <= cal.as_of)
    )


def day_levels(subs: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """customer_id, date, level: MRR_c on `date` and every day up to its next row.

    One row per customer and day on which its MRR changes, up to the as-of day.
    """
    rows = valid_rows(subs, cal).select("customer_id", "start_date", "end_date", m=to_micro(pl.col("mrr")))
    starts = rows.select("customer_id", date=pl.col("start_date"), delta=pl.col("m"))
    ends = rows.filter(pl.col("end_date") <= cal.as_of).select(
        "customer_id", date=pl.col("end_date"), delta=-pl.col("m")
    )
    return (
        pl.concat([starts, ends])
        .group_by("customer_id", "date")
        .agg(pl.col("delta").sum())
        .sort("customer_id", "date")
        .with_columns(level=cum_sum_within(pl.col("delta"), "customer_id"))
        .drop("delta")
    )


def first_active(levels: pl.LazyFrame) -> pl.LazyFrame:
    """customer_id, first_day: the first day with MRR_c > 0 (rule 7: a 0-MRR trial is not it)."""
    return levels.filter(pl.col("level") > 0).group_by("customer_id").agg(first_day=pl.col("date").min())


def changes(levels: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """customer_id, k, a, b: MRR_c at E(k-1) and E(k) (micro), for the months where it differs.

    Between two rows a customer's month-end MRR stays b; before its first row it is 0.
    Month 0 also takes everything before the window.
    """
    return (
        levels.with_columns(k=cal.reached(pl.col("date")))
        .group_by("customer_id", "k")
        .agg(b=pl.col("level").sort_by("date").last())
        .sort("customer_id", "k")
        .with_columns(a=shift_within(pl.col("b"), "customer_id", 1, 0))
        .filter(pl.col("a") != pl.col("b"))
    )


def intervals(chg: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """customer_id, k_from, k_to, v: MRR_c(E(k)) = v for k in [k_from, k_to)."""
    return chg.sort("customer_id", "k").select(
        "customer_id",
        k_from=pl.col("k"),
        k_to=shift_within(pl.col("k"), "customer_id", -1, cal.size),
        v=pl.col("b"),
    )
