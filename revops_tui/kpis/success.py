"""Customer Success Ops KPIs: NPS, adoption, tickets, resolution time (book growth and retention cost use the base frame)."""

from __future__ import annotations

import polars as pl

from revops_tui.kpis.calendar import Calendar
from revops_tui.kpis.subscriptions import CustomerMrr, intervals
from revops_tui.kpis.monthly import per_month


def nps(responses: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """% promoters (9-10) - % detractors (0-6); out-of-range scores stay in the denominator (rule 3)."""
    score = pl.col("score")
    return per_month(
        responses,
        cal.in_month(pl.col("responded_at")),
        nps_n=pl.len(),
        nps_net=(score.is_between(9, 10).cast(pl.Int64) - score.is_between(0, 6).cast(pl.Int64)).sum(),
    )


BITS = 62  # months per usage bitmask word (an Int64 holds 63 bits; one spare)


def words(cal: Calendar) -> int:
    return (cal.size + BITS - 1) // BITS


def _word_bits(cal: Calendar, word: int) -> list[int]:
    """For each month k: its bit in mask `word` (2 ** (k % BITS)), or 0 for another word's month."""
    return [2 ** (k % BITS) if k // BITS == word else 0 for k in range(cal.size)]


def usage_by_customer(usage: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """customer_id, rows, mask0.. : one row per customer_id of usage (null included).

    Usage is the largest table (tens of millions of rows), so it is read once and folded
    into what every consumer needs: `rows` (all its rows, for the customer reference check
    of Data Quality) and bitmasks of the months with active_users > 0 (bit m % BITS of
    word m // BITS set: used the product in window month m; for product_adoption).
    """
    used = pl.col("active_users") > 0
    bits = {
        f"_b{w}": pl.when(used).then(cal.by_month(pl.col("date"), _word_bits(cal, w))).otherwise(0).fill_null(0)
        for w in range(words(cal))
    }
    # The bits as columns first: an expression inside the aggregation would leave the streaming engine.
    return (
        usage.select("customer_id", **bits)
        .group_by("customer_id")
        .agg(rows=pl.len(), **{f"mask{w}": pl.col(f"_b{w}").bitwise_or() for w in range(words(cal))})
    )


def adoption(by_customer: pl.LazyFrame, mrr: CustomerMrr, cal: Calendar) -> pl.LazyFrame:
    """Customers active at E(k) with active_users > 0 on a usage day in k (rule 17).

    `by_customer` is usage_by_customer(): the masks are matched with each customer's
    active intervals, one cheap expression per month.
    """
    masks = by_customer.pipe(mrr.to_cid)  # the inner join drops the null customer_id
    active = intervals(mrr.changes, cal).filter(pl.col("v") > 0).select("cid", "k_from", "k_to")
    rows = active.join(masks, on="cid")
    per_month_counts = [
        (
            (pl.col("k_from") <= m)
            & (pl.col("k_to") > m)
            & ((pl.col(f"mask{m // BITS}") // (2 ** (m % BITS))) % 2 == 1)
        ).sum().alias(str(m))
        for m in range(cal.size)
    ]
    return (
        rows.select(per_month_counts)
        .unpivot(variable_name="k", value_name="adopting")
        .select(pl.col("k").cast(pl.Int32), pl.col("adopting").cast(pl.Int64))
    )


def tickets(tickets_lf: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    return per_month(tickets_lf, cal.in_month(pl.col("created_at")), support_tickets=pl.len())


def resolution(tickets_lf: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """Median hours over tickets resolved in M, from the full timestamps (rules 2 and 18)."""
    hours = (pl.col("resolved_at_ts") - pl.col("created_at_ts")).dt.total_microseconds() / 3.6e9
    return per_month(
        tickets_lf.filter(pl.col("resolved_at").is_not_null()),
        cal.in_month(pl.col("resolved_at")),
        resolution_hours=hours.median(),
    )
