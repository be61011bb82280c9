"""The Filters section of kpis.md: what each filter narrows, ignores, or makes unavailable."""

import pytest

from revops_tui.config import Settings
from revops_tui.kpis.results import Filters
from tests.builders import run, sub


def cust(cid, segment, region, channel):
    return {"customer_id": cid, "name": cid.upper(), "email": f"{cid}@x.com", "segment": segment,
            "region": region, "channel": channel, "created_at": "2023-01-01"}


CUSTOMERS = [cust("c1", "SMB", "NA", "organic"), cust("c2", "Enterprise", "EMEA", "paid_search")]
# c1 100 (new in Jan), c2 1000 (new in Jan), c9 50 is an orphan (not in customers)
SUBS = [sub("c1", 100, "2024-01-05"), sub("c2", 1000, "2024-01-06"), sub("c9", 50, "2024-01-07")]
EXPENSES = [
    {"date": "2024-01-02", "department": "marketing", "channel": "organic", "amount": 300.0},
    {"date": "2024-01-02", "department": "marketing", "channel": "paid_search", "amount": 900.0},
    {"date": "2024-01-02", "department": "marketing", "channel": None, "amount": 50.0},
    {"date": "2024-01-02", "department": "sales", "amount": 1000.0},
]
OPPS = [
    {"opportunity_id": "o1", "customer_id": "c1", "owner": "ann", "type": "new_business", "channel": "organic",
     "created_at": "2024-01-01", "stage": "closed_won", "amount": 100.0, "closed_at": "2024-01-20"},
    {"opportunity_id": "o2", "customer_id": None, "owner": "bob", "type": "new_business", "channel": "organic",
     "created_at": "2024-01-01", "stage": "closed_lost", "amount": 100.0, "closed_at": "2024-01-21"},
    {"opportunity_id": "o3", "customer_id": "c2", "owner": "bob", "type": "new_business", "channel": "events",
     "created_at": "2024-01-01", "stage": "proposal", "amount": 700.0},
]
HISTORY = [
    {"opportunity_id": "o3", "stage": "proposal", "amount": 700.0, "changed_at": "2024-01-02"},
    {"opportunity_id": "o4", "stage": "proposal", "amount": 55.0, "changed_at": "2024-01-02"},  # no deal row
]
QUOTAS = [{"owner": "ann", "month": "2024-01-01", "amount": 1000.0}, {"owner": "bob", "month": "2024-01-01", "amount": 500.0}]
LEADS = [{"lead_id": "L1", "created_at": "2024-01-03", "channel": "organic"},
         {"lead_id": "L2", "created_at": "2024-01-03", "channel": "events"}]


def compute(**filters):
    return run("2024-01-31", months=1, filters=Filters.of(**filters), customers=CUSTOMERS, subscriptions=SUBS,
               expenses=EXPENSES, opportunities=OPPS, opportunity_history=HISTORY, quotas=QUOTAS, leads=LEADS)


def test_no_filter_counts_orphans():
    r = compute()
    assert r["mrr"].value == 1150  # orphan c9 counts without a customer filter (rule 3)
    assert r["cac"].value == pytest.approx((300 + 900 + 50 + 1000) / 3)
    assert r["pipeline_open"].value == 755  # o4's history without a deal still counts
    assert r["quota_attainment"].value == pytest.approx(100 / 1500 * 100)


def test_customer_filters_narrow_customer_kpis():
    assert compute(segment=["SMB"])["mrr"].value == 100  # the orphan drops out under a customer filter
    assert compute(channel=["paid_search"])["mrr"].value == 1000  # the customer's channel
    assert compute(segment=["SMB", "Enterprise"])["mrr"].value == 1100  # several values: either
    assert compute(segment=["SMB"], region=["EMEA"])["mrr"].value == 0  # AND across filters


def test_value_that_occurs_nowhere():
    r = compute(segment=["Nope"])
    assert r["mrr"].value == 0 and r["mrr"].available
    assert r["logo_churn_rate"].value is None and r["logo_churn_rate"].available


def test_owner_does_not_apply_to_customer_kpis():
    r = compute(owner=["ann"])
    assert r["mrr"].value == 1150
    assert r["mrr"].not_filtered_by == ("owner",)
    assert r["win_rate"].value == 100.0 and r["win_rate"].not_filtered_by == ()
    assert r["quota_attainment"].value == pytest.approx(10.0)  # 100 / ann's 1000
    assert r["pipeline_open"].value == 0  # o3 is bob's; o4 has no deal row and drops out


def test_which_active_filters_narrow_each_kpi():
    # filtered_by: the active filters that narrow the value (a sum so narrowed is a part of the
    # company's whole, which a company-wide target is not for); not_filtered_by: those it ignores.
    r = compute(segment=["SMB"], owner=["ann"])
    assert (r["mrr"].filtered_by, r["mrr"].not_filtered_by) == (("segment",), ("owner",))
    assert r["mrr"].is_part and not r["logo_churn_rate"].is_part  # a rate is not a part of a sum
    assert r["pipeline_open"].filtered_by == ("segment", "owner") and r["pipeline_open"].is_part
    assert r["new_leads"].filtered_by == () and not r["new_leads"].is_part  # leads ignore both
    assert r["quota_attainment"].filtered_by == ("owner",)  # no value (segment) but narrowed by owner
    assert r["dq_completeness"].filtered_by == ()
    assert compute()["mrr"].filtered_by == () and not compute()["mrr"].is_part


