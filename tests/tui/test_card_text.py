"""What a card's change line says when the month has no value (kpis.md rule 5)."""

from revops_tui.kpis.catalog import ADDITIVE, CATALOG, DQ_IDS, NO_VALUE_WHEN
from revops_tui.kpis.results import KpiResult
from revops_tui.tui.widgets.kpi_card import change_text


def result(kpi_id, series, available=True):
    return KpiResult(CATALOG[kpi_id], series[-1][1], False, series, available, None if available else "x")


def test_a_month_without_value_says_what_was_empty():
    # Renewal rate with no (customer, term end) pair due this month: no value, and the card says why.
    assert change_text(result("renewal_rate", [("2026-10", 90.0), ("2026-11", None)])).plain == "no renewals due"
    assert change_text(result("win_rate", [("2026-11", None)])).plain == "no deals closed"
    # With a value the line is the change as before.
    assert change_text(result("win_rate", [("2026-10", 20.0), ("2026-11", 25.0)])).plain == "▲ +5.0 pp"


def test_every_rate_and_mean_has_its_reason_and_only_known_ids_do():
    assert set(NO_VALUE_WHEN) <= set(CATALOG)
    # Sums and counts are 0 over no rows (never without a value); Data Quality has its own reasons.
    rates_and_means = set(CATALOG) - ADDITIVE - set(DQ_IDS)
    assert rates_and_means == set(NO_VALUE_WHEN)
    assert all(len(text) <= 22 for text in NO_VALUE_WHEN.values())  # fits a card at 80 columns
