"""Target status (kpis.md, "Targets and status").

- on track: the value meets the target in its direction (>= for "higher",
  <= for "lower");
- at risk: it misses the target by no more than `tolerance` percent of the
  target, i.e. by at most |target| x tolerance / 100 (the boundary itself is
  at risk);
- off track: it misses by more;
- no target / no value: states of their own. Without a target the status is
  "no target" whether or not there is a value (there is nothing to compare).

Zero target: the allowed miss is |0| x tolerance / 100 = 0, so only exactly
the target or better is on track and any miss is off track (never at risk).
Negative targets use |target| too: target -2 (%, higher), tolerance 5 -> -2.1
is at risk, -2.2 off track.

Values within a relative 1e-9 of the target, or of the tolerance boundary, are
treated as equal to it so that float noise (0.1 + 0.2) never flips a status.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from revops_tui.kpis.results import KpiResult

ON_TRACK = "on track"
AT_RISK = "at risk"
OFF_TRACK = "off track"
NO_TARGET = "no target"
NO_VALUE = "no value"

STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_TARGET, NO_VALUE)

# Each symbol has its own shape, so the status reads without colour.
SYMBOLS = {
    ON_TRACK: "✔",   # heavy check mark
    AT_RISK: "▲",    # warning triangle
    OFF_TRACK: "✖",  # heavy cross
    NO_TARGET: "○",  # empty circle: nothing set
    NO_VALUE: "?",   # nothing to compare
}

# For terminals / logs without Unicode (and `--ascii` style output).
ASCII_SYMBOLS = {
    ON_TRACK: "+",
    AT_RISK: "!",
    OFF_TRACK: "x",
    NO_TARGET: "-",
    NO_VALUE: "?",
}

# Suggested colours (Rich/Textual colour names); the symbol carries the meaning.
COLOURS = {
    ON_TRACK: "green",
    AT_RISK: "yellow",
    OFF_TRACK: "red",
    NO_TARGET: "grey50",
    NO_VALUE: "grey50",
}

# For sorting and alerting: higher is worse.
SEVERITY = {NO_TARGET: 0, NO_VALUE: 0, ON_TRACK: 1, AT_RISK: 2, OFF_TRACK: 3}

_REL_EPS = 1e-9


def symbol(status_text: str, ascii_only: bool = False) -> str:
    return (ASCII_SYMBOLS if ascii_only else SYMBOLS)[status_text]


@dataclass
class Target:
    """A KPI's target as read from the targets file.

    `value` may be None when only dated targets (`months`) are set; such a
    target has no target for the other months. `extra` holds keys this version
    does not know; they are written back unchanged.
    """

    kpi_id: str
    value: float | None
    direction: str = "higher"
    tolerance: float = 5.0
    months: dict[str, float] = field(default_factory=dict)
    updated_at: str | None = None
    updated_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def value_for(self, month: str | None = None) -> float | None:
        """The target for `month` ("YYYY-MM"): its dated override, else `value`."""
        if month is not None and month in self.months:
            return self.months[month]
        return self.value

    def same_content(self, other: "Target | None") -> bool:
        """Equal value, direction, tolerance and months (who/when ignored)."""
        if other is None:
            return False
        return (
            self.value == other.value
            and self.direction == other.direction
            and self.tolerance == other.tolerance
            and dict(self.months) == dict(other.months)
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (report / targets list --format json)."""
        return {
            "kpi": self.kpi_id,
            "value": self.value,
            "direction": self.direction,
            "tolerance": self.tolerance,
            "months": dict(sorted(self.months.items())),
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
        }


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_EPS, abs_tol=0.0)


def status_against(value: float | None, target_value: float | None, direction: str,
                   tolerance: float) -> str:
    """Status of `value` against a bare target number (see the module doc)."""
    if target_value is None:
        return NO_TARGET
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    value = float(value)
    target_value = float(target_value)
    if direction == "lower":
        miss = value - target_value
    else:
        miss = target_value - value
    if miss <= 0 or _close(value, target_value):
        return ON_TRACK
    allowed = abs(target_value) * float(tolerance) / 100.0
    if miss <= allowed or _close(miss, allowed):
        return AT_RISK
    return OFF_TRACK


def status(value: float | None, target: Target | None, month: str | None = None) -> str:
    """Status of `value` for `month` (None = use the target's base value)."""
    if target is None:
        return NO_TARGET
    return status_against(value, target.value_for(month), target.direction, target.tolerance)


@dataclass(frozen=True)
class TargetView:
    """What a KPI result is compared with: the target for its month and the status."""

    value: float | None  # the target compared with (None: none applies)
    status: str
    company_wide: float | None = None  # a company-wide target not compared: the value is a filtered part


def result_status(result: "KpiResult", target: Target | None, month: str | None = None) -> TargetView:
    """The status of a KPI result for `month` (default: its current month, the last of its series).

    Targets are company-wide. A sum or count narrowed by a filter (SMB's MRR, one owner's open
    pipeline) is a part of the whole that target is for, so it gets no status ("no target"; the
    target is kept in `company_wide` to be shown as such): SMB's MRR is not off track because it
    is below the company's MRR target. A rate, mean or ratio (churn, win rate, NRR) under a filter
    is compared with the company-wide target, the standard each part is held to.
    """
    month = month or (result.series[-1][0] if result.series else None)
    target_value = target.value_for(month) if target is not None else None
    if result.is_part and target_value is not None:
        return TargetView(None, NO_TARGET, company_wide=target_value)
    value = dict(result.series).get(month) if result.available and month is not None else None
    return TargetView(target_value, status(value, target, month))


def series_status(series: list[tuple[str, float | None]], target: Target | None) -> list[str]:
    """One status per (month, value) of a series, each month against its own target."""
    return [status(value, target, month) for month, value in series]
