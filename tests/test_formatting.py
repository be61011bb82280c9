"""How values look: the rules of revops_tui.formatting that a reader relies on."""

import pytest

from revops_tui.formatting import format_value


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (37.25, "37.2%"),       # one decimal as a rule (round half to even: 37.25 -> 37.2)
        (100.0, "100.0%"),      # exactly on the boundaries: as usual
        (0.0, "0.0%"),
        (99.958, "99.96%"),     # 24 failing values in 57,000 rows: not a clean 100.0%
        (99.95, "99.95%"),      # the first value one decimal would round up to 100.0
        (99.94, "99.9%"),       # one decimal does not reach the boundary: as usual
        (99.9991, ">99.99%"),   # even two decimals would show 100.00
        (0.03, "0.03%"),        # a churn of 0.03% is not zero
        (0.004, "<0.01%"),
        (-0.03, "-0.03%"),      # a shrink just below zero keeps its sign
        (-0.004, ">-0.01%"),
        (100.04, "100.0%"),     # above 100 (NRR, growth): no boundary there
        (-12.34, "-12.3%"),
    ],
)
def test_a_percent_near_0_or_100_never_looks_like_it(value, shown):
    assert format_value(value, "%") == shown


def test_change_suffix_points_for_percent_and_score_units():
    from revops_tui.formatting import format_change

    assert format_change(12.0, 10.0, "%") == "▲ +2.0 pp"  # percentage points
    assert format_change(40.0, -6.2, "score") == "▲ +46.2 pts"  # NPS points, not percent
    assert format_change(110.0, 100.0, "currency") == "▲ +10.0%"  # relative change
