"""The MRR movements chart draws each movement as the whole rows it covers.

plotext fills every character cell a bar touches, so a sliver on top of a stack took a whole
row while a small movement below 0 took none. The chart now cuts the y range into whole rows
with 0 on a row edge and draws each segment over the rows nearest its boundaries.
"""

from __future__ import annotations

import plotext as plt
from rich.text import Text

from revops_tui.tui.widgets.chart import MovementData, MovementsChart


def draw(movements: dict[str, list[float]], width: int = 60, height: int = 13) -> list[str]:
    chart = MovementsChart()
    chart.data = MovementData(["2026-01", "2026-02", "2026-03"], movements, "USD")
    fig = plt.figure
    fig.clear()
    fig.theme("simple")
    fig.plot_size(width, height)
    chart.plot(fig, width, height)
    return Text.from_ansi(fig.build().string()).plain.splitlines()


def test_segments_take_the_rows_they_cover_above_and_below_zero():
    # 13 lines: 10 rows of bars. Values from -3 to 9.2 over 9 rows (one spare): a row is
    # (9.2 + 3) / 9 = 1.356. January: new 9 -> 9 / 1.356 = 6.6 -> 7 rows; expansion 0.2 on top
    # ends at 9.2 / 1.356 = 6.8 -> also 7: no row. March: churn 3 -> 2.2 -> 2 rows below 0.
    lines = draw({"new": [9, 0, 0], "expansion": [0.2, 0, 0], "churn": [0, 0, 3]})
    assert not any("▒" in line for line in lines)  # the sliver of expansion draws nothing
    bars = [i for i, line in enumerate(lines) if "█" in line]
    assert len(bars) == 7 + 2  # new above 0, churn below: no row shared
    assert bars[-1] - bars[0] == 8  # contiguous: 7 rows up, then 2 down from the same 0 edge


def test_a_small_movement_below_zero_shows_like_one_above():
    # A row is (4 + 4) / 9 = 0.889: 0.6 is 0.67 of a row on either side of 0, so one row each.
    lines = draw({"new": [4, 0.6, 0], "churn": [0, 0, 4], "contraction": [0, 0.6, 0]})
    middle = [line for line in lines if "▒" in line]  # February's contraction below 0
    assert len(middle) == 1
