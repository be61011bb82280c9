"""The one place where targets meet the workspace (hook for the targets work).

Cards call `card_target(app, result)`; it returns None until targets are wired
in, and the card then shows no target line. To show targets: return a
`CardTarget` (the target value for the KPI's current month and its status,
one of `revops_tui.targets.status.STATUSES`) — the card draws the value with
the KPI's unit, the status symbol and its colour. The detail chart draws
`target_line(app, kpi_id)` as a horizontal line when it is not None.

The `t` key (target editor) is added later in `RevOpsApp.BINDINGS` next to
the placeholder comment there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from revops_tui.kpis.results import KpiResult


@dataclass(frozen=True)
class CardTarget:
    value: float | None  # the target for the current month (None: no target)
    status: str  # revops_tui.targets.status: on track, at risk, off track, no target, no value


def card_target(app: object, result: "KpiResult") -> CardTarget | None:
    """Target and status to show on the KPI's card; None shows nothing."""
    return None


def target_line(app: object, kpi_id: str) -> float | None:
    """Target value drawn on the detail chart; None draws nothing."""
    return None
