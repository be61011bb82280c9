"""The config.toml values the KPI definitions use, with the spec's defaults."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

QUALITY_SCORES = ("completeness", "validity", "consistency", "uniqueness", "accuracy")


@dataclass(frozen=True)
class Settings:
    gross_margin: float = 0.80
    max_lifetime_months: float = 60
    open_stages: tuple[str, ...] = ("prospecting", "qualification", "proposal", "negotiation")
    won_stages: tuple[str, ...] = ("closed_won",)
    lost_stages: tuple[str, ...] = ("closed_lost",)
    quality_weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(QUALITY_SCORES, 1.0))

    @property
    def stages(self) -> tuple[str, ...]:
        return self.open_stages + self.won_stages + self.lost_stages


def read_settings(config: Path) -> Settings:
    raw = tomllib.loads(Path(config).read_text(encoding="utf-8"))
    metrics, stages = raw.get("metrics", {}), raw.get("stages", {})
    default = Settings()
    weights = dict(default.quality_weights)
    weights.update({k: float(v) for k, v in raw.get("quality", {}).items() if k in QUALITY_SCORES})
    return Settings(
        gross_margin=float(metrics.get("gross_margin", default.gross_margin)),
        max_lifetime_months=float(metrics.get("max_lifetime_months", default.max_lifetime_months)),
        open_stages=tuple(stages.get("open", default.open_stages)),
        won_stages=tuple(stages.get("won", default.won_stages)),
        lost_stages=tuple(stages.get("lost", default.lost_stages)),
        quality_weights=weights,
    )
