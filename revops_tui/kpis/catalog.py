"""One record per KPI: kpis.md as data (metadata and how filters apply)."""

from __future__ import annotations

from dataclasses import dataclass

# How an active filter treats a KPI (kpis.md, section Filters):
FILTERED = "filtered"  # the KPI is narrowed by the filter
IGNORED = "not filtered"  # the filter applies to none of its parts: value kept, marked
NA = "no value"  # the filter applies to some parts only: no value

FILTER_NAMES = ("segment", "region", "channel", "owner")

DEPARTMENTS = {
    "overview": "Overview",
    "marketing": "Marketing",
    "sales": "Sales",
    "customer_success": "Customer Success",
    "data_quality": "Data Quality",
}


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    department: str
    unit: str  # currency, %, count, ratio, months, days, hours, currency/day, score
    better: str  # higher | lower
    tables: tuple[str, ...]
    filters: dict[str, str]  # filter name -> FILTERED | IGNORED | NA
    definition: str = ""
    short_name: str | None = None
    bounds: tuple[float | None, float | None] | None = None  # a target's range; None: by unit (UNIT_BOUNDS)

    @property
    def label(self) -> str:
        return self.short_name or self.name

    @property
    def no_value_reason(self) -> str:
        """Why a month has no value though the KPI is available (kpis.md rule 5: a rate or mean over
        no rows), short enough for a card."""
        return NO_VALUE_WHEN.get(self.id, "nothing to measure")

    @property
    def additive(self) -> bool:
        """A sum or a count: the values of disjoint parts (segments, owners) add up to the whole."""
        return self.id in ADDITIVE

    @property
    def target_range(self) -> tuple[float | None, float | None]:
        """The values a target can sensibly take (low, high; None: open)."""
        return self.bounds if self.bounds is not None else UNIT_BOUNDS.get(self.unit, (0.0, None))


# A share of a whole is 0..100 %, a score -100..100; money, counts, durations, ratios >= 0.
# KPIs that leave these say so with `bounds` (growth rates down to -100 %, NRR above 100 %, ...).
UNIT_BOUNDS: dict[str, tuple[float | None, float | None]] = {"%": (0.0, 100.0), "score": (-100.0, 100.0)}


def _f(customer: str, owner: str, channel: str) -> dict[str, str]:
    return {"segment": customer, "region": customer, "owner": owner, "channel": channel}


CUSTOMER = _f(FILTERED, IGNORED, FILTERED)
SPEND = _f(NA, IGNORED, NA)
LEADS = _f(IGNORED, IGNORED, FILTERED)
DEALS = _f(FILTERED, FILTERED, FILTERED)
QUOTA = _f(NA, FILTERED, NA)
NONE = _f(IGNORED, IGNORED, IGNORED)

SUBS = ("subscriptions",)

