"""Customer Success Ops KPIs: NPS, adoption, tickets, resolution time (book growth and retention cost use the base frame)."""

from __future__ import annotations

import polars as pl

from revops_tui.kpis.calendar import Calendar
from revops_tui.kpis.subscriptions import CustomerMrr
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


def adoption(usage: pl.LazyFrame, mrr: CustomerMrr, cal: Calendar) -> pl.LazyFrame:
    """Customers active at E(k) with active_users > 0 on a usage day in k (rule 17)."""
    used = (
        usage.filter(pl.col("active_users") > 0)
        .select("customer_id", k=cal.in_month(pl.col("date")))
        .filter(pl.col("k").is_not_null())
        .unique()
        .pipe(mrr.to_cid)
        .sort("k")
    )
    month_end_mrr = mrr.changes.select("cid", "k", "b").sort("k")
    matched = used.join_asof(month_end_mrr, on="k", by="cid", strategy="backward")
    return matched.filter(pl.col("b") > 0).group_by("k").agg(adopting=pl.len())


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
