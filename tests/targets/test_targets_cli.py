"""`targets list|set|unset`: exit codes, messages, and the file left unchanged on errors."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from revops_tui.config import load_settings
from revops_tui.targets import TargetStore
from revops_tui.targets_cli import add_targets_parser, run_targets

ROOT = Path(__file__).resolve().parents[2]


def parser(top_level_options: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="revops-tui")
    if top_level_options:  # like the main CLI: options before the sub-command
        p.add_argument("--config", default=None)
        p.add_argument("--read-only", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    add_targets_parser(sub)
    return p


def run(*argv: str, top: bool = False) -> tuple[int, str, str]:
    args = parser(top).parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    code = run_targets(args, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cfg(tmp_path, monkeypatch) -> Path:
    """A config in tmp_path (also ./config.toml: the working folder is tmp_path)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "config.toml"
    path.write_text('targets_file = "team/targets.toml"\n', encoding="utf-8")
    (tmp_path / "team").mkdir()
    return path


@pytest.fixture
def targets_path(cfg) -> Path:
    return cfg.parent / "team" / "targets.toml"


def test_set_list_unset_round_trip(cfg, targets_path):
    code, out, err = run("targets", "set", "mrr", "120k")
    assert code == 0, err
    assert "mrr (MRR): target 120000" in out and str(targets_path) in out
    assert run("targets", "set", "win_rate", "25%", "--tolerance", "10", "--direction", "higher")[0] == 0
    assert run("targets", "set", "mrr", "125,000", "--month", "2025-04")[0] == 0
    assert run("targets", "set", "cac", "$1.2k")[0] == 0

    code, out, err = run("targets", "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["KPI", "Name", "Target", "Direction", "Tolerance", "Months", "Updated"]
    mrr = next(line for line in lines if line.startswith("mrr "))
    assert "120000" in mrr and "higher" in mrr and "5%" in mrr and "2025-04=125000" in mrr
    win = next(line for line in lines if line.startswith("win_rate "))
    assert "25%" in win and "10%" in win
    cac = next(line for line in lines if line.startswith("cac "))
    assert "1200" in cac and "lower" in cac  # the KPI's `better` is the default direction

    code, out, _ = run("targets", "list", "--format", "json")
    rows = json.loads(out)
    by_id = {row["kpi"]: row for row in rows}
    assert by_id["mrr"]["value"] == 120000 and by_id["mrr"]["months"] == {"2025-04": 125000}
    assert by_id["win_rate"] == {**by_id["win_rate"], "unit": "%", "value": 25, "tolerance": 10,
                                 "direction": "higher", "name": "Win rate"}
    assert all(row["updated_by"] and row["updated_at"] for row in rows)

    assert run("targets", "unset", "mrr", "--month", "2025-04")[0] == 0
    code, out, _ = run("targets", "unset", "mrr", "--month", "2025-04")
    assert code == 0 and "nothing changed" in out
    code, out, _ = run("targets", "unset", "mrr")
    assert code == 0 and "removed" in out
    assert "mrr" not in tomllib.loads(targets_path.read_text())
    assert len((targets_path.parent / "targets-history.jsonl").read_text().splitlines()) == 6


def test_list_without_a_file(cfg, targets_path):
    code, out, err = run("targets", "list")
    assert code == 0 and "No targets set" in out
    assert json.loads(run("targets", "list", "--format", "json")[1]) == []
    assert not targets_path.exists()


def test_negative_values(cfg):
    assert run("targets", "set", "revenue_growth", "-3")[0] == 0
    assert run("targets", "set", "revenue_growth", "--", "-3.5%")[0] == 0
    assert run("targets", "set", "book_growth", "--value=-2")[0] == 0
    code, out, _ = run("targets", "list", "--format", "json")
    values = {row["kpi"]: row["value"] for row in json.loads(out)}
    assert values == {"revenue_growth": -3.5, "book_growth": -2}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["set", "mrrr", "12"], "unknown KPI id 'mrrr'; did you mean mrr"),
        (["set", "mrr", "abc"], "value for mrr: 'abc' is not a number"),
        (["set", "mrr", "12kk"], "'12kk' is not a number"),
        # each KPI's range (catalog: Kpi.target_range): a sign or a unit typed wrong is refused
        (["set", "mrr", "--", "-5"], "a target for MRR must be at least 0, not -5"),
        (["set", "nps", "--", "-150"], "a target for NPS must be between -100 and 100, not -150"),
        (["set", "win_rate", "150%"], "a target for Win rate must be between 0% and 100%, not 150%"),
        (["set", "book_growth", "--", "-2k"], "must be at least -100%"),
        (["set", "mrr", "1e999"], "'1e999': write the number without an exponent"),
        (["set", "mrr", "1.2.3"], "'1.2.3' is not a number"),
        (["set", "mrr", "nan"], "'nan' is not a number"),
        (["set", "mrr", "7.5%"], "measured in currency, not percent"),
        (["set", "mrr", "5", "--direction", "sideways"], "direction must be 'higher' or 'lower'"),
        (["set", "mrr", "5", "--tolerance", "-1"], "tolerance must be a percentage >= 0"),
        (["set", "mrr", "5", "--tolerance", "lots"], "tolerance must be"),
        (["set", "mrr", "5", "--month", "2025-13"], "month must be YYYY-MM"),
        (["set", "mrr"], "give a VALUE"),
        (["unset", "mrrr"], "unknown KPI id 'mrrr'"),
        (["unset", "mrr", "--month", "March"], "month must be YYYY-MM"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(cfg, targets_path, argv, message):
    targets_path.write_text("# mine\n[mrr]\nvalue = 100\n", encoding="utf-8")
    before = targets_path.read_bytes()
    code, out, err = run("targets", *argv)
    assert code == 2 and out == ""
    assert message in err and err.startswith("revops-tui targets: error: ")
    assert targets_path.read_bytes() == before
    assert sorted(p.name for p in targets_path.parent.iterdir()) in (
        ["targets.toml"], ["targets.toml", "targets.toml.lock"])


@pytest.mark.parametrize("argv", [["list"], ["set", "nps", "30"], ["unset", "mrr"],
                                  ["list", "--format", "json"]])
def test_broken_targets_file_exits_2_naming_file_and_line(cfg, targets_path, argv):
    targets_path.write_text("[mrr]\nvalue = 100\nvalue = 200\n", encoding="utf-8")
    before = targets_path.read_bytes()
    code, out, err = run("targets", *argv)
    assert code == 2 and out == ""
    assert f"{targets_path}:3: not valid TOML" in err
    assert targets_path.read_bytes() == before
    assert not (targets_path.parent / "targets.toml.bak").exists()


def test_read_only_config(cfg, targets_path):
    cfg.write_text('targets_file = "team/targets.toml"\nread_only = true\n', encoding="utf-8")
    targets_path.write_text("[mrr]\nvalue = 100\n", encoding="utf-8")
    before = targets_path.read_bytes()
    code, _, err = run("targets", "set", "mrr", "5")
    assert code == 2 and "read-only mode" in err
    code, _, err = run("targets", "unset", "mrr")
    assert code == 2 and "read-only mode" in err
    assert targets_path.read_bytes() == before
    assert run("targets", "list")[0] == 0  # viewers can still look


def test_read_only_option_of_the_main_cli(cfg, targets_path):
    code, _, err = run("--read-only", "targets", "set", "mrr", "5", top=True)
    assert code == 2 and "read-only" in err
    assert not targets_path.exists()


def test_read_only_file(cfg, targets_path):
    targets_path.write_text("[mrr]\nvalue = 100\n", encoding="utf-8")
    before = targets_path.read_bytes()
    os.chmod(targets_path, 0o444)
    try:
        code, _, err = run("targets", "set", "mrr", "5")
    finally:
        os.chmod(targets_path, 0o644)
    assert code == 2 and f"the targets file {targets_path} is read-only" in err
    assert targets_path.read_bytes() == before


def test_config_resolution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # no ./config.toml: defaults, targets.toml in the working folder
    assert run("targets", "set", "mrr", "1")[0] == 0
    assert (tmp_path / "targets.toml").exists()
    # --config PATH wins; relative targets_file is relative to the config's folder
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "c.toml").write_text('targets_file = "t.toml"\n', encoding="utf-8")
    assert run("targets", "set", "nps", "2", "--config", str(other / "c.toml"))[0] == 0
    assert "nps" in tomllib.loads((other / "t.toml").read_text())
    # the main parser's --config (before the sub-command) is not overwritten
    code, out, _ = run("--config", str(other / "c.toml"), "targets", "list", "--format", "json", top=True)
    assert code == 0 and [row["kpi"] for row in json.loads(out)] == ["nps"]
    # ./config.toml is used when present
    (tmp_path / "config.toml").write_text('targets_file = "t2.toml"\n', encoding="utf-8")
    assert run("targets", "set", "arr", "3")[0] == 0
    assert "arr" in tomllib.loads((tmp_path / "t2.toml").read_text())


