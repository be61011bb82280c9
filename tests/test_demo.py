"""The demo dataset generator: contract types, determinism, realistic shapes, defects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from revops_tui import demo
from revops_tui.config import Settings
from revops_tui.contract import EVENT_DATES, TABLES
from revops_tui.loading import load_tables, newest_event_date

END = demo.DEMO_END
OPEN = ["prospecting", "qualification", "proposal", "negotiation"]
CLOSED = ["closed_won", "closed_lost"]
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
DTYPES = {"str": pl.String, "date": pl.Date, "float": pl.Float64, "int": pl.Int64}


def _read(folder: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLES}


def _billing_hits(o: pl.DataFrame, subs: pl.DataFrame, since: dt.date) -> pl.Series:
    """Per won new-business deal closed since `since`: a subscription starts within 30 days."""
    won = o.filter(
        (pl.col("stage") == "closed_won") & (pl.col("type") == "new_business")
        & pl.col("customer_id").is_not_null() & (pl.col("closed_at") >= since)
    )
    near = (pl.col("start_date") - pl.col("closed_at")).dt.total_days().abs() <= 30
    return (
        won.join(subs.select("customer_id", "start_date"), on="customer_id", how="left")
        .group_by("opportunity_id")
        .agg(near.fill_null(False).any().alias("hit"))["hit"]
    )


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("demo")
    return folder, demo.generate(folder, customers=300, seed=7, months=36)


@pytest.fixture(scope="module")
def t(shipped: tuple[Path, dict[str, int]]) -> dict[str, pl.DataFrame]:
    return _read(shipped[0])


# --------------------------------------------------------------------------- contract


def test_writes_every_table_and_returns_row_counts(shipped: tuple[Path, dict[str, int]]) -> None:
    folder, counts = shipped
    assert list(counts) == list(TABLES)
    for name, rows in counts.items():
        assert pl.read_parquet(folder / f"{name}.parquet").height == rows > 0


def test_column_types_match_the_contract_exactly(t: dict[str, pl.DataFrame]) -> None:
    for name, columns in TABLES.items():
        schema = t[name].schema
        assert list(schema) == [c.name for c in columns], name
        for col in columns:
            expected = DTYPES[col.type]
            if name == "tickets" and col.name in ("created_at", "resolved_at"):
                expected = pl.Datetime("us")
            assert schema[col.name] == expected, f"{name}.{col.name}"


def test_every_table_loads_without_problems(shipped: tuple[Path, dict[str, int]]) -> None:
    folder, counts = shipped
    tables = load_tables(Settings(data=folder))
    assert tables.problems == {}
    for name, lf in tables.frames.items():
        assert lf.collect().height == counts[name]
    # the few future-dated defects stay inside the end's month, so "latest" stays in it too
    newest = newest_event_date(tables)
    assert END < newest <= dt.date(2026, 11, 30)


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert demo.generate(a, customers=500, seed=3, months=24) == demo.generate(b, customers=500, seed=3, months=24)
    for name in TABLES:
        assert_frame_equal(pl.read_parquet(a / f"{name}.parquet"), pl.read_parquet(b / f"{name}.parquet"))
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name
    demo.generate(c, customers=500, seed=4, months=24)
    assert not pl.read_parquet(a / "customers.parquet").equals(pl.read_parquet(c / "customers.parquet"))


def test_period_follows_months_and_end(tmp_path: Path) -> None:
    end = dt.date(2025, 6, 30)
    demo.generate(tmp_path, customers=200, seed=1, months=12, end=end)
    subs = pl.read_parquet(tmp_path / "subscriptions.parquet")
    customers = pl.read_parquet(tmp_path / "customers.parquet")
    assert customers["created_at"].min() >= dt.date(2024, 7, 1)
    assert subs["start_date"].max() <= end
    quotas = pl.read_parquet(tmp_path / "quotas.parquet")
    assert quotas["month"].min() == dt.date(2024, 7, 1) and quotas["month"].max() == dt.date(2025, 6, 1)


def test_shipped_data_is_the_default_run(t: dict[str, pl.DataFrame]) -> None:
    shipped = Path(__file__).resolve().parents[1] / "data"
    if not (shipped / "customers.parquet").exists():
        pytest.skip("data/ not generated")
    total = sum((shipped / f"{name}.parquet").stat().st_size for name in TABLES)
    assert total < 2 * 1024 * 1024
    for name in TABLES:
        assert_frame_equal(pl.read_parquet(shipped / f"{name}.parquet"), t[name])


# --------------------------------------------------------------------------- no regular event after the end


def test_only_defects_are_dated_after_the_end(t: dict[str, pl.DataFrame]) -> None:
    late = {
        f"{name}.{col}": t[name].filter(pl.col(col).cast(pl.Date) > END).height
        for name in TABLES
        for col in EVENT_DATES.get(name, ())
    }
    assert late.pop("tickets.created_at") >= 1
    assert late.pop("leads.created_at") >= 1
    assert all(count == 0 for count in late.values()), late


# --------------------------------------------------------------------------- realistic shapes


def _mrr_on(subs: pl.DataFrame, day: dt.date) -> float:
    active = (pl.col("start_date") <= day) & (pl.col("end_date").is_null() | (pl.col("end_date") > day))
    return subs.filter(active & (pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("start_date"))))[
        "mrr"
    ].sum()


def test_customers_look_like_companies(t: dict[str, pl.DataFrame]) -> None:
    c = t["customers"]
    assert set(c["segment"].drop_nulls()) == {"SMB", "Mid-Market", "Enterprise"}
    assert set(c["region"]) == {"NA", "LATAM", "EMEA", "APAC"}
    assert set(c["channel"]) == set(demo.CHANNELS)
    assert c["name"].str.contains(" ").all()
    assert c["email"].drop_nulls().str.contains("@").mean() > 0.95


def test_subscription_shapes(t: dict[str, pl.DataFrame]) -> None:
    s = t["subscriptions"].filter(pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("start_date")))
    nxt = s.select("customer_id", pl.col("start_date").alias("end_date"), pl.col("mrr").alias("next_mrr"),
                   pl.col("plan").alias("next_plan"))
    follow = s.join(nxt, on=["customer_id", "end_date"], how="inner")
    # trials at 0 MRR that convert to a paid row on their last day
    assert s.filter(pl.col("mrr") == 0).height >= 5
    assert follow.filter((pl.col("mrr") == 0) & (pl.col("next_mrr") > 0)).height >= 1
    # upgrades and downgrades: a row ends and a new one starts the same day at another MRR
    assert follow.filter((pl.col("mrr") > 0) & (pl.col("next_mrr") > pl.col("mrr"))).height >= 3
    assert follow.filter((pl.col("next_mrr") > 0) & (pl.col("next_mrr") < pl.col("mrr"))).height >= 3
    # renewals start on the old term_end; non-renewals end on it with no successor
    starts = s.select("customer_id", pl.col("start_date").alias("term_end"))
    assert s.join(starts, on=["customer_id", "term_end"]).height >= 3
    ended = s.filter((pl.col("end_date") == pl.col("term_end")) & (pl.col("mrr") > 0))
    assert ended.join(nxt, on=["customer_id", "end_date"], how="anti").height >= 1
    # month-to-month rows and cancellations
    assert s.filter(pl.col("term_end").is_null() & (pl.col("mrr") > 0)).height >= 50
    paid = s.filter(pl.col("mrr") > 0)
    cancelled = paid.filter(pl.col("end_date").is_not_null()).join(nxt, on=["customer_id", "end_date"], how="anti")
    assert cancelled.height >= 10
    # reactivations: a paid row starting after every earlier row of the customer ended
    ended_before = pl.col("end_date").fill_null(dt.date(9999, 1, 1)).cum_max().shift(1).over("customer_id")
    gaps = paid.sort("customer_id", "start_date").filter(pl.col("start_date") > ended_before)
    assert gaps.height >= 1
    # two plans billed at once
    pairs = paid.join(paid, on="customer_id", suffix="_2").filter(
        (pl.col("plan") != pl.col("plan_2")) & (pl.col("start_date_2") >= pl.col("start_date"))
        & (pl.col("end_date").is_null() | (pl.col("start_date_2") < pl.col("end_date")))
    )
    assert pairs.height >= 1


def test_mrr_levels_churn_and_growth(t: dict[str, pl.DataFrame]) -> None:
    s, c = t["subscriptions"], t["customers"].unique("customer_id")
    first = (
        s.filter(pl.col("mrr") > 0, pl.col("plan") != "Analytics add-on").sort("start_date")
        .group_by("customer_id").first().join(c, on="customer_id")
    )
    medians = dict(first.group_by("segment").agg(pl.col("mrr").median()).drop_nulls().iter_rows())
    assert 50 <= medians["SMB"] <= 500 and 500 <= medians["Mid-Market"] <= 3000
    assert 3000 <= medians["Enterprise"] <= 20000
    assert _mrr_on(s, END) > 1.3 * _mrr_on(s, dt.date(2025, 10, 31)) > 0


def test_deals_and_their_history(t: dict[str, pl.DataFrame]) -> None:
    o, h = t["opportunities"], t["opportunity_history"]
    assert 8 <= o["owner"].n_unique() <= 12
    assert set(o["type"]) == {"new_business", "expansion", "renewal"}
    assert set(OPEN + CLOSED) <= set(h["stage"])
    # one opening row per deal, dated its created_at
    opening = h.group_by("opportunity_id", maintain_order=True).first().join(o, on="opportunity_id")
    assert opening.height == o.height
    assert (opening["changed_at"] == opening["created_at"]).all()
    assert (opening["stage_right"].is_in(OPEN + CLOSED + ["verbal_commit"])).all()
    # reopened: closed_lost, then an open stage again
    prev = h.with_columns(pl.col("stage").shift(1).over("opportunity_id").alias("prev"))
    assert prev.filter((pl.col("prev") == "closed_lost") & pl.col("stage").is_in(OPEN)).height >= 1
    # amounts change along the way; open deals sit in several stages
    assert h.group_by("opportunity_id").agg(pl.col("amount").n_unique()).filter(pl.col("amount") > 1).height >= 10
    assert o.filter(pl.col("stage").is_in(OPEN))["stage"].n_unique() >= 3
    # won new business bills within 30 days of closing (mostly)
    assert 0.85 <= _billing_hits(o, t["subscriptions"], dt.date(2023, 12, 1)).mean() < 1


def test_leads_point_to_their_deals(t: dict[str, pl.DataFrame]) -> None:
    leads, o = t["leads"], t["opportunities"]
    converted = leads.filter(pl.col("converted_at").is_not_null())
    assert 0.15 < converted.height / leads.height < 0.6
    back = converted.join(o, on="opportunity_id", suffix="_opp")
    assert back.height == converted.height
    assert (back["lead_id_opp"] == back["lead_id"]).all()
    assert (back["converted_at"] == back["created_at_opp"]).all()
    assert leads["qualified_at"].is_not_null().sum() > converted.height * 0.5


def test_quotas_expenses_tickets_nps_usage(t: dict[str, pl.DataFrame]) -> None:
    q = t["quotas"]
    assert (q["month"].dt.day() == 1).all() and q["owner"].n_unique() == t["opportunities"]["owner"].n_unique()
    e = t["expenses"]
    assert set(e["department"]) == {"marketing", "sales", "customer_success", "other"}
    marketing = e.filter(pl.col("department") == "marketing")
    assert set(marketing["channel"].drop_nulls()) == set(demo.CHANNELS)
    assert marketing["channel"].null_count() > 0

    tk = t["tickets"]
    assert set(tk["priority"]) == {"low", "normal", "high", "urgent"}
    assert (tk["created_at"].dt.hour() != 0).any()
    assert tk["resolved_at"].null_count() >= 1 and tk["csat"].null_count() >= 1
    hours = (
        tk.drop_nulls("resolved_at")
        .group_by("priority")
        .agg(((pl.col("resolved_at") - pl.col("created_at")).dt.total_minutes() / 60).median().alias("h"))
    )
    h = dict(hours.iter_rows())
    assert h["urgent"] < h["high"] < h["normal"] < h["low"]

    score = t["nps_responses"]["score"]
    assert ((score >= 9).sum() > (score <= 6).sum() > 0) and ((score >= 7) & (score <= 8)).sum() > 0

    u = t["usage"].sort("customer_id", "date")
    gap = (pl.col("date") - pl.col("date").shift(1)).dt.total_days().drop_nulls().max()
    per_customer = u.group_by("customer_id").agg(gap.alias("gap"))
    weekly = per_customer.filter(pl.col("gap") == 7)["customer_id"]
    assert weekly.len() > per_customer.height / 2
    assert (u.filter(pl.col("customer_id").is_in(weekly.implode()))["date"].dt.weekday() == 1).all()
    assert per_customer.filter(pl.col("gap") == 1).height >= 1  # daily rows
    assert (u["active_users"] == 0).any() and (u["active_users"] <= u["seats"]).all()


# --------------------------------------------------------------------------- data-quality defects


def _defects(t: dict[str, pl.DataFrame]) -> dict[str, int]:
    c, leads, o, h = t["customers"], t["leads"], t["opportunities"], t["opportunity_history"]
    s, tk, nps, u, e = t["subscriptions"], t["tickets"], t["nps_responses"], t["usage"], t["expenses"]
    known = c["customer_id"].unique().implode()
    distinct = c.unique("customer_id")

    def shared(key: pl.Expr) -> int:
        return distinct.drop_nulls("email").group_by(key.alias("k")).len().filter(pl.col("len") > 1).height

    same_name = distinct.group_by(pl.col("name").str.strip_chars().str.to_lowercase()).len()
    open_stage = pl.col("stage").is_in(OPEN)
    unknown_customer = pl.col("customer_id").is_not_null() & ~pl.col("customer_id").is_in(known)
    return {
        "customer email null": c["email"].null_count(),
        "customer segment null": c["segment"].null_count(),
        "customer email malformed": c.filter(~pl.col("email").str.contains(EMAIL)).height,
        "customer id duplicated": c.height - c["customer_id"].n_unique(),
        "customer email same when normalised": shared(pl.col("email").str.strip_chars().str.to_lowercase()),
        "customer name same when normalised": same_name.filter(pl.col("len") > 1).height,
        "lead channel null": leads["channel"].null_count(),
        "lead email null": leads["email"].null_count(),
        "lead email malformed": leads.filter(~pl.col("email").str.contains(EMAIL)).height,
        "lead created after end": leads.filter(pl.col("created_at") > END).height,
        "opportunity channel null": o["channel"].null_count(),
        "won deal without closed_at": o.filter(pl.col("stage").eq("closed_won"), pl.col("closed_at").is_null()).height,
        "opportunity amount negative": o.filter(pl.col("amount") < 0).height,
        "history amount negative": h.filter(pl.col("amount") < 0).height,
        "opportunity stage unknown": o.filter(~pl.col("stage").is_in(OPEN + CLOSED)).height,
        "history stage unknown": h.filter(~pl.col("stage").is_in(OPEN + CLOSED)).height,
        "closed_at before created_at": o.filter(pl.col("closed_at") < pl.col("created_at")).height,
        "open stage with closed_at": o.filter(open_stage & pl.col("closed_at").is_not_null()).height,
        "opportunity customer unknown": o.filter(unknown_customer).height,
        "won new business without subscription": (~_billing_hits(o, s, dt.date(2025, 12, 1))).sum(),
        "subscription end_date <= start_date": s.filter(pl.col("end_date") <= pl.col("start_date")).height,
        "subscription term_end before start_date": s.filter(pl.col("term_end") < pl.col("start_date")).height,
        "nps score out of range": nps.filter((pl.col("score") < 0) | (pl.col("score") > 10)).height,
        "nps customer unknown": nps.filter(unknown_customer).height,
        "csat 0": tk.filter(pl.col("csat") == 0).height,
        "csat 6": tk.filter(pl.col("csat") == 6).height,
        "ticket created after end": tk.filter(pl.col("created_at").dt.date() > END).height,
        "ticket id duplicated": tk.height - tk["ticket_id"].n_unique(),
        "ticket customer unknown": tk.filter(unknown_customer).height,
        "usage customer unknown": u.filter(unknown_customer).height,
        "expense amount negative": e.filter(pl.col("amount") < 0).height,
    }


def test_every_defect_category_is_present(t: dict[str, pl.DataFrame]) -> None:
    missing = [name for name, count in _defects(t).items() if count < 1]
    assert missing == []


def test_defects_are_a_sprinkle(tmp_path: Path) -> None:
    demo.generate(tmp_path, customers=20_000, seed=11)
    big = _read(tmp_path)
    counts = _defects(big)
    deals = big["opportunities"].height
    rows = {
        "customer": big["customers"].height, "lead": big["leads"].height, "opportunity": deals, "won": deals,
        "closed_at": deals, "open": deals, "history": big["opportunity_history"].height,
        "subscription": big["subscriptions"].height, "nps": big["nps_responses"].height,
        "csat": big["tickets"].height, "ticket": big["tickets"].height, "usage": big["usage"].height,
        "expense": big["expenses"].height,
    }
    for name, count in counts.items():
        total = next(v for k, v in rows.items() if name.startswith(k))
        assert 1 <= count <= 0.02 * total, (name, count, total)
