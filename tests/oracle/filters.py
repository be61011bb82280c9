"""Filters and the spec's filter table (kpis.md, section "Filters")."""

from __future__ import annotations

from dataclasses import dataclass

FILTERED, NOT_FILTERED, NO_VALUE = "filtered", "not filtered", "no value"
FILTER_NAMES = ("segment", "region", "channel", "owner")

MOVEMENTS = ("mrr_new", "mrr_reactivation", "mrr_expansion", "mrr_contraction", "mrr_churn")
CUSTOMER_KPIS = (
    "mrr", "arr", "revenue_growth", "nrr", "grr", "logo_churn_rate", "revenue_churn_rate", "renewal_rate",
    "revenue_backlog", "new_mrr", *MOVEMENTS, "book_growth", "product_adoption", "nps", "support_tickets",
    "resolution_hours",
)
DEAL_KPIS = (
    "pipeline_generated", "pipeline_open", "open_opportunities", "win_rate", "avg_deal_size", "sales_cycle_days",
    "pipeline_velocity",
)
DQ_KPIS = ("dq_completeness", "dq_validity", "dq_consistency", "dq_uniqueness", "dq_accuracy", "dq_freshness",
           "crm_quality")

# (KPIs, segment and region, owner, channel): the rows of the spec's table.
_TABLE_ROWS = (
    (CUSTOMER_KPIS, FILTERED, NOT_FILTERED, FILTERED),
    (("cac", "clv", "ltv_cac", "cac_payback"), NO_VALUE, NOT_FILTERED, NO_VALUE),
    (("marketing_cac",), NO_VALUE, NOT_FILTERED, FILTERED),
    (("retention_cost",), NO_VALUE, NOT_FILTERED, NO_VALUE),
    (("new_leads", "lead_conversion_rate", "lead_to_sqo_rate"), NOT_FILTERED, NOT_FILTERED, FILTERED),
    (DEAL_KPIS, FILTERED, FILTERED, FILTERED),
    (("quota_attainment",), NO_VALUE, FILTERED, NO_VALUE),
    (DQ_KPIS, NOT_FILTERED, NOT_FILTERED, NOT_FILTERED),
)
FILTER_TABLE: dict[str, dict[str, str]] = {
    kpi: {"segment": customer, "region": customer, "owner": owner, "channel": channel}
    for kpis, customer, owner, channel in _TABLE_ROWS
    for kpi in kpis
}


def sql_in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


@dataclass(frozen=True)
class Filters:
    segment: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(name for name in FILTER_NAMES if getattr(self, name))

    def cli_args(self) -> list[str]:
        return [arg for name in self.active for value in getattr(self, name) for arg in (f"--{name}", value)]

    def customer_predicate(self, column: str, keys: tuple[str, ...] = ("segment", "region", "channel")) -> str:
        """`column` is a customer_id of F, the customers matching the filters among `keys`; TRUE without them.

        A customer_id missing from customers drops out while a customer filter is set (section "Filters");
        IN (not a join) keeps a customer listed twice in customers from doubling anything (rule 4).
        """
        conditions = [sql_in(key, getattr(self, key)) for key in keys if getattr(self, key)]
        if not conditions:
            return "TRUE"
        return f"{column} IN (SELECT customer_id FROM customers WHERE {' AND '.join(conditions)})"

    def deal_predicate(self, deal: str) -> str:
        """Deals (opportunities row alias `deal`) kept by the filters: owner and the deal's own channel;
        segment and region through the deal's customer, so deals without a customer drop out."""
        conditions = [self.customer_predicate(f"{deal}.customer_id", keys=("segment", "region"))]
        if self.owner:
            conditions.append(sql_in(f"{deal}.owner", self.owner))
        if self.channel:
            conditions.append(sql_in(f"{deal}.channel", self.channel))
        return " AND ".join(conditions)


def no_value_by(kpi: str, filters: Filters) -> tuple[str, ...]:
    """The active filters under which `kpi` has no value."""
    return tuple(name for name in filters.active if FILTER_TABLE[kpi][name] == NO_VALUE)


def not_filtered_by(kpi: str, filters: Filters) -> tuple[str, ...]:
    """The active filters that apply to no part of `kpi` (it keeps its unfiltered value)."""
    return tuple(name for name in filters.active if FILTER_TABLE[kpi][name] == NOT_FILTERED)


def has_value(kpi: str, filters: Filters) -> bool:
    return not no_value_by(kpi, filters)
