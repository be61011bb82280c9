"""Drill-down: breakdowns add up to the KPI, records are the rows behind the number."""

import datetime as dt

import pytest

from revops_tui.config import Settings
from revops_tui.kpis.drilldown import ADDITIVE, Scope, breakdown, dimensions, records
from revops_tui.kpis.engine import compute
from revops_tui.kpis.results import Filters
from tests.builders import sub, tables
from tests.kpis.test_revenue import SCENARIO_A
from tests.kpis.test_sales_marketing import HISTORY, LEADS, OPPS, hist, opp


def cust(cid, name, segment, region="NA", channel="organic"):
    return {"customer_id": cid, "name": name, "email": f"{cid}@x.com", "segment": segment, "region": region,
            "channel": channel, "created_at": "2023-01-01"}


CUSTOMERS = [cust("trial", "[bold red]Trial[/]", "SMB"), cust("flash", "Flash", "SMB"),
             cust("swap", "Swap", "Enterprise", "EMEA"), cust("gap", "Gap", "SMB"),
             cust("gone", "Gone", "Enterprise", "EMEA"), cust("down", "Down", "Enterprise")]


def scope(filters=Filters(), **rows):
    return Scope(tables(**rows), Settings(), dt.date(2024, 3, 15), filters)


@pytest.fixture(scope="module")
def a():
    return scope(customers=CUSTOMERS, subscriptions=SCENARIO_A, opportunities=OPPS, opportunity_history=HISTORY,
                 leads=LEADS)


def test_dimensions():
    assert dimensions("mrr") == ("segment", "region", "channel")
    assert dimensions("pipeline_open") == ("segment", "region", "channel", "owner", "stage")
    assert dimensions("new_leads") == ("channel",)
    assert dimensions("dq_validity") == ("rule", "table")


def test_customer_records_for_a_movement(a):
    # March: flash reactivates (0 -> 60), down contracts (200 -> 120)
    df = records(a, "mrr", "2024-03")
    rows = {r["customer_id"]: r for r in df.iter_rows(named=True)}
    assert rows["flash"]["mrr_from"] == 0 and rows["flash"]["mrr_to"] == 60 and rows["flash"]["movement"] == "reactivation"
    assert rows["down"]["change"] == -80 and rows["down"]["movement"] == "contraction"
    assert rows["gap"]["movement"] == "" and rows["gap"]["mrr_from"] == rows["gap"]["mrr_to"] == 80
    assert "gone" not in rows  # 0 at E(Feb) and E(Mar)
    assert sum(df["mrr_to"]) == 520  # the rows behind MRR add up to it
    assert rows["trial"]["name"] == "[bold red]Trial[/]"  # data comes back literally
    churn = records(a, "mrr", "2024-02", detail="churn")
    assert churn["customer_id"].to_list() == ["gone"] and churn["mrr_from"].to_list() == [30.0]
    assert records(a, "mrr_expansion", "2024-02")["customer_id"].to_list() == ["swap"]


def test_breakdown_adds_up_for_sums(a):
    rows = breakdown(a, "mrr", "2024-03", "segment")
    by = {r.label: r for r in rows}
    # SMB: trial 100 + flash 60 + gap 80 = 240; Enterprise: swap 160 + down 120 = 280
    assert by["SMB"].value == 240 and by["Enterprise"].value == 280
    assert by["SMB"].share == pytest.approx(240 / 520 * 100)
    rates = breakdown(a, "logo_churn_rate", "2024-02", "segment")
    assert {r.label: r.value for r in rates} == {"Enterprise": pytest.approx(100 / 3), "SMB": 0.0}
    assert all(r.share is None for r in rates)  # rates do not add up


def test_breakdown_within_active_filter(a):
    narrowed = Scope(a.tables, a.settings, a.as_of, Filters.of(segment=["SMB"]))
    assert [r.label for r in breakdown(narrowed, "mrr", "2024-03", "segment")] == ["SMB"]


def test_open_pipeline_by_stage_and_its_deals(a):
    rows = {r.label: r for r in breakdown(a, "pipeline_open", "2024-03", "stage")}
    assert rows["proposal"].value == 2000 and rows["unknownstage"].value == 400
    deals = records(a, "pipeline_open", "2024-03", detail="proposal")
    assert deals["opportunity_id"].to_list() == ["o4"] and deals["owner"].to_list() == ["ann"]
    assert records(a, "open_opportunities", "2024-03").height == 2


def test_closed_deals_and_leads(a):
    assert records(a, "win_rate", "2024-01")["opportunity_id"].sort().to_list() == ["o1", "o2"]
    assert records(a, "avg_deal_size", "2024-01")["opportunity_id"].to_list() == ["o1"]
    assert records(a, "new_leads", "2024-01")["lead_id"].to_list() == ["L1", "L2"]
    assert records(a, "pipeline_generated", "2024-02")["opportunity_id"].to_list() == ["o5"]


def test_owner_breakdown_of_win_rate(a):
    rows = {r.label: r.value for r in breakdown(a, "win_rate", "2024-01", "owner")}
    assert rows == {"ann": 100.0, "bob": 0.0}


