"""Overview KPIs on tiny hand-built tables; every expected number is worked out in a comment."""

import pytest

from revops_tui.config import Settings
from tests.builders import run, series, sub

# Scenario A, as of 2024-03-15 (partial March), months Jan..Mar 2024.
#   trial: 0 MRR trial 2023-12-20..2024-01-10, then 100       -> first paid day Jan 10: new in Jan (rule 7)
#   flash: 50 from Jan 3 to Jan 20 (in and out inside Jan)     -> new customer for CAC in Jan, no movement;
#          back at 60 on Mar 5                                 -> reactivation 60 in Mar
#   swap : plans 100 + 40; on Feb 10 both end, 150 + 10 start  -> net 140 -> 160: expansion 20 in Feb
#   gap  : 80 until Feb 5, again 80 from Feb 20                -> active at E(Jan) and E(Feb): no movement
#   gone : 30 until Feb 1                                      -> churn 30 in Feb
#   down : 200, from Mar 10 120                                -> contraction 80 in Mar
SCENARIO_A = [
    sub("trial", 0, "2023-12-20", "2024-01-10"), sub("trial", 100, "2024-01-10"),
    sub("flash", 50, "2024-01-03", "2024-01-20"), sub("flash", 60, "2024-03-05"),
    sub("swap", 100, "2023-06-01", "2024-02-10", plan="a"), sub("swap", 40, "2023-06-01", "2024-02-10", plan="b"),
    sub("swap", 150, "2024-02-10", plan="a"), sub("swap", 10, "2024-02-10", plan="b"),
    sub("gap", 80, "2023-01-01", "2024-02-05"), sub("gap", 80, "2024-02-20"),
    sub("gone", 30, "2023-05-01", "2024-02-01"),
    sub("down", 200, "2023-03-01", "2024-03-10"), sub("down", 120, "2024-03-10"),
]


@pytest.fixture(scope="module")
def a():
    return run("2024-03-15", months=3, subscriptions=SCENARIO_A)


def test_mrr_and_arr(a):
    # Dec 31: swap 140 + gap 80 + gone 30 + down 200 = 450 (not shown, used by growth)
    # Jan 31: + trial 100 = 550; Feb 29: gone out, swap 160 -> 540; Mar 15: flash 60, down 120 -> 520
    assert series(a, "mrr") == {"2024-01": 550, "2024-02": 540, "2024-03": 520}
    assert a["mrr"].value == 520 and a["mrr"].partial is True
    assert a["arr"].value == 520 * 12


def test_movements(a):
    assert series(a, "mrr_new") == {"2024-01": 100, "2024-02": 0, "2024-03": 0}
    assert series(a, "mrr_reactivation") == {"2024-01": 0, "2024-02": 0, "2024-03": 60}
    assert series(a, "mrr_expansion") == {"2024-01": 0, "2024-02": 20, "2024-03": 0}
    assert series(a, "mrr_contraction") == {"2024-01": 0, "2024-02": 0, "2024-03": 80}
    assert series(a, "mrr_churn") == {"2024-01": 0, "2024-02": 30, "2024-03": 0}
    assert a["new_mrr"].series == a["mrr_new"].series


def test_growth_and_churn(a):
    assert series(a, "revenue_growth") == pytest.approx(
        {"2024-01": 100 / 450 * 100, "2024-02": -10 / 550 * 100, "2024-03": -20 / 540 * 100})
    # logo churn: Jan 0 of 4; Feb 1 (gone) of 5 active at E(Jan); Mar 0 of 4 (flash comes back, no churn)
    assert series(a, "logo_churn_rate") == {"2024-01": 0, "2024-02": 20, "2024-03": 0}
    # gross MRR churn: Feb 30 / 550, Mar contraction 80 / 540
    assert series(a, "revenue_churn_rate") == pytest.approx(
        {"2024-01": 0, "2024-02": 30 / 550 * 100, "2024-03": 80 / 540 * 100})


def test_book_growth(a):
    # Feb: customers active at E(Jan) (trial, swap, gap, gone, down: 550) have 540 at E(Feb) -> -10/550
    # Mar: S = trial, swap, gap, down (540); at E(Mar) 100+160+80+120 = 460 (flash's 60 is not theirs)
    assert series(a, "book_growth") == pytest.approx(
        {"2024-01": 0.0, "2024-02": -10 / 550 * 100, "2024-03": -80 / 540 * 100})


