"""Data Quality KPIs (dq_* and crm_quality), from kpis.md rules 20-24."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from tests.oracle.filters import Filters, sql_in
from tests.oracle.months import month_start
from tests.oracle.settings import QUALITY_SCORES, Settings
from tests.oracle.tables import register_tables
from tests.oracle.values import KpiValues

COMPLETENESS = {
    "customers": ("name", "email", "segment", "region", "channel"),
    "leads": ("channel", "email"),
    "opportunities": ("owner", "amount", "channel"),
}
NON_NEGATIVE = {"subscriptions": "mrr", "opportunities": "amount", "opportunity_history": "amount",
                "expenses": "amount"}
# Rule 21: the event dates that must not lie after the as-of day (never end_date, term_end, quotas.month).
EVENT_DATES = {
    "customers": ("created_at",),
    "subscriptions": ("start_date",),
    "expenses": ("date",),
    "leads": ("created_at", "qualified_at", "converted_at"),
    "opportunities": ("created_at", "qualified_at", "closed_at"),
    "opportunity_history": ("changed_at",),
    "tickets": ("created_at", "resolved_at"),
    "nps_responses": ("responded_at",),
    "usage": ("date",),
}
FRESHNESS_DATES = {**EVENT_DATES, "quotas": ("month",)}  # rule 24
CUSTOMER_REFERENCES = ("subscriptions", "opportunities", "tickets", "nps_responses", "usage")
PRIMARY_KEYS = {"customers": "customer_id", "subscriptions": "subscription_id", "leads": "lead_id",
                "opportunities": "opportunity_id", "tickets": "ticket_id", "nps_responses": "response_id"}
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
# Normalised keys (rule 22: "trimmed, lower case"). Trimming takes any leading and trailing whitespace. Names
# also get each inner run of whitespace made one space: the spec does not say so, the program does (the DQ
# audit's NAME_NORM=collapse reading; broken row C99002 '  LUNARHILL  LOGISTICS LLC '), so this pins it.
_TRIMMED = r"regexp_replace({}, '^\s+|\s+$', '', 'g')"
_ONE_SPACE = r"regexp_replace({}, '\s+', ' ', 'g')"


def _checked_passed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, int]:
    checked, passed = con.execute(sql).fetchone()
    return int(checked or 0), int(passed or 0)


def _completeness(con, tables, settings) -> list[tuple[int, int]]:
    # Rule 21: nulls fail, an empty string is not null.
    checks = [_checked_passed(con, f"SELECT count(*), count({column}) FROM {table}")
              for table, columns in COMPLETENESS.items() if table in tables for column in columns]
    if "opportunities" in tables:
        closing = settings.won_stages + settings.lost_stages
        checks.append(_checked_passed(
            con, f"SELECT count(*), count(closed_at) FROM opportunities WHERE {sql_in('stage', closing)}"))
    return checks


def _validity(con, tables, settings, as_of: dt.date) -> list[tuple[int, int]]:
    """Per non-null value (a null is a completeness matter)."""
    checks = []
    for table in ("customers", "leads"):
        if table in tables:  # the pattern is matched on the raw value, whole (rule 21)
            checks.append(_checked_passed(con, f"SELECT count(email), count(*) FILTER (WHERE "
                                               f"regexp_full_match(email, '{EMAIL_PATTERN}')) FROM {table}"))
    for table, column in NON_NEGATIVE.items():
        if table in tables:
            checks.append(_checked_passed(
                con, f"SELECT count({column}), count(*) FILTER (WHERE {column} >= 0) FROM {table}"))
    for table in ("opportunities", "opportunity_history"):
        if table in tables:
            checks.append(_checked_passed(
                con, f"SELECT count(stage), count(*) FILTER (WHERE {sql_in('stage', settings.stages)}) FROM {table}"))
    if "nps_responses" in tables:
        checks.append(_checked_passed(
            con, "SELECT count(score), count(*) FILTER (WHERE score BETWEEN 0 AND 10) FROM nps_responses"))
    if "tickets" in tables:
        checks.append(_checked_passed(
            con, "SELECT count(csat), count(*) FILTER (WHERE csat BETWEEN 1 AND 5) FROM tickets"))
    for table, columns in EVENT_DATES.items():
        if table in tables:
            for column in columns:
                checks.append(_checked_passed(
                    con, f"SELECT count({column}), count(*) FILTER (WHERE {column} <= DATE '{as_of}') FROM {table}"))
    return checks


def _consistency(con, tables, settings) -> list[tuple[int, int]]:
    """Per row and rule."""
    checks = []
    if "opportunities" in tables:
        closing = sql_in("stage", settings.won_stages + settings.lost_stages)
        checks.append(_checked_passed(con, "SELECT count(*), count(*) FILTER (WHERE closed_at >= created_at) "
                                           "FROM opportunities WHERE closed_at IS NOT NULL AND created_at IS NOT NULL"))
        # Rule 22: the stage / closed_at rule only for configured stages.
        checks.append(_checked_passed(
            con, f"SELECT count(*), count(*) FILTER (WHERE ({closing} AND closed_at IS NOT NULL) OR "
                 f"({sql_in('stage', settings.open_stages)} AND closed_at IS NULL)) "
                 f"FROM opportunities WHERE {sql_in('stage', settings.stages)}"))
    if "subscriptions" in tables:
        checks.append(_checked_passed(con, "SELECT count(*), count(*) FILTER (WHERE end_date > start_date) "
                                           "FROM subscriptions WHERE end_date IS NOT NULL"))
        checks.append(_checked_passed(con, "SELECT count(*), count(*) FILTER (WHERE term_end >= start_date) "
                                           "FROM subscriptions WHERE term_end IS NOT NULL"))
    if "customers" in tables:
        for table in CUSTOMER_REFERENCES:
            if table in tables:
                checks.append(_checked_passed(
                    con, f"SELECT count(*), count(*) FILTER (WHERE customer_id IN (SELECT customer_id FROM customers)) "
                         f"FROM {table} WHERE customer_id IS NOT NULL"))
    return checks


def _uniqueness(con, tables) -> list[tuple[int, int]]:
    """Per row and key; every row sharing a duplicated key fails (rule 20); null keys are skipped."""
    keys = [(table, column) for table, column in PRIMARY_KEYS.items() if table in tables]
    if "customers" in tables:
        keys += [("customers", f"lower({_TRIMMED.format('email')})"),
                 ("customers", f"lower({_TRIMMED.format(_ONE_SPACE.format('name'))})")]
    return [_checked_passed(con, f"""
        WITH counted AS (SELECT {key} AS k, count(*) AS n FROM {table} WHERE {key} IS NOT NULL GROUP BY k)
        SELECT sum(n), sum(n) FILTER (WHERE n = 1) FROM counted""") for table, key in keys]


def _accuracy(con, settings, as_of: dt.date) -> tuple[int, int]:
    """Rule 23: won new_business deals with a customer closed from the first day of (as-of month - 11) to the
    as-of day; a hit is any subscription row of the customer (zero MRR too) starting within 30 days."""
    window_start = month_start(as_of, -11)
    return _checked_passed(con, f"""
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM subscriptions s
            WHERE s.customer_id = o.customer_id AND s.start_date BETWEEN o.closed_at - 30 AND o.closed_at + 30))
        FROM opportunities o
        WHERE o.type = 'new_business' AND {sql_in('o.stage', settings.won_stages)} AND o.customer_id IS NOT NULL
          AND o.closed_at BETWEEN DATE '{window_start}' AND DATE '{as_of}'""")


def _freshness(con, tables, as_of: dt.date) -> float | None:
    """Rule 24: days from each table's newest event date to the as-of day; the largest."""
    days = []
    for table, columns in FRESHNESS_DATES.items():
        if table in tables:
            newest_per_column = ", ".join(f"max({column})" for column in columns)
            newest = con.execute(f"SELECT greatest({newest_per_column}) FROM {table}").fetchone()[0]
            if newest is not None:
                days.append((as_of - newest).days)
    return float(max(days)) if days else None


