"""Drill-down queries: the breakdown of a KPI's month and the records behind a number.

Breakdowns by a filter dimension (segment, region, channel, owner) re-run the
KPI with that one value added to the active filters, so a part of a number is
defined exactly as the number is. The rows with no value of the dimension are
parts of their own (filters.NO_VALUE, NO_CUSTOMER, UNKNOWN_CUSTOMER), so the
parts of a sum add up to it. Records are display-ready Polars frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import polars as pl

from revops_tui.config import Settings
from revops_tui.kpis import revenue, sales
from revops_tui.kpis import subscriptions as subs_frames
from revops_tui.kpis.calendar import Calendar
from revops_tui.kpis.catalog import ADDITIVE, CATALOG, DQ_IDS, MOVEMENT_NAMES
from revops_tui.kpis.engine import compute
from revops_tui.kpis.filters import NO_CUSTOMER, NO_VALUE, SENTINELS, UNKNOWN_CUSTOMER, filter_tables
from revops_tui.kpis.results import Filters
from revops_tui.loading import Tables

MOVEMENTS = MOVEMENT_NAMES
FILTER_DIMENSIONS = ("segment", "region", "channel", "owner")

CUSTOMER_KPIS = (
    "mrr", "arr", "revenue_growth", "nrr", "grr", "logo_churn_rate", "revenue_churn_rate", "renewal_rate",
    "revenue_backlog", "new_mrr", "book_growth", "product_adoption",
    "mrr_new", "mrr_reactivation", "mrr_expansion", "mrr_contraction", "mrr_churn",
)
OPEN_DEAL_KPIS = ("pipeline_open", "open_opportunities", "pipeline_velocity")
CLOSED_DEAL_KPIS = ("win_rate", "avg_deal_size", "sales_cycle_days", "quota_attainment")
LEAD_KPIS = ("new_leads", "lead_conversion_rate", "lead_to_sqo_rate")
TICKET_KPIS = ("support_tickets", "resolution_hours")
SPEND_KPIS = ("cac", "clv", "ltv_cac", "cac_payback", "marketing_cac", "retention_cost")


@dataclass(frozen=True)
class Scope:
    """What a drill-down query needs: the loaded tables, settings, as-of day and filters."""

    tables: Tables
    settings: Settings
    as_of: dt.date
    filters: Filters


def scope_of(snapshot) -> Scope:  # a session.Snapshot (not imported: the engine stays below the session)
    return Scope(snapshot.tables, snapshot.settings, snapshot.as_of, snapshot.results.filters)


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    value: float | None
    share: float | None  # % of the month's total; None for rates and means
    key: str | None = None  # the filter value behind the row when it is not the label (no value)

    @property
    def filter_value(self) -> str:
        """What narrows the records to this row (records(..., value=))."""
        return self.label if self.key is None else self.key


def value_label(dimension: str, value: str) -> str:
    """How a breakdown value reads; the rows without a value of the dimension are in parentheses."""
    labels = {NO_VALUE: f"(no {dimension})", NO_CUSTOMER: "(no customer)", UNKNOWN_CUSTOMER: "(unknown customer)"}
    return labels.get(value, value)


def dimensions(kpi_id: str) -> tuple[str, ...]:
    """The breakdown dimensions that apply to the KPI."""
    if kpi_id in DQ_IDS:
        return ("rule", "table")
    kpi = CATALOG[kpi_id]
    dims = tuple(d for d in FILTER_DIMENSIONS if kpi.filters[d] == "filtered")
    if kpi_id in ("pipeline_open", "open_opportunities"):
        dims += ("stage",)
    return dims


def _months_through(scope: Scope, month: str) -> int:
    """How many months a window ending with the as-of month needs to hold `month`."""
    year, mon = (int(p) for p in month.split("-"))
    dt.date(year, mon, 1)  # a month that does not exist raises ValueError here
    shown = (scope.as_of.year - year) * 12 + scope.as_of.month - mon + 1
    if shown < 1:
        raise ValueError(f"month {month} is after the as-of day {scope.as_of}")
    return shown


def _calendar(scope: Scope, month: str) -> tuple[Calendar, int]:
    cal = Calendar(scope.as_of, _months_through(scope, month))
    return cal, cal.first_shown  # the picked month is the first shown one


def _by_customer(kpi_id: str, dimension: str) -> bool:
    """Whether the dimension is read from the customer of each row (not from the row itself)."""
    if dimension == "owner" or (dimension == "channel" and kpi_id in LEAD_KPIS):
        return False
    return not (dimension == "channel" and CATALOG[kpi_id].filters["owner"] == "filtered")  # a deal's channel


def _dimension_values(scope: Scope, kpi_id: str, dimension: str) -> list[str]:
    """The dimension's values, then the filter values of the rows without one (see breakdown)."""
    frames = scope.tables.frames
    if dimension == "owner":
        sources = [frames[t].select("owner") for t in ("opportunities", "quotas") if t in frames]
    elif not _by_customer(kpi_id, dimension):
        table = "leads" if kpi_id in LEAD_KPIS else "opportunities"
        sources = [frames[table].select("channel")] if table in frames else []
    else:
        sources = [frames["customers"].select(dimension)] if "customers" in frames else []
    if not sources:
        return []
    values = pl.concat(sources).unique().collect().to_series().to_list()
    chosen = getattr(scope.filters, dimension)
    if chosen:  # a null never matches the user's filter: no row without a value is in the KPI
        return sorted(v for v in values if v in chosen)
    missing = [NO_VALUE] if None in values else []
    # Rows without a customer have no value of any customer dimension: none is left when the
    # user filters by another one.
    other_filter = any(getattr(scope.filters, d) for d in FILTER_DIMENSIONS if _by_customer(kpi_id, d))
    if _by_customer(kpi_id, dimension) and not other_filter:
        missing += [NO_CUSTOMER, UNKNOWN_CUSTOMER]
    return sorted(v for v in values if v is not None) + missing