def test_segment_on_deals_uses_the_deals_customer():
    r = compute(segment=["Enterprise"])
    assert r["pipeline_open"].value == 700  # o3 (c2); o4 has no deal, o1 and o2 are not Enterprise
    assert r["win_rate"].value is None  # o1 is SMB, o2 has no customer: nothing closed
    assert not r["quota_attainment"].available
    assert r["quota_attainment"].reason == "not available with filter segment"


def test_spend_kpis_under_filters():
    r = compute(segment=["SMB"])
    assert not r["cac"].available and r["cac"].reason == "not available with filter segment"
    assert not r["clv"].available and not r["retention_cost"].available and not r["marketing_cac"].available
    r = compute(channel=["organic"])
    # marketing spend of organic (300) / new customers of organic (c1)
    assert r["marketing_cac"].value == 300.0
    assert not r["cac"].available and r["cac"].reason == "not available with filter channel"
    r = compute(segment=["SMB"], channel=["organic"])
    assert r["cac"].reason == "not available with filter segment, channel"  # names every such filter


def test_leads_ignore_customer_filters_and_follow_channel():
    r = compute(segment=["SMB"])
    assert r["new_leads"].value == 2 and r["new_leads"].not_filtered_by == ("segment",)
    assert compute(channel=["events"])["new_leads"].value == 1


def test_channel_on_deals_uses_the_deals_own_channel():
    r = compute(channel=["events"])
    assert r["pipeline_open"].value == 700  # o3's own channel is events (its customer's is paid_search)
    assert not r["quota_attainment"].available


def test_dq_is_never_filtered():
    r = compute(segment=["SMB"], owner=["ann"])
    assert r["dq_completeness"].available
    assert set(r["dq_completeness"].not_filtered_by) == {"segment", "owner"}
    assert r["dq_completeness"].value == compute()["dq_completeness"].value


def test_a_known_quality_report_is_reused_not_recomputed(monkeypatch):
    # A filter change keeps the tables, settings and as-of day: the caller passes the report
    # it has, and the engine must not plan the checks again (nor change the scores).
    from revops_tui.kpis import engine
    from tests.builders import d, tables

    data = tables(customers=CUSTOMERS, subscriptions=SUBS, opportunities=OPPS, leads=LEADS)
    first = engine.compute(data, Settings(), d("2024-01-31"), 1)

    def no_plan(*args, **kwargs):
        raise AssertionError("the quality checks ran again")

    monkeypatch.setattr(engine, "plan_quality", no_plan)
    again = engine.compute(data, Settings(), d("2024-01-31"), 1, Filters.of(segment=["SMB"]), quality=first.quality)
    assert again.quality is first.quality
    assert again["dq_uniqueness"].value == first["dq_uniqueness"].value
    assert again["crm_quality"].value == first["crm_quality"].value
    assert again["mrr"].value == 100  # the filter still applies to the other KPIs
    with pytest.raises(AssertionError, match="ran again"):
        engine.compute(data, Settings(), d("2024-01-31"), 1, Filters.of(segment=["SMB"]))


def test_customer_filter_without_customers_table():
    r = run("2024-01-31", months=1, filters=Filters.of(segment=["SMB"]), subscriptions=SUBS)
    assert not r["mrr"].available
    assert "customers" in r["mrr"].reason and "segment" in r["mrr"].reason


def test_a_deal_filter_keeps_the_stage_history_in_file_order(tmp_path):
    # Each deal has two stage rows on the same day, proposal then closed_won: the later one in
    # the file is the deal's stage, so nothing is open. The owner filter narrows the history
    # with a join; the streaming engine hands a join's chunks over in any order unless told to
    # keep it, and then a deal whose two rows straddle two chunks could count as open (small
    # chunks make that happen in every run; with the real chunk size, now and then at 1M rows).
    import datetime as dt

    import polars as pl

    from revops_tui.kpis import engine
    from revops_tui.loading import Tables

    n = 5000
    ids = [f"o{i:05d}" for i in range(n)]
    history = pl.DataFrame({
        "opportunity_id": [x for i in ids for x in (i, i)], "stage": ["proposal", "closed_won"] * n,
        "amount": [10.0] * (2 * n), "changed_at": [dt.date(2024, 1, 10)] * (2 * n),
    })
    deals = pl.DataFrame({"opportunity_id": ids, "owner": ["ann"] * n, "stage": ["closed_won"] * n})
    history.write_parquet(tmp_path / "h.parquet", row_group_size=501)  # pairs straddle the groups
    deals.write_parquet(tmp_path / "o.parquet")
    tables = Tables("t", {"opportunity_history": pl.scan_parquet(tmp_path / "h.parquet"),
                          "opportunities": pl.scan_parquet(tmp_path / "o.parquet")})
    with pl.Config(streaming_chunk_size=500):
        for _ in range(3):
            got = engine.compute(tables, Settings(), dt.date(2024, 1, 31), 1, Filters.of(owner=["ann"]),
                                 only=("open_opportunities", "pipeline_open"))
            assert got["open_opportunities"].value == 0
            assert got["pipeline_open"].value == 0
