"""`revops-tui report` / `check` / `demo-data`: output shapes, exit statuses and error messages."""

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest

from revops_tui import cli
from revops_tui.kpis.catalog import CATALOG
from tests.builders import frame, sub


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path, monkeypatch):
    """Run from an empty folder so the repo's ./config.toml is not picked up."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    frame("subscriptions", [sub("c1", 100, "2024-01-05"), sub("c2", 50, "2023-06-01", "2024-02-10")]) \
        .collect().write_parquet(folder / "subscriptions.parquet")
    frame("customers", [
        {"customer_id": "c1", "name": "One", "email": "a@b.co", "segment": "SMB", "region": "NA",
         "channel": "organic", "created_at": "2024-01-01"},
        {"customer_id": "c2", "name": "Two", "email": "c@d.co", "segment": "Enterprise", "region": "EMEA",
         "channel": "events", "created_at": "2023-06-01"},
    ]).collect().write_parquet(folder / "customers.parquet")
    return folder


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_json_shape(capsys, data):
    code, out, err = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15", "--months", "2",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["as_of"] == "2024-02-15" and doc["currency"] == "USD" and doc["filters"] == {}
    ids = [k["id"] for k in doc["kpis"]]
    assert set(ids) == set(CATALOG) and len(ids) == len(CATALOG)
    mrr = next(k for k in doc["kpis"] if k["id"] == "mrr")
    assert set(mrr) >= {"id", "name", "department", "unit", "better", "value", "partial", "available", "reason",
                        "target", "status", "series"}
    assert mrr["value"] == 100.0 and mrr["partial"] is True and mrr["status"] == "no target"
    assert mrr["series"] == [{"month": "2024-01", "value": 150.0}, {"month": "2024-02", "value": 100.0}]
    churn = next(k for k in doc["kpis"] if k["id"] == "logo_churn_rate")
    assert churn["value"] == 50.0  # percent units
    cac = next(k for k in doc["kpis"] if k["id"] == "cac")
    assert cac["available"] is False and cac["value"] is None and "expenses" in cac["reason"]
    dq = next(k for k in doc["kpis"] if k["id"] == "dq_completeness")
    assert len(dq["series"]) == 1 and dq["series"][0]["month"] == "2024-02"
    assert {k["id"] for k in doc["kpis"] if k["id"].startswith("mrr_")} == {
        "mrr_new", "mrr_reactivation", "mrr_expansion", "mrr_contraction", "mrr_churn"}


def test_report_json_with_filters(capsys, data):
    code, out, _ = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15", "--segment", "SMB",
                       "--segment", "Enterprise", "--owner", "ann", "--format", "json")
    doc = json.loads(out)  # owner: no opportunities table, so "ann" cannot be judged unknown
    assert doc["filters"] == {"segment": ["Enterprise", "SMB"], "owner": ["ann"]}
    mrr = next(k for k in doc["kpis"] if k["id"] == "mrr")
    assert mrr["value"] == 100.0 and mrr["not_filtered_by"] == ["owner"]


def test_report_csv(capsys, data):
    code, out, _ = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15", "--months", "3",
                       "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "month", "value"]
    assert ["mrr", "2024-02", "100.0"] in rows
    assert ["cac", "2024-02", ""] in rows
    dq_rows = [r for r in rows if r[0] == "dq_validity"]
    assert len(dq_rows) == 1


def test_report_table(capsys, data, tmp_path):
    code, out, err = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15")
    assert code == 0
    assert "as of 2024-02-15 (month to date)" in out
    for title in ("Overview", "Marketing", "Sales", "Customer Success", "Data Quality"):
        assert f"\n{title}\n" in out
    line = next(l for l in out.splitlines() if l.startswith("MRR "))
    assert "$100" in line and "▼ -33.3%" in line
    assert "unavailable" in next(l for l in out.splitlines() if l.startswith("CAC "))
    assert "as-of day used: 2024-02-15" in err


def test_report_output_file(capsys, data, tmp_path):
    target = tmp_path / "out.json"
    code, out, _ = run(capsys, "report", "--data", str(data), "--format", "json", "--output", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["as_of"] == "2024-01-05"  # latest: newest event date (end_date is none)


def test_options_before_the_subcommand_are_kept(capsys, data):
    code, out, _ = run(capsys, "--data", str(data), "--as-of", "2024-01-31", "report", "--format", "json")
    assert json.loads(out)["as_of"] == "2024-01-31"


def test_bad_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["report", "--format", "xml"])
    assert exc.value.code == 2


def test_bad_as_of_exits_2(capsys, data):
    code, _, err = run(capsys, "report", "--data", str(data), "--as-of", "2024-13-45")
    assert code == 2 and "--as-of" in err and "Traceback" not in err


def test_missing_data_folder_exits_2(capsys, tmp_path):
    code, out, err = run(capsys, "report", "--data", str(tmp_path / "nope"))
    assert code == 2 and err.strip() == f"error: data folder {tmp_path / 'nope'} does not exist"


def test_unreadable_config_exits_2(capsys, tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text("months = = 2\n")
    code, _, err = run(capsys, "report", "--config", str(bad))
    assert code == 2 and "not valid TOML" in err


def test_config_not_utf8_exits_2(capsys, tmp_path, data):
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe garbage")
    for command in ("report", "check"):
        code, _, err = run(capsys, command, "--config", str(bad))
        assert code == 2 and f"error: cannot read config {bad}: not UTF-8" in err, err


def test_targets_file_not_utf8_exits_2(capsys, tmp_path, data):
    (tmp_path / "config.toml").write_text(f'data = "{data}"\ntargets_file = "t.toml"\n')
    (tmp_path / "t.toml").write_bytes(b"\xff\xfe garbage")
    for command in ("report", "check"):
        code, _, err = run(capsys, command, "--config", str(tmp_path / "config.toml"), "--as-of", "2024-02-15")
        assert code == 2 and "t.toml: not UTF-8 text" in err, err


def test_invalid_table_exits_2_but_prints_the_rest(capsys, data):
    (data / "leads.parquet").write_bytes(b"garbage")
    code, out, err = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15", "--format", "json")
    assert code == 2
    assert "error: table leads: cannot read" in err
    doc = json.loads(out)
    assert next(k for k in doc["kpis"] if k["id"] == "mrr")["value"] == 100.0
    leads = next(k for k in doc["kpis"] if k["id"] == "new_leads")
    assert leads["available"] is False and "cannot read" in leads["reason"]


def test_unexpected_error_points_to_the_log(capsys, data, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "log_path", lambda: tmp_path / "log" / "revops-tui.log")

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("revops_tui.session.compute", boom)
    code, _, err = run(capsys, "report", "--data", str(data))
    assert code == 3 and "kaboom" in err and str(tmp_path / "log" / "revops-tui.log") in err
    assert "RuntimeError: kaboom" in (tmp_path / "log" / "revops-tui.log").read_text()


def test_check_exit_codes(capsys, data, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'data = "{data}"\nas_of = "2024-02-15"\n')
    assert run(capsys, "check", "--config", str(config))[0] == 0  # no targets: nothing off track
    (tmp_path / "targets.toml").write_text("[mrr]\nvalue = 1000\n[logo_churn_rate]\nvalue = 49\ndirection = \"lower\"\n")
    code, out, _ = run(capsys, "check", "--config", str(config))
    # mrr 100 vs 1000: off track; churn 50% vs 49% lower-is-better, within 5% of 49: at risk
    assert code == 1
    assert "off track" in out and "MRR" in out and "at risk" in out and "Churn rate (logos)" in out
    (tmp_path / "targets.toml").write_text("[mrr]\nvalue = 100\n")
    assert run(capsys, "check", "--config", str(config))[0] == 0
    (tmp_path / "targets.toml").write_text("[mrr\nvalue = 100\n")
    code, _, err = run(capsys, "check", "--config", str(config))
    assert code == 2 and "targets.toml" in err


def test_targets_are_company_wide_a_filtered_sum_gets_no_status(capsys, data, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'data = "{data}"\nas_of = "2024-02-15"\n')
    (tmp_path / "targets.toml").write_text("[mrr]\nvalue = 1000\n[logo_churn_rate]\nvalue = 49\ndirection = \"lower\"\n")
    # SMB: c1 ($100, active since 2024-01-05). Its MRR is a part of the company's: the company
    # target of 1000 is not compared (no alert). Its churn: c1 active at E(Jan) and now: 0% <= 49%.
    code, out, err = run(capsys, "check", "--config", str(config), "--segment", "SMB")
    assert code == 0 and out == "" and "0 off track" in err
    assert "not checked under the filter, their targets are company-wide: MRR" in err
    # Enterprise: c2 ended 2024-02-10, so churn is 1/1 = 100% against 49%: off track; MRR ($0) again
    # not compared, though 0 is far below 1000.
    code, out, _ = run(capsys, "check", "--config", str(config), "--segment", "Enterprise")
    assert code == 1 and "Churn rate (logos)" in out and "MRR" not in out
    code, out, _ = run(capsys, "report", "--config", str(config), "--segment", "SMB", "--format", "json")
    kpis = {k["id"]: k for k in json.loads(out)["kpis"]}
    assert (kpis["mrr"]["value"], kpis["mrr"]["target"], kpis["mrr"]["status"]) == (100.0, None, "no target")
    assert (kpis["logo_churn_rate"]["target"], kpis["logo_churn_rate"]["status"]) == (49.0, "on track")
    code, out, _ = run(capsys, "report", "--config", str(config), "--segment", "SMB")
    assert "○ no target (filtered part)" in next(l for l in out.splitlines() if l.startswith("MRR "))
    assert "the company-wide target is not compared with it" in out
    # Without a filter the same MRR target is compared: $100 against 1000 is off track.
    code, out, _ = run(capsys, "report", "--config", str(config), "--format", "json")
    mrr = next(k for k in json.loads(out)["kpis"] if k["id"] == "mrr")
    assert (mrr["target"], mrr["status"]) == (1000.0, "off track")


def test_demo_data_command(capsys, tmp_path):
    code, out, _ = run(capsys, "demo-data", str(tmp_path / "demo"), "--customers", "40", "--months", "6")
    assert code == 0 and "subscriptions" in out
    assert pl.read_parquet(tmp_path / "demo" / "customers.parquet").height >= 40


def test_demo_data_refuses_to_overwrite_tables_without_force(capsys, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    (out / "customers.parquet").write_bytes(b"real export")
    (out / "usage").mkdir()
    (out / "notes.txt").write_text("x")
    code, _, err = run(capsys, "demo-data", str(out), "--customers", "20", "--months", "3")
    assert code == 2 and "customers.parquet" in err and "usage/" in err and "--force" in err
    assert (out / "customers.parquet").read_bytes() == b"real export"
    assert sorted(p.name for p in out.iterdir()) == ["customers.parquet", "notes.txt", "usage"]
    code, _, err = run(capsys, "demo-data", str(out), "--customers", "20", "--months", "3", "--force")
    assert code == 0, err
    assert pl.read_parquet(out / "customers.parquet").height >= 20


@pytest.mark.parametrize("command", ["report", "check"])
def test_filter_value_not_in_the_data_exits_2(capsys, data, command):
    code, out, err = run(capsys, command, "--data", str(data), "--as-of", "2024-02-15", "--segment", "enterprise")
    assert code == 2 and out == ""
    assert "--segment 'enterprise' matches no row of the data (did you mean 'Enterprise'?)" in err
    assert "segment values: Enterprise, SMB" in err
    code, _, err = run(capsys, command, "--data", str(data), "--as-of", "2024-02-15", "--segment", "Enterprise")
    assert code == 0, err  # exact match (case-sensitive) works


def test_filter_values_come_from_every_table_a_filter_applies_to(data):
    from revops_tui.config import Settings
    from revops_tui.kpis.filters import filter_values, unknown_filter_values
    from revops_tui.kpis.results import Filters
    from revops_tui.loading import load_tables

    frame("leads", [{"lead_id": "l1", "created_at": "2024-01-02", "channel": "webinar"}]) \
        .collect().write_parquet(data / "leads.parquet")
    values = filter_values(load_tables(Settings(data=data)))
    assert values["channel"] == ["events", "organic", "webinar"]  # customers' and leads' channels
    assert values["owner"] == []  # no opportunities or quotas: owner cannot be judged
    assert unknown_filter_values(Filters.of(channel=["webinar"], owner=["anyone"]), values) is None
    assert "did you mean 'organic'" in unknown_filter_values(Filters.of(channel=["organc"]), values)


@pytest.mark.parametrize("entry, key", [
    ('value = "abc"', "value must be a number"),
    ('value = 1000\ndirection = "up"', "direction must be 'higher' or 'lower', found 'up'"),
    ("value = 1000\ntolerance = -1", "tolerance must be"),
    ('value = 1000\nmonths = {"2026-13" = 5}', "month must be YYYY-MM"),
])
def test_check_exits_2_on_an_unusable_target_entry(capsys, data, tmp_path, entry, key):
    config = tmp_path / "config.toml"
    config.write_text(f'data = "{data}"\nas_of = "2024-02-15"\n')
    targets = tmp_path / "targets.toml"
    targets.write_text(f"[mrr]\n{entry}\n")
    code, _, err = run(capsys, "check", "--config", str(config))
    assert code == 2, err
    assert f"error: {targets}:" in err and "[mrr]" in err and key in err
    code, _, err = run(capsys, "report", "--config", str(config))
    assert code == 0 and "warning: " in err and key in err  # report only warns


def test_check_only_warns_on_unknown_keys_and_ids(capsys, data, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'data = "{data}"\nas_of = "2024-02-15"\n')
    (tmp_path / "targets.toml").write_text('[mrr]\nvalue = 100\nnote = "x"\n[nosuchkpi]\nvalue = 1\n')
    code, _, err = run(capsys, "check", "--config", str(config))
    assert code == 0 and "warning: " in err and "unknown key 'note'" in err and "nosuchkpi" in err
    assert "error" not in err


def test_report_output_dash_is_standard_output(capsys, data, tmp_path):
    code, out, err = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15", "--format", "json",
                         "--output", "-")
    assert code == 0, err
    assert json.loads(out)["as_of"] == "2024-02-15" and not (tmp_path / "-").exists()


def test_broken_pipe_exits_quietly_like_sigpipe(data, tmp_path):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    for argv in (["report", "--format", "json"], ["report"]):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written
        proc = subprocess.run([sys.executable, "-m", "revops_tui", *argv, "--data", str(data),
                               "--as-of", "2024-02-15"], stdout=write, stderr=subprocess.PIPE, env=env,
                              cwd=tmp_path, text=True)
        os.close(write)
        assert proc.returncode == 141, proc.stderr
        assert "Error" not in proc.stderr and "unexpected" not in proc.stderr
    assert not (tmp_path / "state").exists()  # nothing logged


@pytest.mark.parametrize("value", ["20260105", "2026-1-5"])
def test_as_of_must_be_yyyy_mm_dd(capsys, data, tmp_path, value):
    code, _, err = run(capsys, "report", "--data", str(data), "--as-of", value)
    assert code == 2 and "YYYY-MM-DD" in err
    config = tmp_path / "config.toml"
    config.write_text(f'as_of = "{value}"\n')
    code, _, err = run(capsys, "report", "--config", str(config))
    assert code == 2 and f"{config}:1: key 'as_of'" in err


def damage_pages(path: Path) -> None:
    """Overwrite data pages with random bytes, keeping the footer (metadata still reads)."""
    import random

    raw = bytearray(path.read_bytes())
    end = len(raw) - 8 - int.from_bytes(raw[-8:-4], "little")  # where the footer starts
    rng = random.Random(1)
    raw[200:end] = bytes(rng.randrange(256) for _ in range(end - 200))
    path.write_bytes(bytes(raw))


def test_file_unreadable_at_query_time_exits_2_naming_it(capsys, data):
    path = data / "subscriptions.parquet"
    rows = [sub(f"c{i}", 10 + i, "2024-01-05") for i in range(3000)]
    frame("subscriptions", rows).collect().write_parquet(path, compression="uncompressed")
    damage_pages(path)
    pl.read_parquet_schema(path)  # the footer is fine: loading accepts the file
    code, out, err = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15", "--format", "json")
    assert code == 2
    assert f"error: table subscriptions: cannot read {path}:" in err
    mrr = next(k for k in json.loads(out)["kpis"] if k["id"] == "mrr")
    assert mrr["available"] is False and f"cannot read {path}" in mrr["reason"]
    assert run(capsys, "check", "--data", str(data), "--as-of", "2024-02-15")[0] == 2


def test_query_failing_on_readable_input_is_an_unexpected_error(capsys, data, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "log_path", lambda: tmp_path / "log" / "revops-tui.log")
    from revops_tui.kpis import engine, revenue

    def broken(*a, **k):
        return pl.LazyFrame({"k": [1]}).select(pl.col("k").str.len_chars())  # a query error, not the data's

    monkeypatch.setattr(revenue, "spend", broken)
    (data / "expenses.parquet").unlink(missing_ok=True)
    frame("expenses", [{"date": "2024-01-02", "department": "marketing", "channel": "events", "amount": 5.0}]) \
        .collect().write_parquet(data / "expenses.parquet")
    code, out, err = run(capsys, "report", "--data", str(data), "--as-of", "2024-02-15", "--format", "json")
    assert code == 3 and "error: query failed: expenses:" in err and "revops-tui.log" in err
    assert next(k for k in json.loads(out)["kpis"] if k["id"] == "mrr")["value"] == 100.0
    assert engine  # imported for the monkeypatch target's module


@pytest.mark.parametrize("where", ["empty", "file:///nonexistent/x"])
def test_no_table_of_the_contract_exits_2(capsys, tmp_path, where):
    (tmp_path / "empty").mkdir()
    location = str(tmp_path / "empty") if where == "empty" else where
    for command in ("report", "check"):
        code, _, err = run(capsys, command, "--data", location)
        assert code == 2 and f"error: no table of the data contract found in {location}" in err


@pytest.mark.parametrize("location", ["s4://x", "S3://bucket/x"])
def test_unsupported_url_scheme_exits_2(capsys, location):
    code, _, err = run(capsys, "check", "--data", location)
    assert code == 2 and "unsupported URL scheme" in err and "s3://" in err


def test_empty_data_option_exits_2(capsys):
    code, _, err = run(capsys, "report", "--data", "")
    assert code == 2 and "--data is empty" in err
