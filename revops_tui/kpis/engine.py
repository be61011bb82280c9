"""compute(tables, settings, as_of, months, filters) -> Results.

The data work happens in "parts": each reads one or two tables and yields a small
frame with one row per month k. All parts are collected together (one
pl.collect_all, so Polars shares the common scans); a part that fails to read
(say a corrupt file) is retried alone so that only the KPIs of its tables lose
their value. The KPI formulas then run over the joined K-row frame.

With a memo (kpis.memo), a part or Data Quality check whose tables are unchanged since an earlier
compute is taken from it: a live reload after one export runs only the queries of that table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Callable, Hashable

import polars as pl

from revops_tui.config import Settings
from revops_tui.kpis import marketing, revenue, sales, success
from revops_tui.kpis import subscriptions as subs_frames
from revops_tui.kpis.calendar import Calendar
from revops_tui.kpis.catalog import CATALOG, DQ_IDS, Kpi
from revops_tui.kpis.filters import applicability, filter_tables
from revops_tui.kpis.memo import Memo, table_versions
from revops_tui.kpis.memo import context as memo_context
from revops_tui.kpis.memo import key as memo_key
from revops_tui.kpis.monthly import dense, join_months, ratio
from revops_tui.kpis.quality import QualityReport, by_customer, plan_quality
from revops_tui.kpis.results import Filters, KpiResult, Results
from revops_tui.cancel import check_stop
from revops_tui.lazy import QUERY_FAILURES, collect_each, first_line
from revops_tui.loading import Tables, read_problem


@dataclass(frozen=True)
class Part:
    name: str
    tables: tuple[str, ...]
    build: Callable[[dict[str, pl.LazyFrame], Calendar, Settings], pl.LazyFrame]
    fill_zero: bool = True  # sums and counts: a month without rows is 0; medians stay null


def _subscription_part(f: dict, cal: Calendar, settings: Settings) -> pl.LazyFrame:
    subs, mrr = f["subscriptions"], f["_mrr"]
    return (
        revenue.base(mrr.levels, subs_frames.first_active(mrr.levels), mrr.changes, cal)
        .pipe(join_months, revenue.renewals(mrr, cal), revenue.backlog(subs, cal))
        .with_columns(pl.col("renewal_due", "renewed").fill_null(0))
    )


USAGE_BY_CUSTOMER = by_customer("usage")  # the shared usage summary (unfiltered)


def _adoption_part(f: dict, cal: Calendar, settings: Settings) -> pl.LazyFrame:
    return success.adoption(f[USAGE_BY_CUSTOMER], f["_mrr"], cal)


class _Blame:
    """Why a query failed: a table whose files cannot be read (an input problem naming the file),
    or else the query itself. Each table is read again at most once per compute."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.unreadable: dict[str, str] = {}
        self._checked: set[str] = set()

    def of(self, names: tuple[str, ...] | list[str]) -> str | None:
        for name in names:
            if name not in self._checked and name in self.tables.frames:
                self._checked.add(name)
                problem = read_problem(self.tables, name)
                if problem:
                    self.unreadable[name] = problem
            if name in self.unreadable:
                return self.unreadable[name]
        return None


def _shared_frames(frames: dict[str, pl.LazyFrame], tables: Tables, cal: Calendar, wanted: set[str],
                   memo: Memo, keys: dict[str, Hashable | None], blame: _Blame, errors: list[str]) -> dict[str, str]:
    """Materialise the frames several parts read (Polars would otherwise recompute them in
    each part): customer MRR and the usage summary. Returns a problem for a table that
    cannot be read (its KPIs lose their value; the others go on).

    Both are also kept in the memo (for their latest inputs only: they are large): adoption
    reads both, so a new usage export would otherwise rebuild customer MRR, and a new
    subscriptions or customers export would reread tens of millions of usage rows."""
    problems: dict[str, str] = {}
    if "subscriptions" in frames and "subscriptions" in wanted:
        try:
            mrr = memo.get(keys["_mrr"])
            if mrr is None:
                mrr = subs_frames.customer_mrr(frames["subscriptions"], cal)
                memo.stage(keys["_mrr"], mrr, only_latest=True)
            frames["_mrr"] = mrr  # type: ignore[assignment]
        except QUERY_FAILURES as exc:
            frames.pop("subscriptions")
            problems["subscriptions"] = _failure("subscriptions", "customer MRR", exc, blame, errors)
    check_stop()
    if "usage" in frames and "usage" in wanted:
        # From the unfiltered table: adoption meets it through the (filtered) customer MRR,
        # and Data Quality is never filtered.
        try:
            summary = memo.get(keys[USAGE_BY_CUSTOMER])
            if summary is None:
                summary = success.usage_by_customer(tables.frames["usage"], cal).collect()
                memo.stage(keys[USAGE_BY_CUSTOMER], summary, only_latest=True)
            frames[USAGE_BY_CUSTOMER] = summary.lazy()
        except QUERY_FAILURES as exc:
            frames.pop("usage")
            problems["usage"] = _failure("usage", "usage summary", exc, blame, errors)
    return problems