def test_retention_12_months():
    # as of 2024-02-29 (a month end: not partial); S = A(2023-02-28)
    #   c1 100 -> 150 (expansion), c2 200 -> 50 (contraction), c3 100 -> 0 (churned)
    #   c4 starts after the base month; c5 is in a 0-MRR trial on 2023-02-28: neither is in S
    # NRR = (150 + 50 + 0) / 400 = 50%; GRR = (min(150,100) + 50 + 0) / 400 = 37.5%
    r = run("2024-02-29", months=1, subscriptions=[
        sub("c1", 100, "2022-12-01", "2023-06-01"), sub("c1", 150, "2023-06-01"),
        sub("c2", 200, "2022-06-01", "2023-10-01"), sub("c2", 50, "2023-10-01"),
        sub("c3", 100, "2022-01-01", "2023-08-01"),
        sub("c4", 300, "2023-05-01"),
        sub("c5", 0, "2023-01-01", "2023-03-01"), sub("c5", 80, "2023-03-01"),
    ])
    assert r["nrr"].value == pytest.approx(50.0)
    assert r["grr"].value == pytest.approx(37.5)
    assert r["mrr"].partial is False


def test_retention_partial_month_compares_as_of_day_with_month_end():
    # rule 8: as of 2024-03-15, E(M-12) = 2023-03-31. c1 joined 2023-03-20 (in S), c2 joined 2023-04-01 (not).
    # c1 expanded on 2024-03-16, after the as-of day: still 100. NRR = 100/100.
    r = run("2024-03-15", months=1, subscriptions=[
        sub("c1", 100, "2023-03-20", "2024-03-16"), sub("c1", 300, "2024-03-16"), sub("c2", 100, "2023-04-01"),
    ])
    assert r["nrr"].value == pytest.approx(100.0)


def test_nrr_no_value_without_base():
    r = run("2024-02-29", months=1, subscriptions=[sub("c1", 100, "2024-01-01")])
    assert r["nrr"].value is None and r["nrr"].available


def test_renewal_rate():
    # Jan: r1 renewed on its term end (new row starts that day); r2's two co-termed plans are one pair, not renewed
    # Feb: r3 runs past its term end (open row) -> renewed; r4 was cancelled before its term end -> not in D
    # Mar (to the 15th): r5's term end Mar 20 is after the as-of day; r6's plan A ends on term end but its
    #      plan B is active that day -> renewed (rule 9)
    r = run("2024-03-15", months=3, subscriptions=[
        sub("r1", 100, "2023-01-01", "2024-01-01", "2024-01-01"), sub("r1", 100, "2024-01-01", None, "2025-01-01"),
        sub("r2", 50, "2023-01-15", "2024-01-15", "2024-01-15"), sub("r2", 30, "2023-01-15", "2024-01-15", "2024-01-15"),
        sub("r3", 70, "2023-02-10", None, "2024-02-10"),
        sub("r4", 70, "2023-02-20", "2024-02-01", "2024-02-20"),
        sub("r5", 70, "2023-03-20", "2024-03-20", "2024-03-20"),
        sub("r6", 70, "2023-03-10", "2024-03-10", "2024-03-10"), sub("r6", 20, "2023-06-01"),
    ])
    assert series(r, "renewal_rate") == {"2024-01": 50.0, "2024-02": 100.0, "2024-03": 100.0}


def test_renewal_due_before_the_customers_first_level_is_not_renewed():
    # r7's term end (Feb 1) lies before its plan starts (Feb 15; a defect Data Quality flags): on
    # Feb 1 it has no MRR level yet -> due, not renewed. r6, the customer just before it in id
    # order, has a level of 20 on that day: it must not be taken as r7's. r3 renews as above.
    # Feb: 1 of 2 renewed -> 50%.
    r = run("2024-02-29", months=1, subscriptions=[
        sub("r3", 70, "2023-02-10", None, "2024-02-10"),
        sub("r6", 20, "2023-06-01"),
        sub("r7", 40, "2024-02-15", None, "2024-02-01"),
    ])
    assert series(r, "renewal_rate") == {"2024-02": 50.0}


def test_revenue_backlog():
    # as of 2024-01-31:
    #   b1: 100 x (2024-06-01 - 2024-01-31 = 122 days) x 12/365 = 401.0959
    #   b2: term end 2024-01-15 already passed (open row past term end) -> 0
    #   b3: 73 with a scheduled end 2024-12-01 still counts to its term end 2025-01-10: 345 days -> 828.0
    #   b4 starts after, b5 ended before the as-of day, b6 has no term -> 0
    r = run("2024-01-31", months=1, subscriptions=[
        sub("b1", 100, "2023-06-01", None, "2024-06-01"),
        sub("b2", 365, "2023-01-01", None, "2024-01-15"),
        sub("b3", 73, "2024-01-10", "2024-12-01", "2025-01-10"),
        sub("b4", 10, "2024-02-01", None, "2025-02-01"),
        sub("b5", 10, "2023-02-01", "2024-01-20", "2025-01-01"),
        sub("b6", 100, "2023-01-01"),
    ])
    assert r["revenue_backlog"].value == pytest.approx(100 * 122 * 12 / 365 + 73 * 345 * 12 / 365)


