"""Overview (RevOps) KPIs and the MRR movements, from kpis.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from tests.oracle.customer_mrr import ACTIVE_ON, Movements, build_customer_mrr, mrr_movements
from tests.oracle.filters import Filters, has_value
from tests.oracle.months import register_months
from tests.oracle.tables import register_tables
from tests.oracle.values import KpiValues, by_idx, percent, shown_series

KPIS = ("mrr", "arr", "revenue_growth", "nrr", "grr", "logo_churn_rate", "revenue_churn_rate", "renewal_rate",
        "revenue_backlog", "mrr_new", "mrr_reactivation", "mrr_expansion", "mrr_contraction", "mrr_churn")


def overview_kpis(con: duckdb.DuckDBPyConnection, data: Path, as_of: dt.date, months: int,
                  filters: Filters) -> KpiValues:
    if "subscriptions" not in register_tables(con, data):
        return {}
    calendar = register_months(con, as_of, months)
    build_customer_mrr(con, filters)

    mrr = by_idx(con, "SELECT m.idx, coalesce(sum(c.mrr), 0) FROM months m "
                      "LEFT JOIN cust_mrr c ON c.idx = m.idx GROUP BY m.idx")
    # S = A(E(M-12)); grr caps each customer's term at its MRR at E(M-12). Rule 8: in the as-of month
    # E(M) is the as-of day, compared with the month end E(M-12).
    retention = by_idx(con, """
        SELECT m.idx, sum(coalesce(b.mrr, 0)), sum(least(coalesce(b.mrr, 0), a.mrr)), sum(a.mrr)
        FROM months m JOIN cust_mrr a ON a.idx = m.idx - 12 AND a.mrr > 0
        LEFT JOIN cust_mrr b ON b.idx = m.idx AND b.customer_id = a.customer_id
        GROUP BY m.idx""")
    logos = by_idx(con, """
        SELECT m.idx, count(*) FILTER (WHERE coalesce(b.mrr, 0) <= 0), count(*)
        FROM months m JOIN cust_mrr a ON a.idx = m.idx - 1 AND a.mrr > 0
        LEFT JOIN cust_mrr b ON b.idx = m.idx AND b.customer_id = a.customer_id
        GROUP BY m.idx""")
    # Rule 9: D = distinct (customer, term_end) with term_end in M (up to the as-of day) of rows not
    # cancelled before term_end; renewed when the customer's MRR over all its plans is > 0 on term_end.
    renewals = by_idx(con, f"""
        WITH due AS (
            SELECT DISTINCT m.idx, s.customer_id, s.term_end
            FROM months m JOIN subs s ON s.term_end BETWEEN m.first AND m.e
                                     AND (s.end_date IS NULL OR s.end_date >= s.term_end)),
        mrr_on_term_end AS (
            SELECT due.idx, due.customer_id, due.term_end, sum(s.mrr) AS mrr
            FROM due JOIN subs s ON s.customer_id = due.customer_id AND {ACTIVE_ON.format(day='due.term_end')}
            GROUP BY ALL)
        SELECT due.idx, count(*) FILTER (WHERE r.mrr > 0), count(*)
        FROM due LEFT JOIN mrr_on_term_end r USING (idx, customer_id, term_end)
        GROUP BY due.idx""")
    # Rule 10: per row active on E(M), whole days to term_end, always / 365, even if end_date comes later.
    backlog = by_idx(con, f"""
        SELECT m.idx, coalesce(sum(s.mrr * date_diff('day', m.e, s.term_end) * 12 / 365), 0)
        FROM months m LEFT JOIN subs s ON {ACTIVE_ON.format(day='m.e')} AND s.term_end > m.e
        GROUP BY m.idx""")
    moves = mrr_movements(con)

    def move(idx: int) -> Movements:
        return moves.get(idx, Movements())

    def retention_rate(idx: int, column: int) -> float | None:
        row = retention.get(idx)
        return percent(row[column], row[2]) if row else None

    series = {
        "mrr": lambda i: mrr[i],
        "arr": lambda i: 12 * mrr[i],
        "revenue_growth": lambda i: percent(mrr[i] - mrr[i - 1], mrr[i - 1]),
        "nrr": lambda i: retention_rate(i, 0),
        "grr": lambda i: retention_rate(i, 1),
        "logo_churn_rate": lambda i: percent(*logos[i]) if i in logos else None,
        "revenue_churn_rate": lambda i: percent(move(i).contraction + move(i).churn, mrr[i - 1]),
        "renewal_rate": lambda i: percent(*renewals[i]) if i in renewals else None,
        "revenue_backlog": lambda i: backlog[i],
        "mrr_new": lambda i: move(i).new,
        "mrr_reactivation": lambda i: move(i).reactivation,
        "mrr_expansion": lambda i: move(i).expansion,
        "mrr_contraction": lambda i: move(i).contraction,
        "mrr_churn": lambda i: move(i).churn,
    }
    return {kpi: shown_series(calendar, months, value) for kpi, value in series.items() if has_value(kpi, filters)}