_ALL = [
    # Overview
    Kpi("mrr", "MRR", "overview", "currency", "higher", SUBS, CUSTOMER,
        "sum over customers of MRR at the end of the month"),
    Kpi("arr", "ARR", "overview", "currency", "higher", SUBS, CUSTOMER, "12 x MRR"),
    Kpi("revenue_growth", "Revenue growth", "overview", "%", "higher", SUBS, CUSTOMER,
        "(mrr(M) - mrr(M-1)) / mrr(M-1)", bounds=(-100.0, None)),
    Kpi("nrr", "Net revenue retention (12 mo)", "overview", "%", "higher", SUBS, CUSTOMER,
        "MRR now of the customers active 12 months ago / their MRR then", short_name="NRR (12 mo)",
        bounds=(0.0, None)),
    Kpi("grr", "Gross revenue retention (12 mo)", "overview", "%", "higher", SUBS, CUSTOMER,
        "as NRR, each customer capped at its MRR 12 months ago", short_name="GRR (12 mo)"),
    Kpi("logo_churn_rate", "Churn rate (logos)", "overview", "%", "lower", SUBS, CUSTOMER,
        "customers active at E(M-1) and not at E(M) / customers active at E(M-1)"),
    Kpi("revenue_churn_rate", "Gross MRR churn", "overview", "%", "lower", SUBS, CUSTOMER,
        "(churned + contraction MRR) / mrr(M-1)"),
    Kpi("renewal_rate", "Renewal rate", "overview", "%", "higher", SUBS, CUSTOMER,
        "(customer, term end) pairs ending in M still active on term end / all such pairs"),
    Kpi("revenue_backlog", "Revenue backlog", "overview", "currency", "higher", SUBS, CUSTOMER,
        "committed revenue not yet billed up to each row's term end"),
    Kpi("cac", "CAC", "overview", "currency", "lower", ("subscriptions", "expenses"), SPEND,
        "marketing + sales expenses in M / new customers in M"),
    Kpi("clv", "Customer lifetime value", "overview", "currency", "higher", ("subscriptions", "expenses"),
        SPEND, "ARPA x gross margin x lifetime - CAC (12 mo)", short_name="CLV", bounds=(None, None)),
    Kpi("ltv_cac", "LTV : CAC", "overview", "ratio", "higher", ("subscriptions", "expenses"), SPEND,
        "ARPA x gross margin x lifetime / CAC (12 mo)"),
    Kpi("cac_payback", "CAC payback", "overview", "months", "lower", ("subscriptions", "expenses"), SPEND,
        "CAC (12 mo) / (ARPA x gross margin)"),
    # Marketing
    Kpi("new_leads", "New leads", "marketing", "count", "higher", ("leads",), LEADS,
        "leads created in M"),
    Kpi("lead_conversion_rate", "Lead to opportunity", "marketing", "%", "higher", ("leads",), LEADS,
        "leads created in M that converted / leads created in M (cohort)"),
    Kpi("pipeline_generated", "Marketing pipeline", "marketing", "currency", "higher", ("opportunities",),
        DEALS, "amount of lead-sourced opportunities created in M"),
    Kpi("new_mrr", "New MRR", "marketing", "currency", "higher", SUBS, CUSTOMER,
        "MRR of customers whose first paid day is in M"),
    Kpi("marketing_cac", "Marketing cost per new customer", "marketing", "currency", "lower",
        ("subscriptions", "expenses"), _f(NA, IGNORED, FILTERED), "marketing expenses in M / new customers in M",
        short_name="Mktg cost / new cust."),
    # Sales
    Kpi("lead_to_sqo_rate", "Lead to qualified opportunity", "sales", "%", "higher",
        ("leads", "opportunities"), LEADS, "leads created in M whose opportunity was qualified (cohort)",
        short_name="Lead to SQO"),
    Kpi("pipeline_open", "Open pipeline", "sales", "currency", "higher", ("opportunity_history",), DEALS,
        "amount of deals in an open stage at E(M)"),
    Kpi("open_opportunities", "Open opportunities", "sales", "count", "higher", ("opportunity_history",),
        DEALS, "deals in an open stage at E(M)"),
    Kpi("win_rate", "Win rate", "sales", "%", "higher", ("opportunities",), DEALS,
        "won / (won + lost) of deals closed in M"),
    Kpi("avg_deal_size", "Average deal size", "sales", "currency", "higher", ("opportunities",), DEALS,
        "mean amount of deals won in M"),
    Kpi("sales_cycle_days", "Sales cycle", "sales", "days", "lower", ("opportunities",), DEALS,
        "mean days from created to closed of deals won in M"),
    Kpi("pipeline_velocity", "Pipeline velocity", "sales", "currency/day", "higher",
        ("opportunities", "opportunity_history"), DEALS, "open deals x mean won amount x win rate / cycle (3 mo)"),
    Kpi("quota_attainment", "Quota attainment", "sales", "%", "higher", ("opportunities", "quotas"), QUOTA,
        "new business + expansion won in M / quotas for M", bounds=(0.0, None)),
    # Customer Success
    Kpi("nps", "Net promoter score", "customer_success", "score", "higher", ("nps_responses",), CUSTOMER,
        "% promoters (9-10) - % detractors (0-6) of responses in M", short_name="NPS"),
    Kpi("book_growth", "Book of business growth", "customer_success", "%", "higher", SUBS, CUSTOMER,
        "MRR change of the customers active at E(M-1)", bounds=(-100.0, None)),
    Kpi("product_adoption", "Product adoption", "customer_success", "%", "higher", ("subscriptions", "usage"),
        CUSTOMER, "active customers with product usage in M / active customers"),
    Kpi("support_tickets", "Support tickets", "customer_success", "count", "lower", ("tickets",), CUSTOMER,
        "tickets created in M"),
    Kpi("resolution_hours", "Ticket resolution time", "customer_success", "hours", "lower", ("tickets",),
        CUSTOMER, "median hours to resolve, tickets resolved in M"),
    Kpi("retention_cost", "Customer retention cost", "customer_success", "currency", "lower",
        ("subscriptions", "expenses"), _f(NA, IGNORED, NA), "customer success expenses in M / customers active at E(M-1)"),
    # Data Quality (one value per data load; tables: whatever exists)
    Kpi("dq_completeness", "Completeness", "data_quality", "%", "higher", (), NONE,
        "non-null share of the required fields"),
    Kpi("dq_validity", "Validity", "data_quality", "%", "higher", (), NONE,
        "values that pass their format and range rules"),
    Kpi("dq_consistency", "Consistency", "data_quality", "%", "higher", (), NONE,
        "rows that agree with related fields and tables"),
    Kpi("dq_uniqueness", "Uniqueness", "data_quality", "%", "higher", (), NONE,
        "rows whose keys are unique"),
    Kpi("dq_accuracy", "Accuracy (CRM vs billing)", "data_quality", "%", "higher",
        ("opportunities", "subscriptions"), NONE, "won new deals with a matching subscription start"),
    Kpi("dq_freshness", "Freshness", "data_quality", "days", "lower", (), NONE,
        "days from the newest event in the stalest table to the as-of day"),
    Kpi("crm_quality", "CRM quality score", "data_quality", "%", "higher", (), NONE,
        "weighted mean of the five quality scores"),
]

