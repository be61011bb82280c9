"""Marketing Ops KPIs: leads, conversion, marketing pipeline (new_mrr and marketing_cac use the base frame)."""

from __future__ import annotations

import polars as pl

from revops_tui.kpis.calendar import Calendar
from revops_tui.kpis.monthly import per_month


def leads(leads_lf: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """new_leads and the converted count of the month's cohort (rule 6: whatever the conversion date)."""
    return per_month(
        leads_lf,
        cal.in_month(pl.col("created_at")),
        new_leads=pl.len(),
        converted=pl.col("converted_at").is_not_null().cast(pl.Int64).sum(),
    )


def pipeline_generated(opps: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    return per_month(
        opps.filter(pl.col("lead_id").is_not_null()),
        cal.in_month(pl.col("created_at")),
        pipeline_generated=pl.col("amount").fill_nan(0.0).sum(),
    )