def breakdown(
    scope: Scope, kpi_id: str, month: str, dimension: str, total: float | None = None
) -> list[BreakdownRow]:
    """The KPI's value in `month` per value of the dimension, with each part's share of `total`.

    `total` is the KPI's value in `month` under the scope's filters (computed when not given).
    The rows without a value of the dimension (a null segment, an orphan customer_id, a deal
    without a customer) form rows of their own, shown when they hold anything: a sum's parts then
    add up to it, and a share is of the whole, so the shares add up to 100% only when they do.
    """
    if dimension in ("rule", "table"):
        return _quality_breakdown(scope, kpi_id, dimension)
    shown = _months_through(scope, month)
    if total is None and kpi_id in ADDITIVE:
        whole = compute(scope.tables, scope.settings, scope.as_of, shown, scope.filters, only=(kpi_id,))[kpi_id]
        total = dict(whole.series).get(month)
    if dimension == "stage":
        return _stage_breakdown(scope, kpi_id, month, total)
    rows = []
    for value in _dimension_values(scope, kpi_id, dimension):
        narrowed = replace(scope.filters, **{dimension: frozenset({value})})
        result = compute(scope.tables, scope.settings, scope.as_of, shown, narrowed, only=(kpi_id,))[kpi_id]
        part = dict(result.series).get(month)
        if value not in SENTINELS:
            rows.append(BreakdownRow(value, part, None))
        elif part is not None and (part != 0 or kpi_id not in ADDITIVE):  # no such rows: no row
            rows.append(BreakdownRow(value_label(dimension, value), part, None, key=value))
    return _with_shares(kpi_id, rows, total)


def _with_shares(kpi_id: str, rows: list[BreakdownRow], total: float | None) -> list[BreakdownRow]:
    """Each part's share of the whole, for sums and counts (rates and means do not add up)."""
    if kpi_id not in ADDITIVE or not total:
        return rows
    return [replace(r, share=(r.value or 0) / total * 100) for r in rows]


def _stage_breakdown(scope: Scope, kpi_id: str, month: str, total: float | None) -> list[BreakdownRow]:
    # open_deals keeps the deals of the KPI (an open stage, which a null stage is not): every
    # deal has a stage, so the stages add up to the whole.
    deals = open_deals(scope, month).group_by("stage").agg(amount=pl.col("amount").sum(), count=pl.len())
    df = deals.collect().sort("stage")
    column = "amount" if kpi_id == "pipeline_open" else "count"
    rows = [BreakdownRow(s, float(v), None) for s, v in zip(df["stage"], df[column])]
    return _with_shares(kpi_id, rows, total)


def _quality_breakdown(scope: Scope, kpi_id: str, dimension: str) -> list[BreakdownRow]:
    from revops_tui.kpis.quality import quality_report

    report = quality_report(scope.tables.frames, scope.settings, scope.as_of, problems=scope.tables.problems)
    score = kpi_id.removeprefix("dq_")
    checks = [c for c in report.checks if kpi_id == "crm_quality" or c.score == score]
    groups: dict[str, list[int]] = {}
    for check in checks:
        key = check.rule if dimension == "rule" else check.table
        tally = groups.setdefault(key, [0, 0])
        tally[0] += check.checked
        tally[1] += check.failed
    failures = sum(f for _, f in groups.values())
    return [
        BreakdownRow(key, (checked - failed) / checked * 100 if checked else None,
                     failed / failures * 100 if failures else None)
        for key, (checked, failed) in sorted(groups.items())
    ]


