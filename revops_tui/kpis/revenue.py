"""Overview (RevOps) KPIs: MRR and its movements, retention, churn, renewals, backlog, CAC, CLV."""

from __future__ import annotations

import polars as pl

from revops_tui.config import Settings
from revops_tui.kpis import subscriptions as subs_frames
from revops_tui.kpis.calendar import Calendar
from revops_tui.kpis.monthly import dense, join_months, over_ranges, per_month, ratio, rolling
from revops_tui.kpis.subscriptions import from_micro

MOVEMENT_IDS = ("mrr_new", "mrr_reactivation", "mrr_expansion", "mrr_contraction", "mrr_churn")


def classify_movements(chg: pl.LazyFrame, first: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """Each month-end change of a customer (cid) with its movement and amount (micro units).

    kpis.md: with a = MRR_c(E(M-1)) and b = MRR_c(E(M)): new / reactivation when
    a = 0 < b (new when the customer's first active day is in M), expansion when
    0 < a < b, contraction when 0 < b < a, churn when a > 0 = b. Amounts are
    b - a or a - b, which is b or a in the spec's cases; taking the difference
    keeps new + reactivation + expansion - contraction - churn = mrr(M) - mrr(M-1)
    also for defective negative MRR (rule 3).
    """
    a, b = pl.col("a"), pl.col("b")
    month_start = cal.frame().select("k", "start")
    return (
        chg.filter(pl.col("k") >= 1)
        .join(first, on="cid", how="left")
        .join(month_start, on="k", how="left")
        .with_columns(
            movement=pl.when((a <= 0) & (b > 0))
            .then(
                pl.when(pl.col("first_day") >= pl.col("start"))
                .then(pl.lit("new"))
                .otherwise(pl.lit("reactivation"))
            )
            .when((a > 0) & (b > a))
            .then(pl.lit("expansion"))
            .when((b > 0) & (b < a))
            .then(pl.lit("contraction"))
            .when((a > 0) & (b <= 0))
            .then(pl.lit("churn"))
            .otherwise(None),
            amount=(b - a).abs(),
        )
    )


def base(levels: pl.LazyFrame, first: pl.LazyFrame, chg: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """The monthly frame the MRR-based KPIs share (one row per k, money as float).

    mrr, active (|A(E(k))|), pos_mrr (MRR of active customers), the five movements,
    churned (logos), new_customers (first active day in k), retained (sum over
    c in A(E(k-1)) of MRR_c(E(k))), nrr_num / grr_num (over A(E(k-12))).
    """
    a, b = pl.col("a"), pl.col("b")
    steps = chg.group_by("k").agg(
        d_mrr=(b - a).sum(),
        d_active=(b > 0).cast(pl.Int64).sum() - (a > 0).cast(pl.Int64).sum(),
        d_pos=pl.when(b > 0).then(b).otherwise(0).sum() - pl.when(a > 0).then(a).otherwise(0).sum(),
        churned=((a > 0) & (b <= 0)).cast(pl.Int64).sum(),
        kept_change=pl.when(a > 0).then(b - a).otherwise(0).sum(),
    )
    moves = classify_movements(chg, first, cal)
    move_cols = (
        per_month(
            moves.filter(pl.col("movement").is_not_null()),
            pl.col("k"),
            *[
                pl.col("amount").filter(pl.col("movement") == name.removeprefix("mrr_")).sum().alias(name)
                for name in MOVEMENT_IDS
            ],
        )
    )
    new_customers = per_month(first, cal.in_month(pl.col("first_day")), new_customers=pl.len())
    retention = _retention(chg, cal)

    return (
        join_months(dense(cal, steps, move_cols, new_customers), retention)
        .with_columns(
            mrr=pl.col("d_mrr").cum_sum(),
            active=pl.col("d_active").cum_sum(),
            pos_mrr=pl.col("d_pos").cum_sum(),
        )
        .with_columns(retained=pl.col("pos_mrr").shift(1) + pl.col("kept_change"))
        .with_columns(
            from_micro(pl.col(c))
            for c in ("mrr", "pos_mrr", "retained", "nrr_num", "grr_num", *MOVEMENT_IDS)
        )
        .with_columns(nrr_den=pl.col("pos_mrr").shift(12))
    )


def _retention(chg: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """nrr_num, grr_num per k: over customers active at E(k-12), their MRR at E(k) (GRR: capped).

    Pairs each positive interval i of a customer with each interval j of the same
    customer: j's value counts for the months k with k-12 in i and k in j.
    """
    iv = subs_frames.intervals(chg, cal)
    then = iv.filter(pl.col("v") > 0).select(
        "cid", i_from=pl.col("k_from") + 12, i_to=pl.col("k_to") + 12, v_then=pl.col("v")
    )
    now = iv.filter(pl.col("v") != 0)
    pairs = now.join(then, on="cid").with_columns(
        lo=pl.max_horizontal("k_from", "i_from").clip(upper_bound=cal.size),
        hi=pl.min_horizontal("k_to", "i_to").clip(upper_bound=cal.size),
    )
    return over_ranges(
        cal,
        pairs,
        "lo",
        "hi",
        {"nrr_num": pl.col("v"), "grr_num": pl.min_horizontal("v", "v_then")},
    )


def renewals(mrr: subs_frames.CustomerMrr, cal: Calendar) -> pl.LazyFrame:
    """renewal_due, renewed per k (rule 9): from the subscription rows customer MRR numbered
    (customers as integers: no second read of the table, no join on the string ids).

    A due (customer, term_end) is renewed when the customer's MRR level on term_end is > 0: the
    last level on or before that day. Both sides are keyed by (cid, day) packed into one
    integer, so one as-of join over the levels in their (cid, date) order finds it (no sort of
    the levels, no per-customer groups: 7x faster than join_asof by cid); the match belongs to
    the customer only when its cid is the same (else the customer had no level yet: 0).
    """
    due = (
        mrr.rows.filter(
            pl.col("term_end").is_not_null()
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("term_end")))
        )
        .select(key=subs_frames.cid_day(pl.col("term_end")), k=cal.in_month(pl.col("term_end")))
        .filter(pl.col("k").is_not_null())
        .unique("key")
        .sort("key")
    )
    levels = mrr.levels.select("level", level_cid="cid", key=subs_frames.cid_day(pl.col("date")))
    looked_up = due.join_asof(levels, on="key", strategy="backward", check_sortedness=False)
    own = pl.col("level_cid").cast(pl.Int64) == pl.col("key") // 2**32
    return looked_up.group_by("k").agg(
        renewal_due=pl.len(), renewed=(own & (pl.col("level") > 0)).fill_null(False).cast(pl.Int64).sum()
    )


def backlog(subs: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """revenue_backlog per k (rule 10).

    Sum over rows active at E(k) with term_end > E(k) of mrr x (term_end - E(k)) x 12 / 365
    = 12/365 x (sum of mrr x term_end - E(k) x sum of mrr), both sums over the rows
    whose month range [reached(start), min(reached(end), reached(term_end))) holds k.
    Days are counted from the window's first day to keep the sums small.
    """
    origin = cal.starts[0]
    rows = subs_frames.valid_rows(subs, cal).filter(pl.col("term_end").is_not_null())
    ranged = rows.select(
        lo=cal.reached(pl.col("start_date")),
        hi=pl.min_horizontal(cal.reached(pl.col("end_date")), cal.reached(pl.col("term_end"))),
        m=pl.col("mrr").fill_nan(0.0).fill_null(0.0),
        te=(pl.col("term_end") - pl.lit(origin)).dt.total_days().cast(pl.Float64),
    )
    sums = over_ranges(cal, ranged, "lo", "hi", {"m": pl.col("m"), "m_te": pl.col("m") * pl.col("te")})
    e_days = cal.frame().select("k", e=(pl.col("end") - pl.lit(origin)).dt.total_days().cast(pl.Float64))
    return sums.join(e_days, on="k").select(
        "k", revenue_backlog=(pl.col("m_te") - pl.col("e") * pl.col("m")) * 12 / 365
    )


def spend(expenses: pl.LazyFrame, cal: Calendar) -> pl.LazyFrame:
    """Expenses per k and department (rule 11: departments match exactly)."""
    dept = pl.col("department")
    amount = pl.col("amount").fill_nan(0.0)
    return per_month(
        expenses,
        cal.in_month(pl.col("date")),
        spend_marketing=amount.filter(dept == "marketing").sum(),
        spend_sales=amount.filter(dept == "sales").sum(),
        spend_cs=amount.filter(dept == "customer_success").sum(),
    )


def overview(base_frame: pl.LazyFrame, extra: pl.LazyFrame, settings: Settings) -> pl.LazyFrame:
    """Overview KPI columns over the base frame (+ renewals, backlog, spend columns in extra)."""
    gm = settings.gross_margin
    life = settings.max_lifetime_months
    prev_mrr = pl.col("mrr").shift(1)
    churn = ratio(pl.col("churned"), pl.col("active").shift(1), 100.0)
    f = join_months(base_frame, extra)
    f = f.with_columns(
        arr=pl.col("mrr") * 12,
        revenue_growth=ratio(pl.col("mrr") - prev_mrr, prev_mrr, 100.0),
        nrr=ratio(pl.col("nrr_num"), pl.col("nrr_den"), 100.0),
        grr=ratio(pl.col("grr_num"), pl.col("nrr_den"), 100.0),
        logo_churn_rate=churn,
        revenue_churn_rate=ratio(pl.col("mrr_churn") + pl.col("mrr_contraction"), prev_mrr, 100.0),
        renewal_rate=ratio(pl.col("renewed"), pl.col("renewal_due"), 100.0),
        acq_spend=pl.col("spend_marketing") + pl.col("spend_sales"),
        arpa=ratio(pl.col("mrr"), pl.col("active")),
    )
    # rule 12: churn12 = mean of the monthly churn rates of M-11..M that have a value.
    rate = pl.col("logo_churn_rate") / 100
    f = f.with_columns(
        cac=ratio(pl.col("acq_spend"), pl.col("new_customers")),
        churn12=ratio(
            rolling(rate.fill_null(0.0), 12), rolling(rate.is_not_null().cast(pl.Int64), 12)
        ),
        cac12=ratio(rolling(pl.col("acq_spend"), 12), rolling(pl.col("new_customers"), 12)),
    )
    lifetime = (
        pl.when(pl.col("churn12").is_null())
        .then(None)
        .when(pl.col("churn12") == 0)
        .then(pl.lit(life))
        .otherwise(pl.min_horizontal(1 / pl.col("churn12"), pl.lit(life)))
    )
    value = pl.col("arpa") * gm * lifetime
    return f.with_columns(
        clv=value - pl.col("cac12"),
        ltv_cac=ratio(value, pl.col("cac12")),
        cac_payback=ratio(pl.col("cac12"), pl.col("arpa") * gm),
    )