def test_quality_records_and_breakdown():
    s = scope(customers=[cust("c1", "A", "SMB"), {**cust("c2", "B", "SMB"), "email": "not-an-email"}],
              subscriptions=[sub("c1", 100, "2024-01-01"), sub("c9", 5, "2024-01-01")])
    bad = records(s, "dq_validity", "2024-03", detail="e-mail pattern")
    assert bad.select("table", "key", "column", "value").row(0) == ("customers", "c2", "email", "not-an-email")
    orphans = records(s, "dq_consistency", "2024-03", detail="customer exists")
    assert orphans["key"].to_list() == [orphans["key"][0]] and orphans["value"].to_list() == ["c9"]
    rules = {r.label: r for r in breakdown(s, "dq_validity", "2024-03", "rule")}
    assert rules["e-mail pattern"].value == 50.0


def test_ticket_records():
    s = scope(tickets=[
        {"ticket_id": "t1", "customer_id": "c1", "created_at": "2024-03-02", "created_at_ts": "2024-03-02T10:00:00",
         "resolved_at": "2024-03-03", "resolved_at_ts": "2024-03-03T12:00:00", "priority": "high"},
        {"ticket_id": "t2", "customer_id": "c1", "created_at": "2024-02-02", "created_at_ts": "2024-02-02T10:00:00",
         "priority": "low"},
    ])
    assert records(s, "support_tickets", "2024-03")["ticket_id"].to_list() == ["t1"]
    assert records(s, "resolution_hours", "2024-03")["hours"].to_list() == [26.0]


def test_only_computes_the_named_kpis(a):
    from revops_tui.kpis.engine import compute

    full = compute(a.tables, a.settings, a.as_of, 3)
    one = compute(a.tables, a.settings, a.as_of, 3, only=("pipeline_open",))
    assert list(one.kpis) == ["pipeline_open"]
    assert one["pipeline_open"].series == full["pipeline_open"].series
    assert compute(a.tables, a.settings, a.as_of, 3, only=("mrr",))["mrr"].series == full["mrr"].series


# Rows without a value of a dimension (rule 3: they still count). As of 2024-03-15:
#   customers c1 SMB/NA/organic, c2 Enterprise/EMEA/paid, c3 no segment, NA, no channel;
#   c9 is not in customers (orphan) and one subscription and one ticket have no customer_id.
HOLES_CUSTOMERS = [cust("c1", "One", "SMB"), cust("c2", "Two", "Enterprise", "EMEA", "paid"),
                   {**cust("c3", "Three", None), "channel": None}]
HOLES_SUBS = [
    sub("c1", 100, "2024-01-01"),
    sub("c2", 200, "2024-01-01", "2024-03-05"), sub("c2", 150, "2024-03-05"),  # contraction 50 in March
    sub("c3", 50, "2024-02-01", term_end="2024-12-31"),  # new in February
    sub("c9", 30, "2024-01-01", term_end="2024-06-30"),
    sub(None, 40, "2024-01-01"),  # no customer: counts for no customer, so not in MRR
]


def ticket(tid, cid, created, resolved_ts):
    return {"ticket_id": tid, "customer_id": cid, "created_at": created, "created_at_ts": f"{created}T08:00:00",
            "resolved_at": resolved_ts[:10], "resolved_at_ts": resolved_ts, "priority": "low"}


HOLES_TICKETS = [ticket("t1", "c1", "2024-03-02", "2024-03-02T10:00:00"),  # 2 h
                 ticket("t2", "c3", "2024-03-03", "2024-03-03T12:00:00"),  # 4 h
                 ticket("t3", "c9", "2024-03-04", "2024-03-04T18:00:00"),  # 10 h
                 ticket("t4", None, "2024-03-05", "2024-03-05T14:00:00")]  # 6 h
# Open in March: d1 c1 ann 1000, d2 no customer bob no channel 500, d3 orphan c9 no owner 300,
# d4 c3 (no segment) ann paid 200. d2 and d3 come from leads and were created in March.
HOLES_OPPS = [
    opp("d1", "new_business", "2024-02-01", "proposal", 1000.0, customer="c1"),
    opp("d2", "new_business", "2024-03-01", "prospecting", 500.0, lead="L1", owner="bob", channel=None),
    opp("d3", "new_business", "2024-03-02", "prospecting", 300.0, lead="L2", owner=None, customer="c9"),
    opp("d4", "expansion", "2024-02-15", "negotiation", 200.0, channel="paid", customer="c3"),
]
HOLES_HISTORY = [hist("d1", "proposal", 1000.0, "2024-02-01"), hist("d2", "prospecting", 500.0, "2024-03-01"),
                 hist("d3", "prospecting", 300.0, "2024-03-02"), hist("d4", "negotiation", 200.0, "2024-02-15")]
HOLES_LEADS = [{"lead_id": "L1", "created_at": "2024-03-01", "channel": "organic"},
               {"lead_id": "L2", "created_at": "2024-03-02", "channel": None},
               {"lead_id": "L3", "created_at": "2024-02-05", "channel": "paid"}]