# ----------------------------------------------------------------------------- records


def _frames(scope: Scope) -> dict[str, pl.LazyFrame]:
    frames, _ = filter_tables(scope.tables, scope.filters)
    return frames


def _narrow(scope: Scope, dimension: str | None, value: str | None) -> Scope:
    if dimension in FILTER_DIMENSIONS and value is not None:
        return replace(scope, filters=replace(scope.filters, **{dimension: frozenset({value})}))
    return scope


def customer_rows(scope: Scope, month: str, movement: str | None = None) -> pl.LazyFrame:
    """Customers with MRR at E(M-1) or E(M): MRR from -> to and their movement."""
    frames = _frames(scope)
    if "subscriptions" not in frames:
        raise LookupError(scope.tables.problems.get("subscriptions", "subscriptions unavailable"))
    cal, k = _calendar(scope, month)
    mrr = subs_frames.customer_mrr(frames["subscriptions"], cal)
    chg = mrr.changes.filter(pl.col("k") <= k)
    moves = revenue.classify_movements(chg.filter(pl.col("k") == k), subs_frames.first_active(mrr.levels), cal)
    at = (
        chg.sort("k")
        .group_by("cid")
        .agg(
            mrr_to=pl.col("b").last(),
            mrr_from=pl.when(pl.col("k").last() == k).then(pl.col("a").last()).otherwise(pl.col("b").last()),
        )
        .filter((pl.col("mrr_from") != 0) | (pl.col("mrr_to") != 0))
        .join(moves.select("cid", "movement"), on="cid", how="left")
    )
    if movement:
        at = at.filter(pl.col("movement") == movement)
    out = mrr.with_ids(at).select(
        "customer_id",
        mrr_from=subs_frames.from_micro(pl.col("mrr_from")),
        mrr_to=subs_frames.from_micro(pl.col("mrr_to")),
        change=subs_frames.from_micro(pl.col("mrr_to") - pl.col("mrr_from")),
        movement=pl.col("movement").fill_null(""),
    )
    if "customers" in scope.tables.frames:
        info = scope.tables.frames["customers"].select("customer_id", "name", "segment", "region", "channel")
        out = out.join(info.unique("customer_id", keep="first"), on="customer_id", how="left")
    return out.sort("change", "customer_id", descending=[True, False], nulls_last=True)


def open_deals(scope: Scope, month: str) -> pl.LazyFrame:
    """Deals in an open stage at E(M): their latest stage-history row."""
    frames = _frames(scope)
    if "opportunity_history" not in frames:
        raise LookupError(scope.tables.problems.get("opportunity_history", "opportunity_history unavailable"))
    cal, k = _calendar(scope, month)
    end = cal.ends[k]
    rows = (
        sales.history_rows(frames["opportunity_history"], scope.settings)
        .filter((pl.col("changed_at") <= end) & (pl.col("next_change").is_null() | (pl.col("next_change") > end)))
        .filter(pl.col("is_open"))
        .select("opportunity_id", "stage", "amount", stage_since=pl.col("changed_at"))
    )
    if "opportunities" in scope.tables.frames:
        info = scope.tables.frames["opportunities"].select(
            "opportunity_id", "owner", "customer_id", "type", "channel", "created_at"
        ).unique("opportunity_id", keep="first")
        rows = rows.join(info, on="opportunity_id", how="left")
    return rows.sort("amount", "opportunity_id", descending=[True, False], nulls_last=True)


def _closed_deals(scope: Scope, month: str, kpi_id: str) -> pl.LazyFrame:
    frames = _frames(scope)
    if "opportunities" not in frames:
        raise LookupError(scope.tables.problems.get("opportunities", "opportunities unavailable"))
    cal, k = _calendar(scope, month)
    s = scope.settings
    stages = list(s.won_stages) + ([] if kpi_id in ("avg_deal_size", "sales_cycle_days", "quota_attainment") else list(s.lost_stages))
    deals = frames["opportunities"].filter(pl.col("stage").is_in(stages) & (cal.in_month(pl.col("closed_at")) == k))
    if kpi_id == "quota_attainment":
        deals = deals.filter(pl.col("type").is_in(["new_business", "expansion"]))
    return deals.select(
        "opportunity_id", "owner", "customer_id", "type", "stage", "amount", "created_at", "closed_at",
        days=(pl.col("closed_at") - pl.col("created_at")).dt.total_days(),
    ).sort("closed_at", "opportunity_id", nulls_last=True)


