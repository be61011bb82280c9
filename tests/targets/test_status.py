"""Status rules (kpis.md, "Targets and status")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revops_tui.targets.status import (
    ASCII_SYMBOLS,
    AT_RISK,
    NO_TARGET,
    NO_VALUE,
    OFF_TRACK,
    ON_TRACK,
    SEVERITY,
    STATUSES,
    SYMBOLS,
    Target,
    series_status,
    status,
    symbol,
)


def t(value, direction="higher", tolerance=5.0, months=None):
    return Target("kpi", value, direction, tolerance, dict(months or {}))


@pytest.mark.parametrize(
    "value, expected",
    [
        (101, ON_TRACK),
        (100, ON_TRACK),     # meeting the target exactly is on track
        (99.99, AT_RISK),
        (95, AT_RISK),       # a miss of exactly the tolerance is still at risk
        (94.99, OFF_TRACK),
        (0, OFF_TRACK),
        (-50, OFF_TRACK),
    ],
)
def test_higher_is_better(value, expected):
    assert status(value, t(100)) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (99, ON_TRACK),
        (100, ON_TRACK),
        (100.01, AT_RISK),
        (105, AT_RISK),      # boundary: at risk
        (105.01, OFF_TRACK),
        (1000, OFF_TRACK),
    ],
)
def test_lower_is_better(value, expected):
    assert status(value, t(100, "lower")) == expected


def test_boundaries_that_are_not_exact_in_binary():
    # 7.5 x 5 % = 0.375; 12000 x 5 % = 600; 0.3 x 10 % = 0.03 (float noise must not flip it)
    assert status(7.125, t(7.5)) == AT_RISK
    assert status(7.8750, t(7.5, "lower")) == AT_RISK
    assert status(11400, t(12000)) == AT_RISK
    assert status(11399.99, t(12000)) == OFF_TRACK
    assert status(0.27, t(0.3, tolerance=10)) == AT_RISK
    assert status(0.1 + 0.2, t(0.3, "lower")) == ON_TRACK  # 0.30000000000000004


def test_tolerance_zero_means_on_or_off():
    assert status(100, t(100, tolerance=0)) == ON_TRACK
    assert status(99.999, t(100, tolerance=0)) == OFF_TRACK
    assert status(100.001, t(100, "lower", tolerance=0)) == OFF_TRACK


def test_wide_tolerance():
    assert status(1, t(100, tolerance=100)) == AT_RISK
    assert status(0, t(100, tolerance=100)) == AT_RISK
    assert status(-1, t(100, tolerance=100)) == OFF_TRACK
    assert status(250, t(100, "lower", tolerance=150)) == AT_RISK


def test_zero_target_only_exact_or_better_is_on_track():
    # |0| x tolerance = 0: any miss is off track, never at risk.
    assert status(0, t(0)) == ON_TRACK
    assert status(0.5, t(0)) == ON_TRACK
    assert status(-0.001, t(0)) == OFF_TRACK
    assert status(0, t(0, "lower")) == ON_TRACK
    assert status(-3, t(0, "lower")) == ON_TRACK
    assert status(0.001, t(0, "lower")) == OFF_TRACK
    assert status(0.001, t(0, "lower", tolerance=100)) == OFF_TRACK


def test_negative_target_uses_its_magnitude():
    # revenue growth target -2 %, higher: allowed miss 0.1
    assert status(-1, t(-2)) == ON_TRACK
    assert status(-2, t(-2)) == ON_TRACK
    assert status(-2.1, t(-2)) == AT_RISK
    assert status(-2.11, t(-2)) == OFF_TRACK
    # lower is better, target -2: -1.9 misses by 0.1 -> at risk
    assert status(-3, t(-2, "lower")) == ON_TRACK
    assert status(-1.9, t(-2, "lower")) == AT_RISK
    assert status(-1.89, t(-2, "lower")) == OFF_TRACK


def test_no_value_and_no_target():
    assert status(None, t(100)) == NO_VALUE
    assert status(float("nan"), t(100)) == NO_VALUE
    assert status(5, None) == NO_TARGET
    assert status(None, None) == NO_TARGET  # nothing to compare: no target wins


def test_dated_targets_override_per_month():
    target = t(100, months={"2025-03": 200, "2025-04": 50})
    assert target.value_for(None) == 100
    assert target.value_for("2025-02") == 100
    assert target.value_for("2025-03") == 200
    assert status(150, target) == ON_TRACK
    assert status(150, target, "2025-02") == ON_TRACK
    assert status(150, target, "2025-03") == OFF_TRACK
    assert status(195, target, "2025-03") == AT_RISK
    assert status(60, target, "2025-04") == ON_TRACK


def test_months_only_target_has_no_target_elsewhere():
    target = t(None, months={"2025-03": 10})
    assert status(12, target, "2025-03") == ON_TRACK
    assert status(12, target, "2025-04") == NO_TARGET
    assert status(12, target) == NO_TARGET


def test_series_status_uses_each_months_target():
    target = t(100, months={"2025-03": 200})
    series = [("2025-01", 90.0), ("2025-02", None), ("2025-03", 190.0), ("2025-04", 120.0)]
    assert series_status(series, target) == [OFF_TRACK, NO_VALUE, AT_RISK, ON_TRACK]
    assert series_status(series, None) == [NO_TARGET] * 4
    assert series_status([], target) == []


def test_symbols_are_distinct_and_cover_every_status():
    assert set(SYMBOLS) == set(STATUSES) == set(ASCII_SYMBOLS) == set(SEVERITY)
    assert len(set(SYMBOLS.values())) == len(STATUSES)
    assert len(set(ASCII_SYMBOLS.values())) == len(STATUSES)
    assert all(len(s) == 1 and s.isascii() for s in ASCII_SYMBOLS.values())
    assert symbol(OFF_TRACK) == SYMBOLS[OFF_TRACK]
    assert symbol(OFF_TRACK, ascii_only=True) == ASCII_SYMBOLS[OFF_TRACK]
    assert STATUSES == ("on track", "at risk", "off track", "no target", "no value")


def test_same_content_ignores_who_and_when():
    a = Target("mrr", 1.0, "higher", 5.0, {}, "2025-01-01T00:00:00Z", "alice")
    b = Target("mrr", 1.0, "higher", 5.0, {}, "2025-02-01T00:00:00Z", "bob")
    assert a.same_content(b)
    assert not a.same_content(Target("mrr", 1.0, "lower"))
    assert not a.same_content(None)


values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(values, values, st.floats(min_value=0, max_value=200), st.sampled_from(["higher", "lower"]))
def test_better_value_never_has_worse_status(target_value, value, tolerance, direction):
    target = t(target_value, direction, tolerance)
    nudge = abs(value) * 0.01 + 1
    better = value + nudge if direction == "higher" else value - nudge
    assert SEVERITY[status(better, target)] <= SEVERITY[status(value, target)]
    assert status(value, target) in (ON_TRACK, AT_RISK, OFF_TRACK)


# --- targets are company-wide: a filtered sum or count is a part (result_status)

def _result(kpi_id: str, series, filtered_by=(), not_filtered_by=(), available=True):
    from revops_tui.kpis.catalog import CATALOG
    from revops_tui.kpis.results import KpiResult

    return KpiResult(CATALOG[kpi_id], series[-1][1], False, series, available, None if available else "no data",
                     not_filtered_by, filtered_by)


def test_a_filtered_sum_is_not_compared_with_the_company_target():
    from revops_tui.targets.status import TargetView, result_status

    series = [("2025-02", 900.0), ("2025-03", 400.0)]
    target = t(1000, months={"2025-03": 1200})
    # Company-wide MRR 400 against 1,200 (the dated target of its month): off track.
    assert result_status(_result("mrr", series), target) == TargetView(1200, OFF_TRACK)
    # SMB's MRR 400 is a part of the company's MRR: no status, the target kept as company-wide.
    assert result_status(_result("mrr", series, ("segment",)), target) == TargetView(None, NO_TARGET, 1200)
    # An earlier month of the same part: that month's target (1000), still not compared.
    assert result_status(_result("mrr", series, ("segment",)), target, "2025-02") == TargetView(None, NO_TARGET, 1000)
    # An owner filter does not narrow MRR (not filtered by owner): the value is the company's, compared.
    assert result_status(_result("mrr", series, (), ("owner",)), target) == TargetView(1200, OFF_TRACK)
    # A rate under a filter is held to the company standard: SMB churn 3% vs a 2% lower-is-better target.
    churn = _result("logo_churn_rate", [("2025-03", 3.0)], ("segment",))
    assert result_status(churn, t(2, "lower")) == TargetView(2, OFF_TRACK)
    # A filtered count (one owner's open deals) and a filtered mean (its average deal size).
    assert result_status(_result("open_opportunities", [("2025-03", 3.0)], ("owner",)), t(10)).status == NO_TARGET
    assert result_status(_result("avg_deal_size", [("2025-03", 9.6)], ("owner",)), t(10)).status == AT_RISK  # 0.4 short, within 5%
    # No target at all stays "no target" without a company-wide value.
    assert result_status(_result("mrr", series, ("segment",)), None) == TargetView(None, NO_TARGET)
    # An unavailable result has no value to compare.
    assert result_status(_result("mrr", [("2025-03", None)], available=False), target) == TargetView(1200, NO_VALUE)
