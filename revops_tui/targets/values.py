"""Parse what people type for a target: "12k", "1.5M", "7.5%" -> float.

Shared by the target editor (TUI) and `revops-tui targets set` so both accept
exactly the same syntax. Every function raises ValueError with a message that
can be shown to the user as it is.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

DIRECTIONS = ("higher", "lower")
DEFAULT_TOLERANCE = 5.0

_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_CURRENCY = "$€£¥"

_VALUE_RE = re.compile(
    rf"""^
    (?P<sign1>[+-]?)\s*
    (?P<currency>[{_CURRENCY}]?)\s*
    (?P<sign2>[+-]?)
    (?P<number>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?   # 12,000 or 1,234.5
              |\d+(?:\.\d*)?                     # 12000, 12., 1.5
              |\.\d+)                            # .5
    \s*(?P<suffix>[kKmMbB%]?)
    $""",
    re.VERBOSE,
)

VALUE_HELP = "a number such as 12000, 12,000, 12k, 1.5M, 2B or 7.5%"
_EXPONENT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")  # 1e3, 1e999: not taken, said why


def parse_value(text: str | float | int, unit: str | None = None) -> float:
    """A target value from user text.

    Accepts plain numbers (``12000``, ``-3``, ``.5``), thousands separators
    (``12,000``), the suffixes k / M / B (case-insensitive: thousand, million,
    billion), a leading currency symbol ($ EUR GBP JPY signs) and a trailing
    ``%``. Percentages are kept in percent: ``7.5%`` -> 7.5 (a % KPI stores
    7.5 for 7.5 %). When `unit` is given and is not "%", a ``%`` is refused
    (``5%`` of MRR means nothing); a currency symbol on a % KPI is refused too.
    Numbers (int / float) pass through after a finiteness check.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected {VALUE_HELP}, not {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"a target must be a finite number, not {text!r}")
        return value
    raw = str(text)
    stripped = raw.strip()
    if not stripped:
        raise ValueError(f"enter a value: {VALUE_HELP}")
    match = _VALUE_RE.match(stripped)
    if not match:
        if _EXPONENT_RE.match(stripped):
            raise ValueError(f"{stripped!r}: write the number without an exponent, as {VALUE_HELP}")
        raise ValueError(f"{raw.strip()!r} is not a number; expected {VALUE_HELP}")
    if match["sign1"] and match["sign2"]:
        raise ValueError(f"{stripped!r} has two signs; expected {VALUE_HELP}")
    suffix = match["suffix"]
    if suffix == "%":
        if match["currency"]:
            raise ValueError(f"{stripped!r} has both a currency symbol and %")
        if unit is not None and unit != "%":
            raise ValueError(
                f"{stripped!r}: this KPI is measured in {unit}, not percent; enter it without %"
            )
    elif match["currency"] and unit == "%":
        raise ValueError(f"{stripped!r}: this KPI is a percentage; enter it like 7.5 or 7.5%")
    try:
        number = Decimal(match["number"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise ValueError(f"{stripped!r} is not a number; expected {VALUE_HELP}") from None
    multiplier = _MULTIPLIERS.get(suffix.lower(), 1)
    value = float(number * multiplier)
    if "-" in (match["sign1"], match["sign2"]):
        value = -value
    if not math.isfinite(value):
        raise ValueError(f"{stripped!r} is too large")
    return value + 0.0  # -0.0 -> 0.0


def parse_target(text: str | float | int, kpi: Any) -> float:
    """A target value for `kpi` (a catalog Kpi): parse_value in its unit, then within the range
    its targets can take (kpi.target_range): an MRR target of -5 or an NPS of -150 is a typo."""
    value = parse_value(text, kpi.unit)
    low, high = kpi.target_range
    if (low is not None and value < low) or (high is not None and value > high):
        unit = "%" if kpi.unit == "%" else ""
        if high is None:
            span = f"at least {low:g}{unit}"
        elif low is None:
            span = f"at most {high:g}{unit}"
        else:
            span = f"between {low:g}{unit} and {high:g}{unit}"
        raise ValueError(f"a target for {kpi.label} must be {span}, not {value:g}{unit}")
    return value


_DIRECTION_ALIASES = {
    "higher": "higher", "high": "higher", "up": "higher", "h": "higher", ">": "higher", ">=": "higher",
    "lower": "lower", "low": "lower", "down": "lower", "l": "lower", "<": "lower", "<=": "lower",
}


def parse_direction(text: str) -> str:
    """"higher" or "lower" (also accepts high/low, up/down, h/l; case-insensitive)."""
    key = str(text).strip().lower()
    try:
        return _DIRECTION_ALIASES[key]
    except KeyError:
        shown = str(text).strip() or "(empty)"
        raise ValueError(f"direction must be 'higher' or 'lower', not {shown!r}") from None


def parse_tolerance(text: str | float | int) -> float:
    """A tolerance in percent, >= 0: ``5``, ``2.5``, ``5%``."""
    if isinstance(text, bool):
        raise ValueError(f"tolerance must be a percentage >= 0 such as 5 or 2.5%, not {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        stripped = str(text).strip()
        if stripped.endswith("%"):
            stripped = stripped[:-1].rstrip()
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", stripped):
            shown = str(text).strip() or "(empty)"
            raise ValueError(
                f"tolerance must be a percentage >= 0 such as 5 or 2.5%, not {shown!r}"
            )
        value = float(stripped)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"tolerance must be a percentage >= 0, not {text!r}")
    return value + 0.0


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str) -> str:
    """A month "YYYY-MM" (also "YYYY-M"); returns it as "YYYY-MM"."""
    return _parse_month(str(text))


@lru_cache(maxsize=4096)
def _parse_month(text: str) -> str:
    stripped = text.strip()
    match = _MONTH_RE.match(stripped)
    if match:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and year >= 1:
            return f"{year:04d}-{month:02d}"
    shown = stripped or "(empty)"
    raise ValueError(f"month must be YYYY-MM (for example 2025-03), not {shown!r}")


def format_plain(value: float | int | None, unit: str | None = None) -> str:
    """A value as a person would type it back: 12000, 1234.5, 7.5% (no rounding)."""
    if value is None:
        return ""
    number = float(value)
    text = str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    return f"{text}%" if unit == "%" else text
