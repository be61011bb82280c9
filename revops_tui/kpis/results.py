"""What the engine returns: raw numbers (floats, None for no value); views format."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from revops_tui.kpis.catalog import Kpi


@dataclass(frozen=True)
class Filters:
    """Each filter is a set of values; several filters combine with AND."""

    segment: frozenset[str] = frozenset()
    region: frozenset[str] = frozenset()
    channel: frozenset[str] = frozenset()
    owner: frozenset[str] = frozenset()

    @classmethod
    def of(cls, **values: object) -> "Filters":
        return cls(**{k: frozenset(v or ()) for k, v in values.items()})  # type: ignore[arg-type]

    def active(self) -> dict[str, frozenset[str]]:
        return {name: getattr(self, name) for name in ("segment", "region", "channel", "owner")
                if getattr(self, name)}

    def as_dict(self) -> dict[str, list[str]]:
        return {name: sorted(values) for name, values in self.active().items()}

    def describe(self) -> str:
        return "; ".join(f"{k}={','.join(sorted(v))}" for k, v in self.active().items()) or "none"


@dataclass
class KpiResult:
    kpi: Kpi
    value: float | None
    partial: bool
    series: list[tuple[str, float | None]]  # ("YYYY-MM", value), oldest first
    available: bool = True
    reason: str | None = None
    not_filtered_by: tuple[str, ...] = ()
    filtered_by: tuple[str, ...] = ()  # the active filters that narrow this KPI's value

    @property
    def id(self) -> str:
        return self.kpi.id

    @property
    def is_part(self) -> bool:
        """A sum or count narrowed by a filter: a part of the company-wide whole (SMB's MRR), so a
        company-wide target does not apply to it (a rate or mean still compares with its target)."""
        return bool(self.filtered_by) and self.kpi.additive

    @property
    def previous(self) -> float | None:
        return self.series[-2][1] if len(self.series) >= 2 else None


@dataclass
class Results:
    as_of: dt.date
    months: list[str]
    partial: bool
    filters: Filters
    kpis: dict[str, KpiResult]
    problems: dict[str, str] = field(default_factory=dict)  # table -> message
    errors: list[str] = field(default_factory=list)  # query errors, with the KPIs they hit
    quality: object | None = None  # the QualityReport (checks with pass counts) behind the dq_* KPIs
    # Tables whose files could not be read while computing (table -> message naming the file): bad
    # input like a table that failed validation, unlike `errors` (queries that failed on good input).
    unreadable: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, kpi_id: str) -> KpiResult:
        return self.kpis[kpi_id]
