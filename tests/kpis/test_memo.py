"""Incremental recompute (kpis.memo): after a file changes, only the queries that read its table run
again, and the numbers are exactly those of a compute from scratch."""

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from revops_tui.config import Settings
from revops_tui.kpis import engine
from revops_tui.kpis.memo import Memo
from revops_tui.kpis.results import Filters, Results
from revops_tui.loading import load_tables
from tests.builders import sub, tables

SHIPPED = Path(__file__).resolve().parents[2] / "data"
AS_OF = dt.date(2026, 11, 15)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(SHIPPED, out)
    return out


def compute(folder: Path, memo: Memo | None, filters: Filters | None = None) -> Results:
    settings = Settings(data=folder, months=13)
    return engine.compute(load_tables(settings), settings, AS_OF, 13, filters, memo=memo)


def same_numbers(a: Results, b: Results) -> None:
    assert a.kpis.keys() == b.kpis.keys()
    for kpi_id in a.kpis:
        assert a[kpi_id].series == b[kpi_id].series, kpi_id
        assert a[kpi_id].reason == b[kpi_id].reason, kpi_id
    assert a.quality.checks == b.quality.checks


def names(memo: Memo) -> set:
    return {name for _, name in memo.missed}


def test_a_changed_table_reruns_only_the_queries_that_read_it(folder):
    memo = Memo()
    first = compute(folder, memo)
    ran_first = len(memo.missed)
    assert memo.hits == 0 and ran_first == len(memo)  # everything ran once and was kept

    memo.reset_counts()
    again = compute(folder, memo)
    same_numbers(again, first)
    # Nothing changed: nothing runs; every part and check is known (customer MRR and the usage
    # summary they were made from, kept too, are not even needed).
    assert memo.missed == [] and memo.hits == ran_first - 2

    # An export rewrites tickets: the ten newest are gone.
    tickets = pl.read_parquet(folder / "tickets.parquet")
    tickets.filter(pl.col("created_at").rank("ordinal", descending=True) > 10).write_parquet(folder / "tickets.parquet")
    memo.reset_counts()
    changed = compute(folder, memo)
    # The two ticket parts, the row rules of tickets, its customer reference and its key.
    assert names(memo) == {
        "tickets", "resolution", ("rows", "tickets"),
        ("consistency", "tickets", "customer_id", "customer exists"),
        ("uniqueness", "tickets", "ticket_id", "unique key"),
    }
    same_numbers(changed, compute(folder, None))
    assert changed["support_tickets"].series != first["support_tickets"].series

    # customers changes: its checks and the usage reference check run again, the latter from
    # the kept usage summary (the usage rows are not read again).
    customers = pl.read_parquet(folder / "customers.parquet")
    customers.slice(1).write_parquet(folder / "customers.parquet")
    memo.reset_counts()
    changed = compute(folder, memo)
    assert ("consistency", "usage", "customer_id", "customer exists") in names(memo)
    assert "usage_by_customer" not in names(memo) and "adoption" not in names(memo)
    same_numbers(changed, compute(folder, None))

    # usage changes: adoption runs again from the kept customer MRR (subscriptions unchanged).
    usage = pl.read_parquet(folder / "usage.parquet")
    usage.with_columns(active_users=pl.lit(0)).write_parquet(folder / "usage.parquet")
    memo.reset_counts()
    changed = compute(folder, memo)
    assert {"adoption", "usage_by_customer"} <= names(memo) and "customer_mrr" not in names(memo)
    same_numbers(changed, compute(folder, None))
    assert changed["product_adoption"].value == 0.0


def test_a_filter_reruns_only_the_parts_of_the_tables_it_narrows(folder):
    memo = Memo()
    compute(folder, memo)
    owner = pl.read_parquet(folder / "opportunities.parquet")["owner"].drop_nulls()[0]
    memo.reset_counts()
    filtered = compute(folder, memo, Filters.of(owner=[owner]))
    # An owner filter narrows opportunities, their stage history and quotas; subscriptions,
    # usage, tickets, leads and every Data Quality check (never filtered) are taken as known.
    assert names(memo) == {"lead_sqo", "pipeline_generated", "closed", "history", "quotas"}
    same_numbers(filtered, compute(folder, None, Filters.of(owner=[owner])))

    # A segment filter narrows the customers' tables, and the deals through their customer.
    memo.reset_counts()
    segment = compute(folder, memo, Filters.of(segment=["SMB"]))
    assert "subscriptions" in names(memo) and "adoption" in names(memo) and "leads" not in names(memo)
    same_numbers(segment, compute(folder, None, Filters.of(segment=["SMB"])))


def test_a_filter_on_a_changed_customers_table_is_not_taken_from_before(folder):
    # Narrowed tables depend on customers too: a customer moving segment must change the result
    # although subscriptions itself did not change.
    memo = Memo()
    smb = Filters.of(segment=["SMB"])
    before = compute(folder, memo, smb)
    customers = pl.read_parquet(folder / "customers.parquet")
    customers.with_columns(segment=pl.lit("SMB")).write_parquet(folder / "customers.parquet")
    after = compute(folder, memo, smb)
    same_numbers(after, compute(folder, None, smb))
    assert after["mrr"].series != before["mrr"].series


def test_tables_without_a_version_are_never_kept():
    # Hand-built frames (like an object store) have no file version: their queries always run.
    memo = Memo()
    results = engine.compute(tables(subscriptions=[sub("c1", 100, "2024-01-05")]), Settings(),
                             dt.date(2024, 3, 15), 2, memo=memo)
    assert results["mrr"].value == 100.0
    assert len(memo) == 0 and memo.hits == 0


