"""Customer MRR at each E(M), first active day and the MRR movements (shared by overview and success)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from tests.oracle.filters import Filters

# data-contract.md: a row is active on day d when start_date <= d and (end_date is null or d < end_date);
# so a row with end_date <= start_date is never active (rule 4).
ACTIVE_ON = "s.start_date <= {day} AND (s.end_date IS NULL OR {day} < s.end_date)"


def build_customer_mrr(con: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """Temp tables subs (the subscriptions of F), cust_mrr(idx, customer_id, mrr) = MRR_c(E(M)) for every
    customer with a row active on E(M), and first_active(customer_id, day). Needs the months table."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE subs AS SELECT * FROM subscriptions WHERE "
                f"{filters.customer_predicate('customer_id')}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cust_mrr AS
        SELECT m.idx, s.customer_id, sum(s.mrr) AS mrr
        FROM months m JOIN subs s ON {ACTIVE_ON.format(day='m.e')}
        GROUP BY ALL""")
    # MRR_c only changes on a start_date or an end_date, so the first day with MRR_c > 0 is one of them
    # (rule 7: a trial at 0 MRR does not make the customer active).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE first_active AS
        WITH days AS (
            SELECT customer_id, start_date AS d FROM subs
            UNION SELECT customer_id, end_date FROM subs WHERE end_date IS NOT NULL),
        mrr_on_day AS (
            SELECT days.customer_id, days.d, sum(s.mrr) AS mrr
            FROM days JOIN subs s ON s.customer_id = days.customer_id AND {ACTIVE_ON.format(day='days.d')}
            GROUP BY ALL)
        SELECT customer_id, min(d) AS day FROM mrr_on_day WHERE mrr > 0 GROUP BY customer_id""")


@dataclass(frozen=True)
class Movements:
    new: float = 0.0
    reactivation: float = 0.0
    expansion: float = 0.0
    contraction: float = 0.0
    churn: float = 0.0


def mrr_movements(con: duckdb.DuckDBPyConnection) -> dict[int, Movements]:
    """Per month idx, with a = MRR_c(E(M-1)) and b = MRR_c(E(M)) compared exactly, net over all plans (rule 7).

    A customer in and out inside M is active at neither end, so it makes no movement.
    """
    rows = con.execute("""
        WITH before AS (SELECT idx + 1 AS idx, customer_id, mrr FROM cust_mrr),
        pairs AS (
            SELECT coalesce(b.idx, a.idx) AS idx, coalesce(b.customer_id, a.customer_id) AS customer_id,
                   coalesce(a.mrr, 0) AS a, coalesce(b.mrr, 0) AS b
            FROM before a FULL JOIN cust_mrr b ON a.idx = b.idx AND a.customer_id = b.customer_id)
        SELECT p.idx,
               coalesce(sum(b) FILTER (WHERE a = 0 AND b > 0 AND f.day >= m.first), 0),
               coalesce(sum(b) FILTER (WHERE a = 0 AND b > 0 AND f.day < m.first), 0),
               coalesce(sum(b - a) FILTER (WHERE a > 0 AND b > a), 0),
               coalesce(sum(a - b) FILTER (WHERE b > 0 AND b < a), 0),
               coalesce(sum(a) FILTER (WHERE a > 0 AND b = 0), 0)
        FROM pairs p JOIN months m ON m.idx = p.idx LEFT JOIN first_active f ON f.customer_id = p.customer_id
        GROUP BY p.idx""").fetchall()
    return {idx: Movements(*map(float, values)) for idx, *values in rows}
