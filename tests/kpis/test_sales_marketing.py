"""Marketing and Sales KPIs on tiny hand-built tables (as of 2024-03-15, months Jan..Mar 2024)."""

import pytest

from tests.builders import run, series


def opp(oid, type_, created, stage, amount, closed=None, qualified=None, lead=None, owner="ann",
        channel="organic", customer=None):
    return {"opportunity_id": oid, "customer_id": customer, "lead_id": lead, "owner": owner, "type": type_,
            "channel": channel, "created_at": created, "qualified_at": qualified, "stage": stage,
            "amount": amount, "closed_at": closed}


def hist(oid, stage, amount, day):
    return {"opportunity_id": oid, "stage": stage, "amount": amount, "changed_at": day}


OPPS = [
    opp("o1", "new_business", "2024-01-01", "closed_won", 1000.0, "2024-01-31", "2024-01-10", lead="L1"),
    opp("o2", "new_business", "2023-12-01", "closed_lost", 500.0, "2024-01-15", owner="bob"),
    opp("o3", "expansion", "2024-01-20", "closed_won", 3000.0, "2024-03-01", owner="bob"),
    # open stage with a closed_at: not closed (rule 14)
    opp("o4", "renewal", "2024-02-01", "proposal", 2000.0, "2024-02-20"),
    # won without closed_at: closed in no month (rule 14)
    opp("o5", "new_business", "2024-02-10", "closed_won", 700.0, None, lead="L2"),
    opp("o6", "new_business", "2024-03-05", "unknownstage", 400.0, None, "2024-03-06", lead="L3"),
]
HISTORY = [
    hist("o1", "prospecting", 800.0, "2024-01-01"), hist("o1", "proposal", 1000.0, "2024-01-15"),
    hist("o1", "closed_won", 1000.0, "2024-01-31"),
    hist("o2", "prospecting", 500.0, "2023-12-01"), hist("o2", "closed_lost", 500.0, "2024-01-15"),
    # o4 is lost, then reopened
    hist("o4", "prospecting", 2000.0, "2024-02-01"), hist("o4", "closed_lost", 2000.0, "2024-02-10"),
    hist("o4", "proposal", 2000.0, "2024-02-20"),
    hist("o6", "unknownstage", 400.0, "2024-03-05"),
    # o7 has history only (orphan, counts); two changes the same day: the later row in the file wins
    hist("o7", "negotiation", 900.0, "2024-02-15"), hist("o7", "closed_won", 900.0, "2024-02-15"),
]
QUOTAS = [
    {"owner": "ann", "month": "2024-01-01", "amount": 1000.0}, {"owner": "bob", "month": "2024-01-01", "amount": 1000.0},
    {"owner": "ann", "month": "2024-03-01", "amount": 1500.0},
]
LEADS = [
    {"lead_id": "L1", "created_at": "2024-01-05", "channel": "organic", "converted_at": "2024-01-07", "opportunity_id": "o1"},
    {"lead_id": "L2", "created_at": "2024-01-10", "channel": "paid_search", "converted_at": "2024-02-10", "opportunity_id": "o5"},
    # L3 never converted itself, but o6 names it as its lead and o6 is qualified
    {"lead_id": "L3", "created_at": "2024-02-02", "channel": "organic"},
    {"lead_id": "L4", "created_at": "2024-03-01", "channel": "events"},
    {"lead_id": "L5", "created_at": "2024-03-20", "channel": "organic"},  # after the as-of day
]


@pytest.fixture(scope="module")
def r():
    return run("2024-03-15", months=3, opportunities=OPPS, opportunity_history=HISTORY, quotas=QUOTAS, leads=LEADS)


def test_win_rate_deal_size_cycle(r):
    # Jan: o1 won, o2 lost; Feb: nothing closed (o4 open stage, o5 no closed_at); Mar: o3 won
    assert series(r, "win_rate") == {"2024-01": 50.0, "2024-02": None, "2024-03": 100.0}
    assert series(r, "avg_deal_size") == {"2024-01": 1000.0, "2024-02": None, "2024-03": 3000.0}
    # o1: Jan 1 -> Jan 31 = 30 days; o3: Jan 20 -> Mar 1 2024 = 41 days
    assert series(r, "sales_cycle_days") == {"2024-01": 30.0, "2024-02": None, "2024-03": 41.0}


