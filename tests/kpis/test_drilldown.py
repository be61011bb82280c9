"""Drill-down: breakdowns add up to the KPI, records are the rows behind the number."""

import datetime as dt

import pytest

from revops_tui.config import Settings
from revops_tui.kpis.drilldown import Scope, breakdown, dimensions, records
from revops_tui.kpis.results import Filters
from tests.builders import sub, tables
from tests.kpis.test_revenue import SCENARIO_A
from tests.kpis.test_sales_marketing import HISTORY, LEADS, OPPS


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
