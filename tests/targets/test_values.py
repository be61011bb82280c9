"""Value parsing shared by the target editor and `targets set`."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revops_tui.targets.values import (
    format_plain,
    parse_direction,
    parse_month,
    parse_tolerance,
    parse_value,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12000", 12000.0),
        ("12,000", 12000.0),
        ("1,234,567.5", 1234567.5),
        ("12k", 12000.0),
        ("12K", 12000.0),
        ("1.5M", 1_500_000.0),
        ("1.5m", 1_500_000.0),
        ("2B", 2_000_000_000.0),
        ("1.15k", 1150.0),  # exact decimal arithmetic, no 1149.9999
        ("0.1k", 100.0),
        (" -3 ", -3.0),
        ("+4", 4.0),
        ("$12k", 12000.0),
        ("-$3k", -3000.0),
        ("$-3k", -3000.0),
        ("€1.2M", 1_200_000.0),
        ("12 k", 12000.0),
        (".5", 0.5),
        ("0", 0.0),
        ("-0", 0.0),
        ("7.5%", 7.5),
    ],
)
def test_valid_values(text, expected):
    assert parse_value(text) == expected


def test_percent_for_percent_kpi():
    assert parse_value("7.5%", "%") == 7.5
    assert parse_value("7.5", "%") == 7.5
    assert parse_value("-2%", "%") == -2.0


def test_percent_refused_for_non_percent_kpi():
    with pytest.raises(ValueError, match="currency, not percent"):
        parse_value("7.5%", "currency")
    with pytest.raises(ValueError, match="not percent"):
        parse_value("5%", "count")


def test_currency_symbol_refused_for_percent_kpi():
    with pytest.raises(ValueError, match="percentage"):
        parse_value("$5", "%")


@pytest.mark.parametrize(
    "text",
    ["abc", "", "   ", "1.2.3", "12kk", "nan", "NaN", "inf", "-inf", "Infinity", "1e3", "12,00",
     "1,2345", "--3", "-$-3", "k", "$", "%", "12%k", "12k%", "$7%", "1 000", "0x10", "1_000"],
)
def test_invalid_values(text):
    with pytest.raises(ValueError) as info:
        parse_value(text)
    message = str(info.value)
    assert message  # user-readable
    assert "Traceback" not in message


def test_invalid_message_names_the_input_and_the_syntax():
    with pytest.raises(ValueError, match=r"'abc' is not a number.*12k"):
        parse_value("abc")
    with pytest.raises(ValueError, match="enter a value"):
        parse_value("")


def test_numbers_pass_through_but_not_nan_or_inf():
    assert parse_value(12) == 12.0
    assert parse_value(1.5) == 1.5
    for bad in (math.nan, math.inf, -math.inf, True):
        with pytest.raises(ValueError):
            parse_value(bad)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_integers_round_trip_with_and_without_separators(n):
    assert parse_value(str(n)) == n
    assert parse_value(f"{n:,}") == n
    assert parse_value(format_plain(float(n))) == n


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_format_plain_round_trips(x):
    text = format_plain(x)
    if "e" in text:  # repr of tiny numbers uses exponents, which are not accepted input
        return
    assert parse_value(text) == x


@pytest.mark.parametrize(
    "text, expected",
    [("higher", "higher"), ("Lower", "lower"), (" up ", "higher"), ("down", "lower"),
     ("high", "higher"), ("low", "lower"), ("h", "higher"), ("l", "lower")],
)
def test_direction(text, expected):
    assert parse_direction(text) == expected


@pytest.mark.parametrize("text", ["", "sideways", "hi", "more"])
def test_bad_direction(text):
    with pytest.raises(ValueError, match="'higher' or 'lower'"):
        parse_direction(text)


@pytest.mark.parametrize("text, expected", [("5", 5.0), ("2.5", 2.5), ("5%", 5.0), (" 0 ", 0.0),
                                            (10, 10.0), (0.5, 0.5), ("150", 150.0)])
def test_tolerance(text, expected):
    assert parse_tolerance(text) == expected


@pytest.mark.parametrize("text", ["-1", "-0.1", "abc", "", "nan", "inf", "5k", -2, math.nan, True])
def test_bad_tolerance(text):
    with pytest.raises(ValueError, match="tolerance"):
        parse_tolerance(text)


@pytest.mark.parametrize("text, expected", [("2025-03", "2025-03"), ("2025-3", "2025-03"),
                                            (" 2024-12 ", "2024-12")])
def test_month(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025", "25-03", "2025-03-01", "March", "",
                                  "2025/03", "0000-01"])
def test_bad_month(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_format_plain():
    assert format_plain(12000.0) == "12000"
    assert format_plain(1234.5) == "1234.5"
    assert format_plain(7.5, "%") == "7.5%"
    assert format_plain(-3.0) == "-3"
    assert format_plain(None) == ""