def _score(checks: list[tuple[int, int]]) -> float | None:
    """Pooled over all tables: passes / checks (rule 20)."""
    checked = sum(c for c, _ in checks)
    return None if checked == 0 else 100.0 * sum(p for _, p in checks) / checked


def quality_kpis(con: duckdb.DuckDBPyConnection, data: Path, as_of: dt.date, months: int, filters: Filters,
                 settings: Settings) -> KpiValues:
    """One value, for the as-of month; filters never apply to the dq scores (and `months` does not matter)."""
    tables = register_tables(con, data)
    scores = {
        "dq_completeness": _score(_completeness(con, tables, settings)),
        "dq_validity": _score(_validity(con, tables, settings, as_of)),
        "dq_consistency": _score(_consistency(con, tables, settings)),
        "dq_uniqueness": _score(_uniqueness(con, tables)),
    }
    if {"opportunities", "subscriptions"} <= tables:  # a missing table leaves accuracy without a value
        scores["dq_accuracy"] = _score([_accuracy(con, settings, as_of)])
    scores["dq_freshness"] = _freshness(con, tables, as_of)
    # Rule 24: the weighted mean of the scores that have a value.
    weighted = [(settings.quality_weights[name], scores.get(f"dq_{name}")) for name in QUALITY_SCORES]
    weighted = [(w, v) for w, v in weighted if v is not None]
    total = sum(w for w, _ in weighted)
    scores["crm_quality"] = sum(w * v for w, v in weighted) / total if weighted and total else None
    label = f"{as_of.year:04d}-{as_of.month:02d}"
    return {kpi: {label: value} for kpi, value in scores.items()}