def _failure(table: str, query: str, exc: BaseException, blame: _Blame, errors: list[str]) -> str:
    """The problem of a table whose query failed; a failure not due to its files is also an error."""
    unreadable = blame.of([table])
    if unreadable:
        return unreadable
    errors.append(f"{query}: {first_line(exc)}")
    return f"table {table}: query failed: {first_line(exc)}"


PARTS = (
    Part("subscriptions", ("subscriptions",), _subscription_part),
    Part("expenses", ("expenses",), lambda f, cal, s: revenue.spend(f["expenses"], cal)),
    Part("leads", ("leads",), lambda f, cal, s: marketing.leads(f["leads"], cal)),
    Part("lead_sqo", ("leads", "opportunities"), lambda f, cal, s: sales.lead_to_sqo(f["leads"], f["_all_opportunities"], cal)),
    Part("pipeline_generated", ("opportunities",), lambda f, cal, s: marketing.pipeline_generated(f["opportunities"], cal)),
    Part("closed", ("opportunities",), lambda f, cal, s: sales.closed_deals(f["opportunities"], cal, s)),
    Part("history", ("opportunity_history",), lambda f, cal, s: sales.open_pipeline(f["opportunity_history"], cal, s)),
    Part("quotas", ("quotas",), lambda f, cal, s: sales.quotas(f["quotas"], cal)),
    Part("nps", ("nps_responses",), lambda f, cal, s: success.nps(f["nps_responses"], cal)),
    Part("adoption", ("usage", "subscriptions"), _adoption_part),
    Part("tickets", ("tickets",), lambda f, cal, s: success.tickets(f["tickets"], cal)),
    Part("resolution", ("tickets",), lambda f, cal, s: success.resolution(f["tickets"], cal), fill_zero=False),
)


