"""Finding, scanning and checking the Parquet tables: every error names table, file, column and types."""

import datetime as dt
from pathlib import Path

import polars as pl

from revops_tui.config import Settings
from revops_tui.loading import load_tables, newest_event_date
from tests.builders import frame, sub


def write(folder: Path, name: str, df: pl.DataFrame) -> Path:
    path = folder / f"{name}.parquet"
    df.write_parquet(path)
    return path


def subs_df() -> pl.DataFrame:
    return frame("subscriptions", [sub("c1", 100, "2024-01-01", term_end="2025-01-01")]).collect()


def test_missing_table_is_a_problem_not_a_crash(tmp_path):
    write(tmp_path, "subscriptions", subs_df())
    t = load_tables(Settings(data=tmp_path))
    assert "subscriptions" in t.frames
    assert t.problems["expenses"] == f"table expenses not found in {tmp_path}/ (expected expenses.parquet or expenses/)"


def test_folder_of_files_with_hive_partitions(tmp_path):
    folder = tmp_path / "subscriptions" / "year=2024"
    folder.mkdir(parents=True)
    df = subs_df()
    df.write_parquet(folder / "part-0.parquet")
    df.with_columns(pl.lit("s2").alias("subscription_id")).write_parquet(folder / "part-1.parquet")
    t = load_tables(Settings(data=tmp_path))
    assert t.frames["subscriptions"].collect().height == 2
    assert t.frames["subscriptions"].collect_schema().names()[-1] == "term_end"  # contract columns only


def test_wrong_type_names_everything(tmp_path):
    path = write(tmp_path, "subscriptions", subs_df().with_columns(pl.col("mrr").cast(pl.String)))
    msg = load_tables(Settings(data=tmp_path)).problems["subscriptions"]
    assert msg == (f"table subscriptions ({path}): column mrr has type String, "
                   "expected a number (any float or integer type)")


def test_missing_column_and_optional_column(tmp_path):
    path = write(tmp_path, "subscriptions", subs_df().drop("plan", "term_end"))
    msg = load_tables(Settings(data=tmp_path)).problems["subscriptions"]
    assert msg == f"table subscriptions ({path}): column plan is missing (expected a string (Utf8/String, Categorical or Enum))"
    write(tmp_path, "subscriptions", subs_df().drop("term_end"))
    t = load_tables(Settings(data=tmp_path))
    assert t.frames["subscriptions"].collect()["term_end"].to_list() == [None]


def test_corrupt_file(tmp_path):
    (tmp_path / "leads.parquet").write_bytes(b"PAR1 this is not parquet")
    msg = load_tables(Settings(data=tmp_path)).problems["leads"]
    assert msg.startswith(f"table leads: cannot read {tmp_path / 'leads.parquet'}:")


def test_truncated_file(tmp_path):
    path = write(tmp_path, "subscriptions", subs_df())
    path.write_bytes(path.read_bytes()[:-20])
    assert "cannot read" in load_tables(Settings(data=tmp_path)).problems["subscriptions"]


def test_datetime_becomes_utc_date_and_categoricals_are_strings(tmp_path):
    df = subs_df().with_columns(
        pl.lit(dt.datetime(2024, 1, 1, 23, 30)).dt.replace_time_zone("America/New_York").alias("start_date"),
        pl.col("plan").cast(pl.Categorical),
        pl.col("mrr").cast(pl.Int32),
    )
    write(tmp_path, "subscriptions", df)
    out = load_tables(Settings(data=tmp_path)).frames["subscriptions"].collect()
    assert out["start_date"].to_list() == [dt.date(2024, 1, 2)]  # 23:30 New York is 04:30 UTC next day
    assert out["plan"].dtype == pl.String and out["mrr"].dtype == pl.Float64


def test_column_mapping(tmp_path):
    write(tmp_path, "subscriptions", subs_df().rename({"mrr": "MonthlyAmount"}))
    settings = Settings(data=tmp_path, columns={"subscriptions": {"mrr": "MonthlyAmount"}})
    t = load_tables(settings)
    assert t.frames["subscriptions"].collect()["mrr"].to_list() == [100.0]
    write(tmp_path, "subscriptions", subs_df().drop("mrr"))
    assert "column mrr (mapped to 'MonthlyAmount') is missing" in load_tables(settings).problems["subscriptions"]