def test_a_table_turning_unreadable_leaves_the_other_kept_results_readable(folder):
    # With subscriptions unreadable its checks drop out of the plan, so the other checks move up
    # the list: what was kept of them must still be read as theirs.
    memo = Memo()
    compute(folder, memo)
    raw = (folder / "subscriptions.parquet").read_bytes()
    (folder / "subscriptions.parquet").write_bytes(raw[: len(raw) // 2])  # caught half-written
    memo.reset_counts()
    broken = compute(folder, memo)
    assert "subscriptions" in broken.problems and memo.missed == []
    same_numbers(broken, compute(folder, None))


def test_only_the_latest_usage_summary_is_kept(folder):
    # One row per customer: picking other periods must not pile up one summary per period.
    memo = Memo()
    settings = Settings(data=folder, months=13)
    tables_ = load_tables(settings)
    for months in (13, 6, 24):
        engine.compute(tables_, settings, AS_OF, months, memo=memo)
    summaries = [k for k in memo._store if k[:2] == ("shared", "usage_by_customer")]
    assert len(summaries) == 1
    assert json.loads(summaries[0][2])[2] == 24 + 12  # the last one: 24 months and 12 of lookback


def test_nothing_is_kept_when_a_file_changes_during_the_compute(folder, monkeypatch):
    # Written between the load (its version taken) and the end of the compute: the results may
    # come from either version of the file, so none is kept under the old one.
    settings = Settings(data=folder, months=13)
    loaded = load_tables(settings)
    real = engine.collect_each

    def write_meanwhile(*args, **kwargs):
        done = real(*args, **kwargs)
        tickets = pl.read_parquet(folder / "tickets.parquet")
        tickets.slice(1).write_parquet(folder / "tickets.parquet")
        return done

    monkeypatch.setattr(engine, "collect_each", write_meanwhile)
    memo = Memo()
    engine.compute(loaded, settings, AS_OF, 13, memo=memo)
    assert len(memo) == 0
    monkeypatch.setattr(engine, "collect_each", real)
    engine.compute(load_tables(settings), settings, AS_OF, 13, memo=memo)
    assert len(memo) > 0


def test_a_period_change_keeps_the_quality_checks(folder):
    # The checks depend on the data, the as-of day and the stages, not on the months shown.
    memo = Memo()
    compute(folder, memo)
    memo.reset_counts()
    settings = Settings(data=folder, months=6)
    six = engine.compute(load_tables(settings), settings, AS_OF, 6, memo=memo)
    assert memo.missed and all(kind in ("part", "shared") for kind, _ in memo.missed)
    fresh = engine.compute(load_tables(settings), settings, AS_OF, 6)
    same_numbers(six, fresh)
    assert len(six["mrr"].series) == 6


def test_saved_results_serve_the_next_process_for_unchanged_tables_only(folder, tmp_path):
    # The workspace saves the small results and the next session reads them: after a restart a
    # changed table reruns only its own queries, exactly as within one session.
    saved = tmp_path / "memo.json"
    memo = Memo()
    first = compute(folder, memo)
    memo.save(saved, code="v1")
    kept = len(memo._store) - 2  # all but the two large shared frames (customer MRR, usage summary)

    later = Memo()  # a restart
    assert later.load(saved, code="v1") == kept
    # Read back exactly, dtypes and nulls included (a count stays an integer, a null median null).
    for key, frame in memo._store.items():
        if key[0] != "shared":
            assert_frame_equal(later._loaded[repr(key)], frame)
    tickets = pl.read_parquet(folder / "tickets.parquet")
    tickets.filter(pl.col("created_at").rank("ordinal", descending=True) > 10).write_parquet(folder / "tickets.parquet")
    changed = compute(folder, later)
    assert names(later) == {
        "tickets", "resolution", ("rows", "tickets"),
        ("consistency", "tickets", "customer_id", "customer exists"),
        ("uniqueness", "tickets", "ticket_id", "unique key"),
    }
    assert later.hits == kept - len(names(later))
    same_numbers(changed, compute(folder, None))
    assert changed["support_tickets"].series != first["support_tickets"].series

    # What the restart ran is saved too, with what it took from the file (and the results of the
    # old tickets file: harmless, their keys can no longer match).
    later.save(saved, code="v1")
    third = Memo()
    assert third.load(saved, code="v1") == kept + len(names(later))
    same_numbers(compute(folder, third), changed)
    assert third.missed == []


def test_a_saved_memo_from_other_code_or_damaged_is_ignored(folder, tmp_path):
    saved = tmp_path / "memo.json"
    memo = Memo()
    first = compute(folder, memo)
    memo.save(saved, code="v1")
    other = Memo()
    assert other.load(saved, code="v2") == 0  # written by other code: its formulas may differ
    same_numbers(compute(folder, other), first)
    assert other.hits == 0

    saved.write_text(saved.read_text()[:1000])  # a truncated file
    broken = Memo()
    assert broken.load(saved, code="v1") == 0
    assert broken.load(tmp_path / "missing.json", code="v1") == 0
    same_numbers(compute(folder, broken), first)

    # Nothing new kept: nothing written (the file stays as it is).
    before = saved.read_text()
    again = Memo()
    again.save(saved, code="v1")
    assert saved.read_text() == before
    # An unwritable place costs only speed.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    memo.save(blocker / "memo.json", code="v1")  # the parent is a file: cannot be written
    assert not (blocker / "memo.json").exists()
