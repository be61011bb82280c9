"""The program's `report --format json` against the oracle, KPI by KPI and month by month."""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import tomli_w

from revops_tui import session
from revops_tui.cli import main, report_json
from revops_tui.kpis.results import Filters as ProgramFilters
from tests.oracle.datasets import (
    write_broken_copy,
    write_overview_edge_cases,
    write_sales_edge_cases,
    write_sales_same_day_ties,
)
from tests.oracle.filters import DQ_KPIS, FILTER_NAMES, FILTER_TABLE, Filters, not_filtered_by
from tests.oracle.marketing_success import marketing_success_kpis
from tests.oracle.overview import overview_kpis
from tests.oracle.quality import quality_kpis
from tests.oracle.sales import sales_kpis
from tests.oracle.settings import read_settings
from tests.oracle.values import KpiValues

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config.toml"
MONTHS = 24
REL_TOL = 1e-6
ABS_TOL = 1e-9  # float noise around 0 (e.g. a growth of 0 computed as 1e-15)

DATASETS = {
    "overview_edges": write_overview_edge_cases,
    "overview_edges_tz": lambda folder: write_overview_edge_cases(folder, tz_aware=True),
    "sales_edges": write_sales_edge_cases,
    "sales_ties": write_sales_same_day_ties,
    "broken": lambda folder: write_broken_copy(REPO / "data", folder),
    "broken_tz": lambda folder: write_broken_copy(REPO / "data", folder, tz_aware_tickets=True),
}


@dataclass(frozen=True)
class Case:
    name: str
    dataset: str  # "shipped" (REPO/data) or a key of DATASETS
    as_of: str
    filters: Filters = field(default_factory=Filters)
    config: dict[str, Any] = field(default_factory=dict)  # overrides of config.toml, written to tmp


CASES = [
    Case("shipped-2026-11-15", "shipped", "2026-11-15"),
    Case("shipped-2026-06-30", "shipped", "2026-06-30"),
    Case("shipped-segment", "shipped", "2026-11-15", Filters(segment=("Mid-Market",))),
    Case("shipped-region", "shipped", "2026-11-15", Filters(region=("EMEA",))),
    Case("shipped-channel", "shipped", "2026-11-15", Filters(channel=("paid_search",))),
    Case("shipped-owner", "shipped", "2026-11-15", Filters(owner=("Kenji Watanabe",))),  # quotas in 12 months only
    Case("shipped-other-metrics", "shipped", "2026-11-15",
         config={"metrics": {"gross_margin": 0.70, "max_lifetime_months": 40}}),
    *(
        Case(f"{dataset}-{label}", dataset, as_of, filters)
        for dataset in ("overview_edges", "overview_edges_tz")
        for label, as_of, filters in (
            ("2026-11-15", "2026-11-15", Filters()),
            ("2026-06-30", "2026-06-30", Filters()),
            ("enterprise", "2026-11-15", Filters(segment=("Enterprise",))),
            ("smb", "2026-11-15", Filters(segment=("SMB",))),
            ("na", "2026-11-15", Filters(region=("NA",))),
            ("organic", "2026-11-15", Filters(channel=("organic",))),
            ("smb-enterprise-na", "2026-11-15", Filters(segment=("SMB", "Enterprise"), region=("NA",))),
            ("unknown-segment", "2026-11-15", Filters(segment=("Nope",))),
        )
    ),
    *(
        Case(f"sales_edges-{label}", "sales_edges", "2026-11-15", filters)
        for label, filters in (
            ("all", Filters()),
            ("owner-without-quota", Filters(owner=("Z",))),
            ("two-owners", Filters(owner=("A", "B"))),
            ("enterprise", Filters(segment=("Enterprise",))),
            ("na", Filters(region=("NA",))),
            ("partner", Filters(channel=("partner",))),
        )
    ),
    Case("sales_ties", "sales_ties", "2026-11-15"),
    Case("broken-2026-11-15", "broken", "2026-11-15"),
    Case("broken-2026-06-30", "broken", "2026-06-30"),
    Case("broken-2024-01-31", "broken", "2024-01-31"),
    Case("broken-tz-tickets", "broken_tz", "2026-11-15"),
    Case("broken-other-weights", "broken", "2026-11-15", config={
        "quality": {"completeness": 2, "validity": 0, "consistency": 1, "uniqueness": 3, "accuracy": 0.5}}),
]


@dataclass(frozen=True)
class Run:
    case: Case
    report: dict[str, dict[str, Any]]  # the program's KPIs by id
    oracle: KpiValues