def test_quota_attainment(r):
    # Jan: 1000 won (new business) / (1000 + 1000); Feb: no quota rows -> no value; Mar: 3000 (expansion) / 1500
    assert series(r, "quota_attainment") == {"2024-01": 50.0, "2024-02": None, "2024-03": 200.0}


def test_pipeline_generated(r):
    # lead-sourced deals by created month: o1 1000 (Jan), o5 700 (Feb), o6 400 (Mar)
    assert series(r, "pipeline_generated") == {"2024-01": 1000.0, "2024-02": 700.0, "2024-03": 400.0}


def test_open_pipeline_from_history(r):
    # E(Jan): o1 won on Jan 31, o2 lost -> nothing open
    # E(Feb): o4 reopened in proposal (2000); o7's last row of Feb 15 is closed_won
    # E(Mar 15): o4 2000 + o6 400 in an unknown stage (neither won nor lost, rule 3); o3 has no history
    assert series(r, "pipeline_open") == {"2024-01": 0.0, "2024-02": 2000.0, "2024-03": 2400.0}
    assert series(r, "open_opportunities") == {"2024-01": 0, "2024-02": 1, "2024-03": 2}


def test_open_pipeline_the_same_whatever_the_row_order():
    # HISTORY comes deal by deal in time order (no sort needed); reversed, or with the two
    # same-day rows of o7 kept in their file order but everything else shuffled, the rows
    # must be sorted first and give the same numbers.
    import polars as pl

    from revops_tui.kpis.sales import in_deal_order
    from tests.builders import tables

    o7 = HISTORY[-2:]
    shuffled = [HISTORY[4], *o7, HISTORY[0], HISTORY[8], HISTORY[5], HISTORY[2], HISTORY[1], HISTORY[7],
                HISTORY[3], HISTORY[6]]
    assert sorted(map(str, shuffled)) == sorted(map(str, HISTORY))
    assert in_deal_order(tables(opportunity_history=HISTORY).frames["opportunity_history"])
    assert not in_deal_order(tables(opportunity_history=shuffled).frames["opportunity_history"])
    with_null = [*HISTORY, hist(None, "proposal", 1.0, "2024-03-01")]
    assert not in_deal_order(tables(opportunity_history=with_null).frames["opportunity_history"])
    assert not in_deal_order(pl.LazyFrame({"x": [1]}))  # unreadable: no, and the query reports it
    got = run("2024-03-15", months=3, opportunities=OPPS, opportunity_history=shuffled)
    assert series(got, "pipeline_open") == {"2024-01": 0.0, "2024-02": 2000.0, "2024-03": 2400.0}
    assert series(got, "open_opportunities") == {"2024-01": 0, "2024-02": 1, "2024-03": 2}


def test_pipeline_velocity(r):
    # Mar: N = 2; Jan..Mar won o1 (1000, 30 d) and o3 (3000, 41 d), lost o2:
    #      V = 2000, W = 2/3, L = 35.5 -> 2 x 2000 x 2/3 / 35.5
    # Feb: N = 1; Dec..Feb: won o1, lost o2 -> 1 x 1000 x 0.5 / 30; Jan: N = 0 -> 0
    assert series(r, "pipeline_velocity") == pytest.approx(
        {"2024-01": 0.0, "2024-02": 1000 * 0.5 / 30, "2024-03": 2 * 2000 * (2 / 3) / 35.5})


def test_leads_and_conversion(r):
    assert series(r, "new_leads") == {"2024-01": 2, "2024-02": 1, "2024-03": 1}
    # cohort rate (rule 6): L2 converted in Feb still counts for Jan's cohort
    assert series(r, "lead_conversion_rate") == {"2024-01": 100.0, "2024-02": 0.0, "2024-03": 0.0}


def test_lead_to_sqo(r):
    # Jan: L1 -> o1 qualified; L2 -> o5 not qualified. Feb: L3 via o6.lead_id (qualified). Mar: L4 none.
    assert series(r, "lead_to_sqo_rate") == {"2024-01": 50.0, "2024-02": 100.0, "2024-03": 0.0}


def test_velocity_no_value_when_nothing_won():
    r = run("2024-03-15", months=1,
            opportunities=[opp("x", "new_business", "2024-01-01", "closed_lost", 10.0, "2024-03-01")],
            opportunity_history=[hist("x", "prospecting", 10.0, "2024-01-01")])
    assert r["pipeline_velocity"].value is None
    assert r["win_rate"].value == 0.0
