"""KPI targets: parsing what people type, status rules, and the shared targets file.

No Textual and no CLI in here (a test enforces it): the workspace, `report`,
`check` and `targets` all build on these three modules.
"""

from revops_tui.targets.status import (
    ASCII_SYMBOLS,
    AT_RISK,
    COLOURS,
    NO_TARGET,
    NO_VALUE,
    OFF_TRACK,
    ON_TRACK,
    SEVERITY,
    STATUSES,
    SYMBOLS,
    Target,
    TargetView,
    result_status,
    series_status,
    status,
    status_against,
    symbol,
)
from revops_tui.targets.store import (
    UNSET,
    ConflictError,
    ReadOnlyError,
    TargetsError,
    TargetsSnapshot,
    TargetStore,
    UnknownKpiError,
)
from revops_tui.targets.values import (
    format_plain,
    parse_direction,
    parse_month,
    parse_tolerance,
    parse_target,
    parse_value,
)

__all__ = [
    "ASCII_SYMBOLS", "AT_RISK", "COLOURS", "NO_TARGET", "NO_VALUE", "OFF_TRACK", "ON_TRACK",
    "SEVERITY", "STATUSES", "SYMBOLS", "Target", "TargetView", "result_status", "series_status", "status",
    "status_against",
    "symbol", "UNSET", "ConflictError", "ReadOnlyError", "TargetsError", "TargetsSnapshot",
    "TargetStore", "UnknownKpiError", "format_plain", "parse_direction", "parse_month",
    "parse_target", "parse_tolerance", "parse_value",
]