MOVEMENTS = {
    "mrr_new": ("New", "higher"),
    "mrr_reactivation": ("Reactivation", "higher"),
    "mrr_expansion": ("Expansion", "higher"),
    "mrr_contraction": ("Contraction", "lower"),
    "mrr_churn": ("Churn", "lower"),
}
MOVEMENT_NAMES = tuple(k.removeprefix("mrr_") for k in MOVEMENTS)  # new, reactivation, ...
for _id, (_name, _better) in MOVEMENTS.items():
    _ALL.append(Kpi(_id, f"MRR movement: {_name}", "overview", "currency", _better, SUBS, CUSTOMER,
                    f"{_name.lower()} MRR of the month (positive amount)", short_name=f"{_name} MRR"))

CATALOG: dict[str, Kpi] = {k.id: k for k in _ALL}

# What was empty when a month has no value (rule 5; rule 12 for the 12-month ratios). Sums and
# counts are 0 over no rows, never without a value.
NO_VALUE_WHEN = {
    "revenue_growth": "no MRR last month", "revenue_churn_rate": "no MRR last month",
    "book_growth": "no MRR last month", "nrr": "no MRR 12 months ago", "grr": "no MRR 12 months ago",
    "logo_churn_rate": "none active last month", "retention_cost": "none active last month",
    "renewal_rate": "no renewals due", "cac": "no new customers", "marketing_cac": "no new customers",
    "clv": "no ARPA or CAC (12 mo)", "ltv_cac": "CAC (12 mo) 0 or none", "cac_payback": "ARPA 0 or none",
    "lead_conversion_rate": "no leads created", "lead_to_sqo_rate": "no leads created",
    "win_rate": "no deals closed", "avg_deal_size": "no deals won", "sales_cycle_days": "no deals won",
    "pipeline_velocity": "no wins / 0-day cycle", "quota_attainment": "no quota this month",
    "nps": "no responses", "product_adoption": "no active customers", "resolution_hours": "no tickets resolved",
}

# Sums and counts: a breakdown's parts add up to them (and get a share of the whole), and a
# company-wide target is a target for the whole, not for a filtered part. Rates, means and
# ratios do not add up.
ADDITIVE = frozenset({
    "mrr", "arr", "revenue_backlog", "new_mrr", "mrr_new", "mrr_reactivation", "mrr_expansion",
    "mrr_contraction", "mrr_churn", "new_leads", "pipeline_generated", "pipeline_open", "open_opportunities",
    "support_tickets",
})

# The five panes: the KPIs each shows, in order (a KPI may sit on several panes).
PANES: dict[str, tuple[str, ...]] = {
    "overview": ("mrr", "arr", "revenue_growth", "nrr", "grr", "logo_churn_rate", "revenue_churn_rate",
                 "renewal_rate", "revenue_backlog", "cac", "clv", "ltv_cac", "cac_payback"),
    "marketing": ("new_leads", "lead_conversion_rate", "pipeline_generated", "new_mrr", "marketing_cac",
                  "mrr", "arr", "nrr"),
    "sales": ("lead_to_sqo_rate", "pipeline_open", "open_opportunities", "win_rate", "avg_deal_size",
              "sales_cycle_days", "pipeline_velocity", "quota_attainment"),
    "customer_success": ("logo_churn_rate", "nps", "book_growth", "product_adoption", "support_tickets",
                         "resolution_hours", "retention_cost"),
    "data_quality": ("dq_completeness", "dq_validity", "dq_consistency", "dq_uniqueness", "dq_accuracy",
                     "dq_freshness", "crm_quality"),
}

DQ_IDS = PANES["data_quality"]