def test_latest_is_the_newest_event_date(tmp_path):
    write(tmp_path, "subscriptions", subs_df())  # start 2024-01-01; term_end 2025-01-01 is not an event date
    leads = frame("leads", [{"lead_id": "L", "created_at": "2024-02-01", "channel": "x", "converted_at": "2024-03-05"}])
    write(tmp_path, "leads", leads.collect())
    assert newest_event_date(load_tables(Settings(data=tmp_path))) == dt.date(2024, 3, 5)


def split_subs(tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    """subscriptions/ as two files of one row each."""
    folder = tmp_path / "subscriptions"
    folder.mkdir()
    df = pl.concat([subs_df(), subs_df().with_columns(pl.lit("s2").alias("subscription_id"), pl.lit(50.0).alias("mrr"))])
    return folder, df


def test_folder_file_with_an_extra_column_is_read(tmp_path):
    folder, df = split_subs(tmp_path)
    df[:1].write_parquet(folder / "a.parquet")
    df[1:].with_columns(pl.lit(1).alias("extra")).write_parquet(folder / "b.parquet")
    t = load_tables(Settings(data=tmp_path))
    assert t.frames["subscriptions"].collect()["mrr"].to_list() == [100.0, 50.0]


def test_folder_mixing_integer_and_float_columns_is_read(tmp_path):
    folder, df = split_subs(tmp_path)
    df[:1].with_columns(pl.col("mrr").cast(pl.Int32)).write_parquet(folder / "a.parquet")  # first: ints
    df[1:].write_parquet(folder / "b.parquet")
    df[1:].with_columns(pl.col("plan").cast(pl.Categorical), pl.col("subscription_id").cast(pl.Categorical)) \
        .drop("term_end").write_parquet(folder / "c.parquet")  # optional column absent, categoricals
    out = load_tables(Settings(data=tmp_path)).frames["subscriptions"].collect()
    assert out["mrr"].to_list() == [100.0, 50.0, 50.0]
    assert out["term_end"].null_count() == 1


def test_folder_with_a_corrupt_file_names_it_at_load(tmp_path):
    folder, df = split_subs(tmp_path)
    df[:1].write_parquet(folder / "a.parquet")
    df[1:].write_parquet(folder / "b.parquet")
    (folder / "b.parquet").write_bytes((folder / "b.parquet").read_bytes()[:500])
    msg = load_tables(Settings(data=tmp_path)).problems["subscriptions"]
    assert msg.startswith(f"table subscriptions: cannot read {folder / 'b.parquet'}: parquet:")


def test_folder_file_with_a_wrong_type_is_named(tmp_path):
    folder, df = split_subs(tmp_path)
    df[:1].write_parquet(folder / "a.parquet")
    df[1:].with_columns(pl.col("mrr").cast(pl.String)).write_parquet(folder / "b.parquet")
    msg = load_tables(Settings(data=tmp_path)).problems["subscriptions"]
    assert msg == (f"table subscriptions ({folder} (2 files)): column mrr has type String in {folder / 'b.parquet'}, "
                   "expected a number (any float or integer type)")


def test_file_and_folder_of_one_table_is_a_note(tmp_path):
    write(tmp_path, "subscriptions", subs_df())
    (tmp_path / "subscriptions").mkdir()
    subs_df().write_parquet(tmp_path / "subscriptions" / "part.parquet")
    t = load_tables(Settings(data=tmp_path))
    assert t.notes == [f"table subscriptions: both {tmp_path / 'subscriptions.parquet'} and "
                       f"{tmp_path / 'subscriptions'}/ exist; reading subscriptions.parquet only"]


def test_polars_warnings_become_one_note(tmp_path, monkeypatch):
    import warnings

    write(tmp_path, "subscriptions", subs_df())
    write(tmp_path, "customers", pl.DataFrame({"customer_id": ["c1"]}))
    scan = pl.scan_parquet

    def warning_scan(*args, **kwargs):  # as Polars does per scan when no AWS region is set
        warnings.warn("'(default_)region' not set; polars will try to get it from bucket\n\nSet the region", UserWarning)
        return scan(*args, **kwargs)

    monkeypatch.setattr(pl, "scan_parquet", warning_scan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none escapes to stderr
        t = load_tables(Settings(data=tmp_path))
    assert t.notes == ["polars: '(default_)region' not set; polars will try to get it from bucket"]
