"""The data contract (shared/spec/data-contract.md) as data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "str" | "date" | "float" | "int" | "bool"
    optional: bool = False


def _cols(spec: str) -> tuple[Column, ...]:
    """'name:type, other:type?' -> columns; '?' marks an optional column."""
    out = []
    for part in spec.split(","):
        name, typ = (p.strip() for p in part.split(":"))
        out.append(Column(name, typ.rstrip("?"), typ.endswith("?")))
    return tuple(out)


TABLES: dict[str, tuple[Column, ...]] = {
    "customers": _cols(
        "customer_id:str, name:str, email:str?, segment:str, region:str, channel:str, created_at:date"
    ),
    "subscriptions": _cols(
        "subscription_id:str, customer_id:str, plan:str, mrr:float, start_date:date, end_date:date?, term_end:date?"
    ),
    "expenses": _cols("date:date, department:str, channel:str?, amount:float"),
    "leads": _cols(
        "lead_id:str, created_at:date, channel:str, email:str?, qualified_at:date?, converted_at:date?, opportunity_id:str?"
    ),
    "opportunities": _cols(
        "opportunity_id:str, customer_id:str?, lead_id:str?, owner:str, type:str, channel:str?, created_at:date, "
        "qualified_at:date?, stage:str, amount:float, closed_at:date?"
    ),
    "opportunity_history": _cols("opportunity_id:str, stage:str, amount:float, changed_at:date"),
    "quotas": _cols("owner:str, month:date, amount:float"),
    "tickets": _cols(
        "ticket_id:str, customer_id:str, created_at:date, resolved_at:date?, priority:str, csat:int?"
    ),
    "nps_responses": _cols("response_id:str, customer_id:str, responded_at:date, score:int"),
    "usage": _cols("customer_id:str, date:date, active_users:int, seats:int?"),
}

# Event-date columns (kpis.md rule 21/24): "latest" as-of, validity and freshness.
EVENT_DATES: dict[str, tuple[str, ...]] = {
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

# Columns that keep their full timestamp (as "<col>_ts") next to the UTC date (rule 2).
TIMESTAMP_COLUMNS: dict[str, tuple[str, ...]] = {"tickets": ("created_at", "resolved_at")}


def column(table: str, name: str) -> Column:
    for col in TABLES[table]:
        if col.name == name:
            return col
    raise KeyError(f"{table}.{name}")
