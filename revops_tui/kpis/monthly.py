"""Small building blocks for month-indexed series (k = 0..K-1) as LazyFrames."""

from __future__ import annotations

import polars as pl

from revops_tui.kpis.calendar import Calendar


def join_months(left: pl.LazyFrame, *parts: pl.LazyFrame) -> pl.LazyFrame:
    """Left-join month-indexed parts on k, sorted by k (joins do not keep row order)."""
    for part in parts:
        left = left.join(part, on="k", how="left")
    return left.sort("k")


def dense(cal: Calendar, *parts: pl.LazyFrame, fill_zero: bool = True) -> pl.LazyFrame:
    """All months k of the window, left-joined with each part (columns k + values)."""
    out = join_months(cal.frame().select("k"), *parts)
    return out.with_columns(pl.exclude("k").fill_null(0)) if fill_zero else out


def per_month(lf: pl.LazyFrame, k: pl.Expr, *aggs: pl.Expr, **named: pl.Expr) -> pl.LazyFrame:
    """Aggregate the rows whose k (null = outside the window) is set, by month."""
    return lf.with_columns(k.alias("k")).filter(pl.col("k").is_not_null()).group_by("k").agg(*aggs, **named)


def over_ranges(cal: Calendar, lf: pl.LazyFrame, lo: str, hi: str, values: dict[str, pl.Expr]) -> pl.LazyFrame:
    """Sum of each value over the rows whose half-open month range [lo, hi) holds k.

    A difference array: +value at lo, -value at hi, cumulative sum over months.
    Rows are never expanded to one row per month.
    """
    rows = lf.select(pl.col(lo).alias("_lo"), pl.col(hi).alias("_hi"), **values).filter(
        pl.col("_lo") < pl.col("_hi")
    )
    names = list(values)
    up = rows.group_by("_lo").agg(pl.col(names).sum()).rename({"_lo": "k"})
    down = rows.group_by("_hi").agg((-pl.col(names)).sum()).rename({"_hi": "k"})
    steps = pl.concat([up, down]).group_by("k").agg(pl.col(names).sum())
    return dense(cal, steps).with_columns(pl.col(names).cum_sum())


def ratio(num: pl.Expr, den: pl.Expr, scale: float = 1.0) -> pl.Expr:
    """num / den x scale; null (no value) when den is 0 or null."""
    return pl.when(den != 0).then(num / den * scale).otherwise(None)


def rolling(expr: pl.Expr, months: int) -> pl.Expr:
    """Sum over the `months` months ending with k (fewer at the start of the window)."""
    return expr.rolling_sum(window_size=months, min_samples=1)


def lag(expr: pl.Expr, n: int = 1) -> pl.Expr:
    return expr.shift(n)


# Window functions over many small groups (`.over(customer_id)` with tens of thousands of
# customers) are slow in Polars; on a frame sorted by the key the same results come from
# plain shifts and a global running sum, which are fast and exact for integers.


def shift_within(expr: pl.Expr, key: str, n: int = 1, fill: object = None) -> pl.Expr:
    """expr.shift(n).over(key) on a frame sorted by key."""
    same = pl.col(key) == pl.col(key).shift(n)
    return pl.when(same.fill_null(False)).then(expr.shift(n)).otherwise(pl.lit(fill))


def cum_sum_within(expr: pl.Expr, key: str) -> pl.Expr:
    """expr.cum_sum().over(key) on a frame sorted by key (expr integer, so exact)."""
    total = expr.cum_sum()
    first = (pl.col(key) != pl.col(key).shift(1)).fill_null(True)
    return total - pl.when(first).then(total - expr).otherwise(None).forward_fill()


def last_of_run(*keys: str) -> pl.Expr:
    """On a frame sorted by `keys`: the row is the last of its run of equal keys."""
    return pl.any_horizontal(pl.col(k) != pl.col(k).shift(-1) for k in keys).fill_null(True)
