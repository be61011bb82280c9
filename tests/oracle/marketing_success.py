"""Marketing Ops and Customer Success Ops KPIs (and CAC, CLV, LTV:CAC, CAC payback), from kpis.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb

from tests.oracle.customer_mrr import build_customer_mrr, mrr_movements
from tests.oracle.filters import Filters, has_value, sql_in
from tests.oracle.months import register_months
from tests.oracle.settings import Settings
from tests.oracle.tables import register_tables
from tests.oracle.values import KpiValues, Value, by_idx, percent, ratio, shown_series

REQUIRED_TABLES = {
    "cac": ("subscriptions", "expenses"),
    "clv": ("subscriptions", "expenses"),
    "ltv_cac": ("subscriptions", "expenses"),
    "cac_payback": ("subscriptions", "expenses"),
    "marketing_cac": ("subscriptions", "expenses"),
    "retention_cost": ("subscriptions", "expenses"),
    "new_mrr": ("subscriptions",),
    "book_growth": ("subscriptions",),
    "product_adoption": ("subscriptions", "usage"),
    "new_leads": ("leads",),
    "lead_conversion_rate": ("leads",),
    "pipeline_generated": ("opportunities",),
    "nps": ("nps_responses",),
    "support_tickets": ("tickets",),
    "resolution_hours": ("tickets",),
}


def marketing_success_kpis(con: duckdb.DuckDBPyConnection, data: Path, as_of: dt.date, months: int,
                           filters: Filters, settings: Settings) -> KpiValues:
    tables = register_tables(con, data)
    calendar = register_months(con, as_of, months)
    wanted = [k for k, needs in REQUIRED_TABLES.items() if set(needs) <= tables and has_value(k, filters)]
    series: dict[str, Callable[[int], Value]] = {}

    if "subscriptions" in tables:
        build_customer_mrr(con, filters)
        mrr = by_idx(con, "SELECT m.idx, coalesce(sum(c.mrr), 0) FROM months m "
                          "LEFT JOIN cust_mrr c ON c.idx = m.idx GROUP BY m.idx")
        active = by_idx(con, "SELECT m.idx, count(c.customer_id) FROM months m "
                             "LEFT JOIN cust_mrr c ON c.idx = m.idx AND c.mrr > 0 GROUP BY m.idx")
        # Rule 7: new in M = first day with MRR_c > 0 in M, even when the customer has left again by E(M).
        new_customers = by_idx(con, "SELECT m.idx, count(f.customer_id) FROM months m "
                                    "LEFT JOIN first_active f ON f.day BETWEEN m.first AND m.e GROUP BY m.idx")
        churned = by_idx(con, """
            SELECT m.idx, count(*) FILTER (WHERE coalesce(b.mrr, 0) <= 0), count(*)
            FROM months m JOIN cust_mrr a ON a.idx = m.idx - 1 AND a.mrr > 0
            LEFT JOIN cust_mrr b ON b.idx = m.idx AND b.customer_id = a.customer_id
            GROUP BY m.idx""")
        kept_book = by_idx(con, """
            SELECT m.idx, coalesce(sum(b.mrr), 0)
            FROM months m LEFT JOIN cust_mrr a ON a.idx = m.idx - 1 AND a.mrr > 0
            LEFT JOIN cust_mrr b ON b.idx = m.idx AND b.customer_id = a.customer_id
            GROUP BY m.idx""")
        moves = mrr_movements(con)
        series["new_mrr"] = lambda i: moves[i].new if i in moves else 0.0
        # Rule 19: S = A(E(M-1)).
        series["book_growth"] = lambda i: percent(kept_book[i] - mrr[i - 1], mrr[i - 1])

    if {"subscriptions", "usage"} <= tables:
        # Rule 17: a usage row counts for the month of its date; active_users = 0 does not count.
        adopters = by_idx(con, """
            SELECT m.idx, count(c.customer_id)
            FROM months m LEFT JOIN cust_mrr c ON c.idx = m.idx AND c.mrr > 0 AND EXISTS (
                SELECT 1 FROM usage u
                WHERE u.customer_id = c.customer_id AND u.date BETWEEN m.first AND m.e AND u.active_users > 0)
            GROUP BY m.idx""")
        series["product_adoption"] = lambda i: percent(adopters[i], active[i])

    if {"subscriptions", "expenses"} <= tables:
        def spend(departments: tuple[str, ...], channel_filtered: bool = False) -> dict[int, float]:
            # Rule 11: departments match exactly; a marketing row without channel is marketing spend, and
            # drops out under a channel filter (NULL IN (...) is not true).
            channel = f" AND {sql_in('x.channel', filters.channel)}" if channel_filtered and filters.channel else ""
            return by_idx(con, f"""
                SELECT m.idx, coalesce(sum(x.amount), 0)
                FROM months m LEFT JOIN expenses x ON x.date BETWEEN m.first AND m.e
                    AND {sql_in('x.department', departments)}{channel}
                GROUP BY m.idx""")

        acquisition = spend(("marketing", "sales"))
        marketing = spend(("marketing",), channel_filtered=True)
        success = spend(("customer_success",))
        gross_margin, max_lifetime = settings.gross_margin, settings.max_lifetime_months

        def lifetime_parts(i: int) -> tuple[Value, Value, Value]:
            """ARPA, L and CAC12 for month idx i (rule 12)."""
            arpa = ratio(mrr[i], active[i])
            window = range(i - 11, i + 1)
            rates = [ratio(*churned[j]) for j in window if j in churned]
            rates = [r for r in rates if r is not None]
            churn12 = sum(rates) / len(rates) if rates else None
            if churn12 is None:
                lifetime = None
            else:
                lifetime = max_lifetime if churn12 == 0 else min(1 / churn12, max_lifetime)
            cac12 = ratio(sum(acquisition[j] for j in window), sum(new_customers[j] for j in window))
            return arpa, lifetime, cac12

        def clv(i: int) -> Value:
            arpa, lifetime, cac12 = lifetime_parts(i)
            if arpa is None or lifetime is None or cac12 is None:
                return None
            return arpa * gross_margin * lifetime - cac12

        def ltv_cac(i: int) -> Value:
            arpa, lifetime, cac12 = lifetime_parts(i)
            if arpa is None or lifetime is None or not cac12:
                return None
            return arpa * gross_margin * lifetime / cac12

        def cac_payback(i: int) -> Value:
            arpa, _, cac12 = lifetime_parts(i)
            return None if not arpa or cac12 is None else cac12 / (arpa * gross_margin)

        # Rule 5: CAC with 0 new customers is no value; with 0 spend and new customers it is 0.
        series["cac"] = lambda i: ratio(acquisition[i], new_customers[i])
        series["marketing_cac"] = lambda i: ratio(marketing[i], new_customers[i])
        series["clv"], series["ltv_cac"], series["cac_payback"] = clv, ltv_cac, cac_payback
        series["retention_cost"] = lambda i: ratio(success[i], active[i - 1])

    if "leads" in tables:
        lead_channel = f" AND {sql_in('l.channel', filters.channel)}" if filters.channel else ""
        # Rule 6: a cohort rate, converted_at tested for not null whatever its date.
        leads = by_idx(con, f"""
            SELECT m.idx, count(l.created_at), count(l.created_at) FILTER (WHERE l.converted_at IS NOT NULL)
            FROM months m LEFT JOIN leads l ON l.created_at BETWEEN m.first AND m.e{lead_channel}
            GROUP BY m.idx""")
        series["new_leads"] = lambda i: leads[i][0]
        series["lead_conversion_rate"] = lambda i: percent(leads[i][1], leads[i][0])

    if "opportunities" in tables:
        pipeline = by_idx(con, f"""
            SELECT m.idx, coalesce(sum(o.amount), 0)
            FROM months m LEFT JOIN opportunities o ON o.created_at BETWEEN m.first AND m.e
                AND o.lead_id IS NOT NULL AND {filters.deal_predicate('o')}
            GROUP BY m.idx""")
        series["pipeline_generated"] = lambda i: pipeline[i]

    if "nps_responses" in tables:
        # Rule 3: an out-of-range score stays in the denominator.
        nps = by_idx(con, f"""
            SELECT m.idx, count(r.responded_at) FILTER (WHERE r.score BETWEEN 9 AND 10)
                          - count(r.responded_at) FILTER (WHERE r.score BETWEEN 0 AND 6), count(r.responded_at)
            FROM months m LEFT JOIN nps_responses r ON r.responded_at BETWEEN m.first AND m.e
                AND {filters.customer_predicate('r.customer_id')}
            GROUP BY m.idx""")
        series["nps"] = lambda i: percent(*nps[i])

    if "tickets" in tables:
        tickets = by_idx(con, f"""
            SELECT m.idx, count(t.created_at)
            FROM months m LEFT JOIN tickets t ON t.created_at BETWEEN m.first AND m.e
                AND {filters.customer_predicate('t.customer_id')}
            GROUP BY m.idx""")
        # Rule 18: tickets resolved in M, whatever month they were opened; hours from the full timestamps.
        hours = by_idx(con, f"""
            SELECT m.idx, quantile_cont(date_diff('microsecond', t.created_at_ts, t.resolved_at_ts) / 3.6e9, 0.5)
            FROM months m LEFT JOIN tickets t ON t.resolved_at BETWEEN m.first AND m.e
                AND {filters.customer_predicate('t.customer_id')}
            GROUP BY m.idx""")
        series["support_tickets"] = lambda i: tickets[i]
        series["resolution_hours"] = lambda i: hours[i]

    return {kpi: shown_series(calendar, months, series[kpi]) for kpi in wanted}