def test_bad_config_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("months = 'many'\n", encoding="utf-8")
    code, _, err = run("targets", "list", "--config", str(bad))
    assert code == 2 and "bad.toml" in err and "months" in err
    code, _, err = run("targets", "list", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "missing.toml" in err


def test_warnings_for_unknown_keys_and_ids(cfg, targets_path):
    targets_path.write_text("[mrr]\nvalue = 100\nowner = 'x'\n\n[mmr]\nvalue = 1\n", encoding="utf-8")
    code, out, err = run("targets", "list")
    assert code == 0
    assert "unknown key 'owner'" in err and "unknown KPI id 'mmr'" in err and "did you mean 'mrr'" in err
    assert run("targets", "set", "nps", "10")[0] == 0
    doc = tomllib.loads(targets_path.read_text())
    assert doc["mmr"] == {"value": 1} and doc["mrr"]["owner"] == "x"


def test_targets_of_the_config(cfg, targets_path):
    # what report / check read: the store of the config's targets_file
    settings, _ = load_settings(cfg)
    snap = TargetStore.from_settings(settings).load()
    assert (snap.targets, snap.warnings, snap.error) == ({}, [], None)
    targets_path.write_text("[mrr]\nvalue = 100\nfoo = 1\n", encoding="utf-8")
    snap = TargetStore.from_settings(settings).load()
    assert snap.targets["mrr"].value == 100 and snap.error is None and len(snap.warnings) == 1
    targets_path.write_text("[mrr\n", encoding="utf-8")
    snap = TargetStore.from_settings(settings).load()
    assert snap.targets == {} and f"{targets_path}:1:" in snap.error


def test_help_and_subcommand_required(capsys):
    with pytest.raises(SystemExit) as info:
        parser().parse_args(["targets"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        parser().parse_args(["targets", "set", "--help"])
    assert info.value.code == 0
    assert "12k, 1.5M" in capsys.readouterr().out


def test_as_a_separate_process(tmp_path):
    """The real thing, in its own interpreter (no dependency on revops_tui.cli)."""
    code = (
        "import argparse, sys\n"
        "from revops_tui.targets_cli import add_targets_parser\n"
        "p = argparse.ArgumentParser(prog='revops-tui')\n"
        "add_targets_parser(p.add_subparsers(dest='command', required=True))\n"
        "a = p.parse_args(sys.argv[1:])\n"
        "sys.exit(a.func(a))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def cli(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code, *argv], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)

    ok = cli("targets", "set", "mrr", "1.5M")
    assert ok.returncode == 0, ok.stderr
    bad = cli("targets", "set", "nope", "1")
    assert bad.returncode == 2 and "unknown KPI id 'nope'" in bad.stderr
    assert tomllib.loads((tmp_path / "targets.toml").read_text())["mrr"]["value"] == 1_500_000


def test_set_help_shows_a_single_percent_sign():
    result = subprocess.run([sys.executable, "-m", "revops_tui", "targets", "set", "--help"],
                            capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    assert result.returncode == 0
    assert "7.5% (% KPIs only)" in result.stdout and "%%" not in result.stdout


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_set_refuses_a_targets_path_that_is_not_a_regular_file(cfg, targets_path, kind):
    if kind == "fifo":
        os.mkfifo(targets_path)
    else:
        targets_path.mkdir()
    folder = targets_path.parent
    before = sorted(p.name for p in folder.iterdir())
    for argv in (("targets", "set", "mrr", "5"), ("targets", "unset", "mrr"), ("targets", "list")):
        code, _, err = run(*argv)
        assert code == 2 and "not a regular file" in err, err
    assert sorted(p.name for p in folder.iterdir()) == before  # no .bak, .lock or history
    import stat as stat_module
    mode = os.lstat(targets_path).st_mode
    assert stat_module.S_ISFIFO(mode) if kind == "fifo" else stat_module.S_ISDIR(mode)


def test_set_through_a_symlink_to_a_regular_file_still_works(cfg, targets_path, tmp_path):
    real = tmp_path / "real.toml"
    real.write_text("[mrr]\nvalue = 1\n", encoding="utf-8")
    targets_path.symlink_to(real)
    code, _, err = run("targets", "set", "nps", "5")
    assert code == 0, err
    assert targets_path.is_symlink() and set(tomllib.loads(real.read_text())) == {"mrr", "nps"}


@pytest.mark.parametrize("argv", [("targets", "set", "mrr", "5", "--month", "2026-1"),
                                  ("targets", "unset", "mrr", "--month", "2026-1")])
def test_month_option_must_be_yyyy_mm(cfg, targets_path, argv):
    targets_path.write_text("[mrr]\nvalue = 1\n", encoding="utf-8")
    before = targets_path.read_bytes()
    code, _, err = run(*argv)
    assert code == 2 and "--month must be YYYY-MM" in err and "'2026-1'" in err
    assert targets_path.read_bytes() == before


def test_unknown_kpi_id_points_at_what_lists_the_ids(cfg):
    code, _, err = run("targets", "set", "zzzzzz", "5")
    assert code == 2 and "`revops-tui report --format json`" in err and "`revops-tui report` lists" not in err