@pytest.fixture(scope="module")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """The program may keep results in the user's cache folder; give it an empty one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(scope="module")
def dataset_folder(tmp_path_factory: pytest.TempPathFactory):
    built: dict[str, Path] = {}

    def folder(name: str) -> Path:
        if name == "shipped":
            return REPO / "data"
        if name not in built:
            built[name] = DATASETS[name](tmp_path_factory.mktemp(name))
        return built[name]

    return folder


def _config_path(case: Case, tmp: Path) -> Path:
    if not case.config:
        return CONFIG
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    config.pop("targets_file", None)
    for section, values in case.config.items():
        config.setdefault(section, {}).update(values)
    path = tmp / "config.toml"
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    return path


def oracle_values(data: Path, as_of: dt.date, months: int, filters: Filters, config: Path) -> KpiValues:
    settings = read_settings(config)
    con = duckdb.connect()
    con.execute("SET threads = 1")
    try:
        return {
            **overview_kpis(con, data, as_of, months, filters),
            **marketing_success_kpis(con, data, as_of, months, filters, settings),
            **sales_kpis(con, data, as_of, months, filters, settings),
            **quality_kpis(con, data, as_of, months, filters, settings),
        }
    finally:
        con.close()


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.name)
def run(request, dataset_folder, isolated_cache, tmp_path_factory: pytest.TempPathFactory) -> Run:
    case: Case = request.param
    tmp = tmp_path_factory.mktemp(case.name)
    data, config, out = dataset_folder(case.dataset), _config_path(case, tmp), tmp / "report.json"
    argv = ["report", "--format", "json", "--output", str(out), "--config", str(config), "--data", str(data),
            "--as-of", case.as_of, "--months", str(MONTHS), *case.filters.cli_args()]
    if case.name.endswith("unknown-segment"):
        # `report` refuses a filter value found nowhere in the data; the engine's numbers under it
        # (what the workspace shows) are still checked, through the same session and JSON.
        assert main(argv) == 2, f"revops-tui {' '.join(argv)} accepted a segment not in the data"
        settings, _ = session.settings_from_options(str(config), str(data), case.as_of, MONTHS)
        snap = session.run(settings, ProgramFilters.of(
            **{name: list(getattr(case.filters, name)) for name in FILTER_NAMES}))
        out.write_text(report_json(snap.results, settings.currency, {}), encoding="utf-8")
    else:
        assert main(argv) == 0, f"revops-tui {' '.join(argv)} failed"
    report = {kpi["id"]: kpi for kpi in json.loads(out.read_text(encoding="utf-8"))["kpis"]}
    oracle = oracle_values(data, dt.date.fromisoformat(case.as_of), MONTHS, case.filters, config)
    return Run(case, report, oracle)


def _same(oracle: float | None, program: float | None) -> bool:
    if oracle is None or program is None:
        return oracle is None and program is None  # null vs number is a difference
    return math.isclose(oracle, program, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def test_values_match_oracle(run: Run) -> None:
    problems = []
    for kpi in run.report:
        if kpi not in run.oracle:
            continue  # no value expected: test_availability_matches_spec
        program = {point["month"]: point["value"] for point in run.report[kpi]["series"]}
        expected = run.oracle[kpi]
        if set(program) != set(expected):
            problems.append(f"{kpi}: months {sorted(program)} in the report, {sorted(expected)} in the oracle")
            continue
        problems += [f"{kpi} {month}: oracle={expected[month]!r} program={program[month]!r}"
                     for month in expected if not _same(expected[month], program[month])]
    assert not problems, f"{run.case.name}: {len(problems)} difference(s)\n" + "\n".join(problems)


def _expected_available(run: Run, kpi: str) -> bool:
    """The oracle has the KPI (its tables exist, no filter leaves it without value); a Data Quality score, which
    has a single value, is also unavailable when that value is none (e.g. accuracy with no deal to check)."""
    if kpi not in run.oracle:
        return False
    return kpi not in DQ_KPIS or any(value is not None for value in run.oracle[kpi].values())


def test_availability_matches_spec(run: Run) -> None:
    """available: the oracle has a value unless a table is missing or the filter table says 'no value';
    not_filtered_by: the active filters the filter table marks 'not filtered' for the KPI."""
    problems = []
    unknown = sorted(set(run.report) - set(FILTER_TABLE))
    missing = sorted(set(FILTER_TABLE) - set(run.report))
    if unknown or missing:
        problems.append(f"KPIs not in the oracle's catalog: {unknown}; catalog KPIs missing from the report: {missing}")
    for kpi in run.report:
        if kpi in unknown:
            continue
        entry, expected = run.report[kpi], _expected_available(run, kpi)
        if entry["available"] != expected:
            problems.append(f"{kpi}: available={entry['available']} in the report, {expected} in the oracle "
                            f"(reason: {entry['reason']!r})")
        if not entry["available"] and any(point["value"] is not None for point in entry["series"]):
            problems.append(f"{kpi}: unavailable but has values")
        nfb = sorted(not_filtered_by(kpi, run.case.filters))
        if sorted(entry["not_filtered_by"] or []) != nfb:
            problems.append(f"{kpi}: not_filtered_by={entry['not_filtered_by']} in the report, {nfb} in the spec")
    assert not problems, f"{run.case.name}:\n" + "\n".join(problems)
