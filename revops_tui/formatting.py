"""How numbers look: one place for every unit (views format; the engine returns raw numbers)."""

from __future__ import annotations

NA = "n/a"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
PERCENT_UNITS = ("%", "score")  # changes are point differences


def money(value: float, currency: str, compact: bool = False) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if compact and value >= 1_000_000:
        body = f"{value / 1_000_000:,.2f}M"
    elif compact and value >= 10_000:
        body = f"{value / 1_000:,.1f}k"
    elif value >= 1_000 or value == int(value):
        body = f"{value:,.0f}"
    else:
        body = f"{value:,.2f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def percent(value: float) -> str:
    """One decimal, except that a value near 0 or 100 but not on it never shows as "0.0%" or
    "100.0%": a pass rate of 99.96% (24 failing values in 57,000) is not a clean 100.0%, and a
    churn of 0.03% is not zero. Two decimals then, or "<0.01%" / ">99.99%" when even those
    round onto the boundary."""
    text = f"{value:,.1f}"
    near_zero = text in ("0.0", "-0.0") and value != 0
    near_hundred = text == "100.0" and value < 100
    if not (near_zero or near_hundred):
        return f"{text}%"
    text = f"{value:,.2f}"
    if text == "100.00":
        return ">99.99%"
    if text in ("0.00", "-0.00"):
        return "<0.01%" if value > 0 else ">-0.01%"
    return f"{text}%"


def format_value(value: float | None, unit: str, currency: str = "USD", compact: bool = False) -> str:
    """A KPI value with its unit; "n/a" for no value."""
    if value is None:
        return NA
    if unit == "currency":
        return money(value, currency, compact)
    if unit == "currency/day":
        return money(value, currency, compact) + "/day"
    if unit == "%":
        return percent(value)
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value:,.2f}x"
    if unit == "months":
        return f"{value:,.1f} mo"
    if unit == "days":
        return f"{value:,.1f} d"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "score":
        return f"{value:+,.1f}"
    return f"{value:,.2f}"


def change(value: float | None, previous: float | None, unit: str) -> float | None:
    """Change vs the previous month: points for % units, else percent of the previous value."""
    if value is None or previous is None:
        return None
    if unit in PERCENT_UNITS:
        return value - previous
    if previous == 0:
        return None
    return (value - previous) / abs(previous) * 100


def format_change(value: float | None, previous: float | None, unit: str) -> str:
    delta = change(value, previous, unit)
    if delta is None:
        return NA
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    # % KPIs change by percentage points; a score (NPS, -100..100) by points of the score
    suffix = {"%": " pp", "score": " pts"}.get(unit, "%")
    return f"{arrow} {delta:+,.1f}{suffix}"


def is_good(value: float | None, previous: float | None, unit: str, better: str) -> bool | None:
    """Whether the change is good for the KPI (None: no change or no value)."""
    delta = change(value, previous, unit)
    if not delta:
        return None
    return (delta > 0) == (better == "higher")