@pytest.fixture(scope="module")
def holes():
    return scope(customers=HOLES_CUSTOMERS, subscriptions=HOLES_SUBS, tickets=HOLES_TICKETS,
                 opportunities=HOLES_OPPS, opportunity_history=HOLES_HISTORY, leads=HOLES_LEADS)


def values(rows):
    return {r.label: r.value for r in rows}


def test_rows_without_a_value_have_rows_of_their_own(holes):
    # MRR March: c1 100 + c2 150 + c3 50 + c9 30 = 330 (the row without customer_id counts for none)
    by = {r.label: r for r in breakdown(holes, "mrr", "2024-03", "segment")}
    assert values(by.values()) == {"Enterprise": 150, "SMB": 100, "(no segment)": 50, "(unknown customer)": 30}
    assert by["(no segment)"].share == pytest.approx(50 / 330 * 100)
    assert values(breakdown(holes, "mrr", "2024-03", "channel")) == {
        "organic": 100, "paid": 150, "(no channel)": 50, "(unknown customer)": 30}
    # tickets in March: t1 c1 SMB, t2 c3 no segment, t3 orphan c9, t4 without customer; by region c1, c3 are NA
    assert values(breakdown(holes, "support_tickets", "2024-03", "segment")) == {
        "SMB": 1, "Enterprise": 0, "(no segment)": 1, "(no customer)": 1, "(unknown customer)": 1}
    assert values(breakdown(holes, "support_tickets", "2024-03", "region")) == {
        "NA": 2, "EMEA": 0, "(no customer)": 1, "(unknown customer)": 1}
    # open pipeline: SMB d1 1000, no segment d4 200, no customer d2 500, orphan d3 300; owners ann d1+d4
    assert values(breakdown(holes, "pipeline_open", "2024-03", "segment")) == {
        "SMB": 1000, "Enterprise": 0, "(no segment)": 200, "(no customer)": 500, "(unknown customer)": 300}
    assert values(breakdown(holes, "pipeline_open", "2024-03", "owner")) == {"ann": 1200, "bob": 500, "(no owner)": 300}
    assert values(breakdown(holes, "pipeline_open", "2024-03", "channel")) == {
        "organic": 1300, "paid": 200, "(no channel)": 500}
    assert values(breakdown(holes, "new_leads", "2024-03", "channel")) == {"organic": 1, "paid": 0, "(no channel)": 1}


def test_rows_without_a_value_of_a_median_show_their_own(holes):
    # resolution hours in March: SMB t1 2, no segment t2 4, orphan t3 10, no customer t4 6; all: (4 + 6) / 2
    rows = breakdown(holes, "resolution_hours", "2024-03", "segment")
    assert values(rows) == {"SMB": 2, "Enterprise": None, "(no segment)": 4, "(no customer)": 6,
                            "(unknown customer)": 10}
    assert all(r.share is None for r in rows)  # a median's parts do not add up


@pytest.mark.parametrize("kpi_id", sorted(ADDITIVE))
def test_every_additive_breakdown_adds_up_to_the_kpi(holes, kpi_id):
    whole = compute(holes.tables, holes.settings, holes.as_of, 3, only=(kpi_id,))[kpi_id]
    for dim in dimensions(kpi_id):
        for month, total in whole.series:
            rows = breakdown(holes, kpi_id, month, dim)
            assert sum(r.value or 0 for r in rows) == pytest.approx(total), (dim, month)
            if total:
                assert sum(r.share for r in rows) == pytest.approx(100), (dim, month)


def test_records_behind_the_rows_without_a_value(holes):
    def behind(kpi_id, dim, label, column, month="2024-03"):
        row = next(r for r in breakdown(holes, kpi_id, month, dim) if r.label == label)
        return sorted(records(holes, kpi_id, month, dimension=dim, value=row.filter_value)[column].to_list())

    assert behind("mrr", "segment", "(no segment)", "customer_id") == ["c3"]
    assert behind("mrr", "segment", "(unknown customer)", "customer_id") == ["c9"]
    assert behind("support_tickets", "segment", "(no customer)", "ticket_id") == ["t4"]
    assert behind("support_tickets", "region", "(unknown customer)", "ticket_id") == ["t3"]
    assert behind("pipeline_open", "segment", "(no customer)", "opportunity_id") == ["d2"]
    assert behind("pipeline_open", "owner", "(no owner)", "opportunity_id") == ["d3"]
    assert behind("new_leads", "channel", "(no channel)", "lead_id") == ["L2"]
    assert behind("mrr_contraction", "channel", "paid", "customer_id") == ["c2"]


def test_no_rows_without_a_customer_under_another_customer_filter(holes):
    # region NA: c1 100 + c3 50 = 150 (the orphan has no region, so it drops out, kpis.md Filters)
    na = Scope(holes.tables, holes.settings, holes.as_of, Filters.of(region=["NA"]))
    rows = breakdown(na, "mrr", "2024-03", "segment")
    assert values(rows) == {"Enterprise": 0, "SMB": 100, "(no segment)": 50}
    assert [r.share for r in rows] == [0, pytest.approx(100 / 150 * 100), pytest.approx(50 / 150 * 100)]