def _month_rows(scope: Scope, table: str, month: str, date_col: str, columns: list[str]) -> pl.LazyFrame:
    frames = _frames(scope)
    if table not in frames:
        raise LookupError(scope.tables.problems.get(table, f"{table} unavailable"))
    cal, k = _calendar(scope, month)
    # Every column breaks ties: the rows keep one order from one load of the same data to the next.
    return (frames[table].filter(cal.in_month(pl.col(date_col)) == k)
            .sort(date_col, *(c for c in columns if c != date_col), nulls_last=True).select(columns))


def records(
    scope: Scope, kpi_id: str, month: str, *, dimension: str | None = None, value: str | None = None,
    detail: str | None = None, column: str | None = None,
) -> pl.DataFrame:
    """The rows behind the KPI's number in `month` (narrowed by a breakdown row and a detail)."""
    scope = _narrow(scope, dimension, value)
    if kpi_id in DQ_IDS:
        from revops_tui.kpis.quality import failing_records

        score = None if kpi_id in ("crm_quality", "dq_freshness") else kpi_id.removeprefix("dq_")
        rule = detail or (value if dimension == "rule" else None)
        table = value if dimension == "table" else None
        return failing_records(
            scope.tables.frames, scope.settings, scope.as_of, score=score, table=table, rule=rule, column=column
        ).collect()
    if kpi_id in CUSTOMER_KPIS or kpi_id in ("nps",):
        if kpi_id == "nps":
            lf = _month_rows(scope, "nps_responses", month, "responded_at",
                             ["response_id", "customer_id", "responded_at", "score"])
        else:
            movement = detail or (kpi_id.removeprefix("mrr_") if kpi_id.startswith("mrr_") else None)
            movement = "new" if kpi_id == "new_mrr" else movement
            lf = customer_rows(scope, month, movement)
    elif kpi_id in OPEN_DEAL_KPIS or (dimension == "stage"):
        lf = open_deals(scope, month)
        stage = detail or (value if dimension == "stage" else None)
        if stage:
            lf = lf.filter(pl.col("stage") == stage)
    elif kpi_id in CLOSED_DEAL_KPIS:
        lf = _closed_deals(scope, month, kpi_id)
    elif kpi_id == "pipeline_generated":
        lf = _month_rows(scope, "opportunities", month, "created_at",
                         ["opportunity_id", "lead_id", "owner", "channel", "stage", "amount", "created_at"]
                         ).filter(pl.col("lead_id").is_not_null())
    elif kpi_id in LEAD_KPIS:
        lf = _month_rows(scope, "leads", month, "created_at",
                         ["lead_id", "channel", "email", "created_at", "qualified_at", "converted_at", "opportunity_id"])
    elif kpi_id in TICKET_KPIS:
        date_col = "created_at" if kpi_id == "support_tickets" else "resolved_at"
        lf = _month_rows(scope, "tickets", month, date_col,
                         ["ticket_id", "customer_id", "priority", "created_at_ts", "resolved_at_ts", "csat"]
                         if kpi_id == "support_tickets" else
                         ["ticket_id", "customer_id", "priority", "created_at_ts", "resolved_at_ts", "csat", "resolved_at"])
        if kpi_id == "resolution_hours":
            lf = lf.with_columns(
                hours=(pl.col("resolved_at_ts") - pl.col("created_at_ts")).dt.total_microseconds() / 3.6e9
            ).drop("resolved_at")
    elif kpi_id in SPEND_KPIS:
        lf = _month_rows(scope, "expenses", month, "date", ["date", "department", "channel", "amount"])
        if kpi_id == "marketing_cac":
            lf = lf.filter(pl.col("department") == "marketing")
        elif kpi_id == "retention_cost":
            lf = lf.filter(pl.col("department") == "customer_success")
        else:
            lf = lf.filter(pl.col("department").is_in(["marketing", "sales"]))
    else:
        raise LookupError(f"no records for {kpi_id}")
    return lf.collect()


def record_title(kpi_id: str, detail: str | None = None) -> str:
    name = CATALOG[kpi_id].label
    return f"{name} › {detail.capitalize() if detail in MOVEMENTS else detail}" if detail else name


__all__ = [
    "Scope", "scope_of", "BreakdownRow", "dimensions", "breakdown", "records", "record_title", "value_label",
    "customer_rows", "open_deals", "MOVEMENTS",
]
