"""The one place where targets meet the workspace.

Cards call `card_target(app, result)`: the target for the KPI's current month
(the last month of its series; a dated target for that month overrides the
base value) and its status (`revops_tui.targets.status.result_status`; a sum or
count narrowed by a filter shows its company-wide target as not compared). The card draws the
value with the KPI's unit, the status symbol (readable without colour) and its
colour. The detail chart draws `target_line(app, result)` as a horizontal line.

The app holds the targets as `app.targets` (a `TargetsSnapshot`, reloaded when
the file changes); an app without it (or a broken file) shows no targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revops_tui.targets.status import Target, TargetView, result_status

if TYPE_CHECKING:
    from revops_tui.kpis.results import KpiResult


CardTarget = TargetView  # the target for the current month, its status, a company-wide target not compared


def target_of(app: object, kpi_id: str) -> Target | None:
    snapshot = getattr(app, "targets", None)
    if snapshot is None or getattr(snapshot, "error", None):
        return None
    return snapshot.targets.get(kpi_id)


def current_month(app: object, result: "KpiResult | None") -> str | None:
    """The KPI's current month: the last month of its series, else the last month of the results."""
    if result is not None and result.series:
        return result.series[-1][0]
    snap = getattr(app, "snapshot", None)
    months = snap.results.months if snap is not None else []
    return months[-1] if months else None


def card_target(app: object, result: "KpiResult") -> CardTarget | None:
    """Target and status to show on the KPI's card; None (no target for this month) shows nothing."""
    target = target_of(app, result.kpi.id)
    if target is None:
        return None
    view = result_status(result, target, current_month(app, result))
    return view if view.value is not None or view.company_wide is not None else None


def target_line(app: object, result: "KpiResult") -> float | None:
    """Target value drawn on the detail chart: the one the card compares with; None draws nothing
    (no target, or a filtered sum or count whose target is company-wide)."""
    view = card_target(app, result)
    return view.value if view is not None else None