def _acquisition():
    # n1, n2 new in Jan, n3 new in Mar, o1 since 2023-01 (new before the 12-month windows below)
    subs = [sub("n1", 100, "2024-01-05"), sub("n2", 200, "2024-01-20"), sub("n3", 300, "2024-03-03"),
            sub("o1", 400, "2023-01-01")]
    expenses = [
        {"date": "2024-01-10", "department": "marketing", "channel": "organic", "amount": 1000.0},
        {"date": "2024-01-11", "department": "sales", "amount": 500.0},
        {"date": "2024-01-12", "department": "customer_success", "amount": 300.0},
        {"date": "2024-01-13", "department": "other", "amount": 999.0},
        {"date": "2024-02-10", "department": "marketing", "channel": None, "amount": 600.0},
        {"date": "2024-02-11", "department": "Marketing", "amount": 5000.0},  # rule 11: departments match exactly
    ]
    return run("2024-03-31", months=3, subscriptions=subs, expenses=expenses)


def test_cac():
    r = _acquisition()
    # Jan (1000 + 500) / 2 new; Feb 600 spend but 0 new -> no value; Mar 0 spend, 1 new -> 0 (rule 5)
    assert series(r, "cac") == {"2024-01": 750.0, "2024-02": None, "2024-03": 0.0}
    assert series(r, "marketing_cac") == {"2024-01": 500.0, "2024-02": None, "2024-03": 0.0}
    # CS spend / customers active at E(M-1): Jan 300 / 1 (o1); Feb 0 / 3; Mar 0 / 3
    assert series(r, "retention_cost") == {"2024-01": 300.0, "2024-02": 0.0, "2024-03": 0.0}


def test_clv_with_no_churn_uses_max_lifetime():
    r = _acquisition()
    # Mar: ARPA = 1000 / 4 = 250; churn12 = 0 -> L = 60; CAC12 = (1500 + 600) / 3 new = 700
    # CLV = 250 x 0.8 x 60 - 700 = 11300; LTV:CAC = 12000 / 700; payback = 700 / (250 x 0.8) = 3.5
    assert r["clv"].value == pytest.approx(11300)
    assert r["ltv_cac"].value == pytest.approx(12000 / 700)
    assert r["cac_payback"].value == pytest.approx(3.5)
    # Jan: ARPA 700/3, CAC12 = 1500 / 2 -> 700/3 x 48 - 750 = 10450
    assert series(r, "clv")["2024-01"] == pytest.approx(10450)


def test_clv_churn12_skips_months_without_value():
    # ten customers from 2024-01-01, five leave on 2024-02-10. churn: Jan has no base (no value),
    # Feb 5/10 = 50% -> churn12 = 0.5 (months without value skipped, rule 12) -> L = 2
    # ARPA = 500 / 5 = 100; CAC12 = 1000 / 10 = 100; CLV = 100 x 0.8 x 2 - 100 = 60
    subs = [sub(f"c{i}", 100, "2024-01-01", "2024-02-10" if i < 5 else None) for i in range(10)]
    r = run("2024-02-29", months=2, subscriptions=subs,
            expenses=[{"date": "2024-01-02", "department": "sales", "amount": 1000.0}])
    assert series(r, "logo_churn_rate") == {"2024-01": None, "2024-02": 50.0}
    assert r["clv"].value == pytest.approx(60)
    assert r["ltv_cac"].value == pytest.approx(1.6)
    assert r["cac_payback"].value == pytest.approx(1.25)


def test_clv_settings_and_lifetime_cap():
    # same data with gross margin 0.5 and a 1-month cap: L = min(2, 1) = 1 -> 100 x 0.5 x 1 - 100 = -50
    subs = [sub(f"c{i}", 100, "2024-01-01", "2024-02-10" if i < 5 else None) for i in range(10)]
    r = run("2024-02-29", months=1, settings=Settings(gross_margin=0.5, max_lifetime_months=1),
            subscriptions=subs, expenses=[{"date": "2024-01-02", "department": "sales", "amount": 1000.0}])
    assert r["clv"].value == pytest.approx(-50)


def test_duplicate_customer_rows_do_not_double_mrr():
    # rule 4: MRR sums run over subscriptions; a customer listed twice in customers counts once,
    # and a row with end_date <= start_date is never active
    customers = [
        {"customer_id": "c1", "name": "A", "segment": "SMB", "region": "NA", "channel": "organic", "created_at": "2023-01-01"},
        {"customer_id": "c1", "name": "A", "segment": "SMB", "region": "NA", "channel": "organic", "created_at": "2023-01-01"},
    ]
    r = run("2024-01-31", months=1, customers=customers,
            subscriptions=[sub("c1", 100, "2023-01-01"), sub("c1", 999, "2023-05-01", "2023-05-01")])
    assert r["mrr"].value == 100


def test_missing_table_makes_only_its_kpis_unavailable():
    r = run("2024-01-31", months=1, subscriptions=[sub("c1", 100, "2023-01-01")])
    assert r["mrr"].available and r["mrr"].value == 100
    assert not r["cac"].available
    assert r["cac"].reason == "table expenses not found in <memory>/"
    assert r["cac"].value is None and all(v is None for _, v in r["cac"].series)
    assert not r["new_leads"].available