def _kpi_columns(f: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Every KPI column over the joined monthly frame (K rows: cheap, eager)."""
    f = revenue.overview(f.lazy(), f.lazy().select("k"), settings)
    f = sales.sales(f)
    prev_mrr = pl.col("mrr").shift(1)
    return f.with_columns(
        lead_conversion_rate=ratio(pl.col("converted"), pl.col("new_leads"), 100.0),
        new_mrr=pl.col("mrr_new"),
        marketing_cac=ratio(pl.col("spend_marketing"), pl.col("new_customers")),
        nps=ratio(pl.col("nps_net"), pl.col("nps_n"), 100.0),
        book_growth=ratio(pl.col("retained") - prev_mrr, prev_mrr, 100.0),
        product_adoption=ratio(pl.col("adopting"), pl.col("active"), 100.0),
        retention_cost=ratio(pl.col("spend_cs"), pl.col("active").shift(1)),
    ).collect()


# Columns each part provides, as zeros when the part cannot run (its KPIs are then unavailable).
PART_COLUMNS = {
    "subscriptions": {
        "mrr": 0.0, "active": 0, "pos_mrr": 0.0, "churned": 0, "new_customers": 0, "retained": 0.0,
        "nrr_num": 0.0, "grr_num": 0.0, "nrr_den": 0.0, "renewal_due": 0, "renewed": 0, "revenue_backlog": 0.0,
        **{m: 0.0 for m in revenue.MOVEMENT_IDS},
    },
    "expenses": {"spend_marketing": 0.0, "spend_sales": 0.0, "spend_cs": 0.0},
    "leads": {"new_leads": 0, "converted": 0},
    "lead_sqo": {"sqo_leads": 0, "sqo": 0},
    "pipeline_generated": {"pipeline_generated": 0.0},
    "closed": {"won": 0, "lost": 0, "won_amount": 0.0, "won_days": 0.0, "quota_won": 0.0},
    "history": {"pipeline_open": 0.0, "open_opportunities": 0},
    "quotas": {"quota": 0.0, "quota_rows": 0},
    "nps": {"nps_n": 0, "nps_net": 0},
    "adoption": {"adopting": 0},
    "tickets": {"support_tickets": 0},
    "resolution": {"resolution_hours": None},
}


def _collect_parts(
    frames: dict[str, pl.LazyFrame], cal: Calendar, settings: Settings, parts: list[Part],
    extra: list[pl.LazyFrame], known: dict[str, pl.DataFrame], blame: _Blame,
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], dict[str, str], list[str], dict[int, pl.DataFrame], dict[int, str]]:
    """Collect every part that has its tables, together with `extra` frames (one collect); `known`:
    the monthly frames of parts already known (kept from an earlier compute), not run again.

    Returns the joined monthly frame, the parts collected now, new table problems, error
    messages, and the extra frames' results and errors by position.
    """
    built = [(p, dense(cal, p.build(frames, cal, settings), fill_zero=p.fill_zero))
             for p in parts if all(t in frames for t in p.tables)]
    done, failed = collect_each([lf for _, lf in built] + extra)
    fresh = {p.name: done[i] for i, (p, _) in enumerate(built) if i in done}
    collected = {**known, **fresh}
    ok_tables = {t for p, _ in built if p.name in collected for t in p.tables}
    new_problems: dict[str, str] = {}
    errors: list[str] = []
    for i, (part, _) in enumerate(built):
        if i in failed:
            message = first_line(failed[i])
            blamed = [t for t in part.tables if t not in ok_tables] or list(part.tables)
            if blame.of(blamed):
                new_problems.update((t, blame.unreadable[t]) for t in blamed if t in blame.unreadable)
                continue
            for table in blamed:
                new_problems.setdefault(table, f"table {table}: query failed: {message}")
            errors.append(f"{part.name}: {message}")
    out = cal.frame().select("k").collect()
    for part in PARTS:
        if part.name in collected:
            out = out.join(collected[part.name], on="k", how="left")
        else:
            out = out.with_columns(pl.lit(v).alias(c) for c, v in PART_COLUMNS[part.name].items())
    n = len(built)
    extra_done = {i - n: df for i, df in done.items() if i >= n}
    extra_failed = {i - n: first_line(exc) for i, exc in failed.items() if i >= n}
    return out.sort("k"), fresh, new_problems, errors, extra_done, extra_failed


def _clean(value: object) -> float | None:
    if value is None:
        return None
    value = float(value)  # type: ignore[arg-type]
    return None if math.isnan(value) or math.isinf(value) else value


def _result(
    kpi: Kpi, series: list[tuple[str, float | None]], cal: Calendar, filters: Filters, problems: dict[str, str],
    extra_reason: str | None = None,
) -> KpiResult:
    na, ignored, narrowing = applicability(kpi, filters)
    reasons = [problems[t] for t in kpi.tables if t in problems]
    if extra_reason:
        reasons.append(extra_reason)
    if na:
        reasons.append("not available with filter " + ", ".join(na))
    if reasons:
        blank = [(m, None) for m, _ in series]
        return KpiResult(kpi, None, cal.partial, blank, False, "; ".join(dict.fromkeys(reasons)), tuple(ignored),
                         tuple(narrowing))
    value = series[-1][1] if series else None
    return KpiResult(kpi, value, cal.partial, series, True, None, tuple(ignored), tuple(narrowing))


def compute(
    tables: Tables, settings: Settings, as_of: dt.date, months: int | None = None, filters: Filters | None = None,
    only: tuple[str, ...] | None = None, quality: QualityReport | None = None, memo: Memo | None = None,
) -> Results:
    """Every KPI of the catalog for the months ending with the as-of month.

    `only`: compute just these KPIs (reading only their tables), e.g. for a breakdown.
    `quality`: the Data Quality report of these same tables, settings and as-of day, when the
    caller has it (a filter change): the checks depend on neither filters nor months, so they
    are not run again.
    `memo`: results of earlier computes by what they read (kpis.memo): the parts and checks
    whose tables did not change since are taken from it, and what runs now is added to it.
    """
    filters = filters or Filters()
    cal = Calendar(as_of, months or settings.months)
    frames, filter_problems = filter_tables(tables, filters)
    if "opportunities" in tables.frames:
        frames["_all_opportunities"] = tables.frames["opportunities"]
    problems = {**tables.problems, **filter_problems}
    memo = memo if memo is not None else Memo(keep=0)
    memo.commit(keep=False)  # what a cancelled compute left staged: its files may have changed since
    ctx = memo_context(settings, as_of, cal.size)
    filtered_versions = table_versions(tables, frames, filters)
    file_versions = table_versions(tables, tables.frames, Filters())

    wanted = [CATALOG[k] for k in only] if only is not None else list(CATALOG.values())
    needed = {t for kpi in wanted for t in kpi.tables}
    parts = [p for p in PARTS if (only is None or set(p.tables) <= needed) and all(t in frames for t in p.tables)]
    part_keys = {p.name: memo_key("part", p.name, ctx, filtered_versions, p.tables) for p in parts}
    known = {p.name: df for p in parts if (df := memo.get(part_keys[p.name])) is not None}
    parts = [p for p in parts if p.name not in known]

    with_quality = any(k.id in DQ_IDS for k in wanted) and quality is None

    # The checks do not depend on the months shown: a period change keeps them.
    check_ctx = memo_context(dataclasses.replace(settings, months=0), as_of, 0)

    def check_key(check: tuple) -> Hashable | None:
        name, reads = check
        return memo_key("check", name, check_ctx, file_versions, reads)

    # Which checks are known decides whether the usage summary is needed; a check's name and
    # tables do not depend on the summary, so a first plan without it tells.
    checks = plan_quality(tables.frames, settings, as_of).reads if with_quality else []
    keyed = [(check_key(c), c[1]) for c in checks]
    checks_known = {k: df for k, _ in keyed if (df := memo.get(k)) is not None}
    usage_for_quality = any("usage" in reads and k not in checks_known for k, reads in keyed)
    shared_wanted = {t for p in parts for t in p.tables} | ({"usage"} if usage_for_quality else set())
    shared_keys = {
        "_mrr": memo_key("shared", "customer_mrr", ctx, filtered_versions, ("subscriptions",)),
        USAGE_BY_CUSTOMER: memo_key("shared", USAGE_BY_CUSTOMER, ctx, file_versions, ("usage",)),
    }
    blame = _Blame(tables)
    shared_errors: list[str] = []
    problems.update(_shared_frames(frames, tables, cal, shared_wanted, memo, shared_keys, blame, shared_errors))
    check_stop()
    plan = None
    if with_quality:
        shared = {USAGE_BY_CUSTOMER: frames[USAGE_BY_CUSTOMER]} if USAGE_BY_CUSTOMER in frames else {}
        plan = plan_quality({**tables.frames, **shared}, settings, as_of, problems=tables.problems)
    dq_keys = [check_key(c) for c in plan.reads] if plan else []
    dq_known = {i: checks_known[k] for i, k in enumerate(dq_keys) if k in checks_known}
    run_checks = [i for i in range(len(dq_keys)) if i not in dq_known]
    monthly, fresh, part_problems, errors, q_done, q_failed = _collect_parts(
        frames, cal, settings, parts, [plan.frames[i] for i in run_checks] if plan else [], known, blame
    )
    errors = shared_errors + errors
    for name, df in fresh.items():
        memo.stage(part_keys[name], df)
    q_done = {run_checks[j]: df for j, df in q_done.items()}
    q_failed = {run_checks[j]: message for j, message in q_failed.items()}
    for i in q_failed:
        unreadable = blame.of(plan.reads[i][1]) if plan else None
        if unreadable:  # "table X: cannot read FILE: ..." -> the check's reason names the file
            q_failed[i] = unreadable.split(": ", 1)[1]
    for i, df in q_done.items():
        memo.stage(dq_keys[i], df)
    q_done.update(dq_known)
    # A file written while this compute read it: what was read may be either version, so none of
    # it is kept under the version seen at load (the watcher's reload reads the new one).
    memo.commit(keep=memo.keep > 0 and not tables.changed_since_load())
    problems.update(part_problems)
    values = _kpi_columns(monthly, settings)
    shown = values.filter(pl.col("k") >= cal.first_shown)
    labels = cal.labels()

    kpis: dict[str, KpiResult] = {}
    for kpi in wanted:
        if kpi.id in DQ_IDS:
            continue
        series = [(m, _clean(v)) for m, v in zip(labels, shown[kpi.id].to_list())]
        kpis[kpi.id] = _result(kpi, series, cal, filters, problems)

    report = plan.finish(q_done, q_failed) if plan else quality
    for kpi in wanted:
        if kpi.id in DQ_IDS and report is not None:
            series = [(labels[-1], _clean(report.scores.get(kpi.id)))]
            kpis[kpi.id] = _result(kpi, series, cal, filters, problems, report.unavailable.get(kpi.id))
    return Results(
        as_of=as_of, months=labels, partial=cal.partial, filters=filters, kpis=kpis,
        problems=problems, errors=errors, quality=report, unreadable=blame.unreadable,
    )
