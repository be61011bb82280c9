"""Settings: config.toml read with tomllib, defaults and validation.

The app never writes config.toml (it is the admin's file and tomli-w would drop
its comments). Relative paths are relative to the config file's folder.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from revops_tui.contract import TABLES
from revops_tui.toml_lines import assigns, walk

QUALITY_SCORES = ("completeness", "validity", "consistency", "uniqueness", "accuracy")
DEFAULT_OPEN = ("prospecting", "qualification", "proposal", "negotiation")


class ConfigError(Exception):
    """A config file that cannot be used; the message names file, key and line."""


@dataclass(frozen=True)
class Settings:
    data: Path | str = Path("data")  # a folder, or an object-store URL
    as_of: str = "latest"
    months: int = 13
    currency: str = "USD"
    targets_file: Path = Path("targets.toml")
    read_only: bool = False
    refresh_seconds: float | None = None
    gross_margin: float = 0.8
    max_lifetime_months: float = 60
    open_stages: tuple[str, ...] = DEFAULT_OPEN
    won_stages: tuple[str, ...] = ("closed_won",)
    lost_stages: tuple[str, ...] = ("closed_lost",)
    quality_weights: dict[str, float] = field(
        default_factory=lambda: {name: 1.0 for name in QUALITY_SCORES}
    )
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    storage: dict[str, object] = field(default_factory=dict)
    config_path: Path | None = None

    @property
    def stages(self) -> tuple[str, ...]:
        return self.open_stages + self.won_stages + self.lost_stages

    def with_overrides(self, **changes: Any) -> "Settings":
        """A copy with the given fields replaced (CLI options over config)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


DEFAULT_CONFIG = Path("config.toml")


def config_path(option: str | Path | None) -> Path | None:
    """--config PATH, else ./config.toml when present, else None (defaults)."""
    if option:
        return Path(option)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def parse_as_of(value: str) -> str:
    """Validate an as-of value: "latest", "today" or an ISO date; returns it normalised."""
    text = str(value).strip()
    if text in ("latest", "today"):
        return text
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # fromisoformat also takes 20260105
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(
            f"as-of must be 'latest', 'today' or a date YYYY-MM-DD, not {value!r}"
        ) from None


def _line_of(text: str, table: tuple[str, ...], key: str) -> int | None:
    """1-based line of `key = ...` inside [table] (top level when table is empty), else of the
    key's own table [table.key]."""
    lines = list(walk(text))
    found = [n for n, current, line, header in lines if not header and current == table and assigns(line, key)]
    found = found or [n for n, current, _, header in lines if header and current == (*table, key)]
    return found[0] if found else None


class _Reader:
    def __init__(self, path: Path | None, text: str, raw: dict[str, Any]):
        self.path, self.text, self.raw = path, text, raw
        self.warnings: list[str] = []

    def where(self, table: tuple[str, ...], key: str) -> str:
        line = _line_of(self.text, table, key)
        name = ".".join((*table, key))
        place = f"{self.path}" if self.path else "config"
        return f"{place}:{line}: key '{name}'" if line else f"{place}: key '{name}'"

    def fail(self, table: tuple[str, ...], key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where(table, key)}: {message}")

    def section(self, table: tuple[str, ...], allowed: set[str] | None) -> dict[str, Any]:
        node: Any = self.raw
        for part in table:
            node = node.get(part, {})
        if not isinstance(node, dict):
            raise self.fail(table[:-1], table[-1], f"must be a table like [{'.'.join(table)}]")
        if allowed is not None:
            for key in node:
                if key not in allowed:
                    self.warnings.append(f"{self.where(table, key)} is not a known setting (ignored)")
        return node

    def get(self, table: tuple[str, ...], node: dict, key: str, kind: str, default: Any) -> Any:
        if key not in node:
            return default
        value = node[key]
        ok = {
            "str": isinstance(value, str),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "strlist": isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if not ok:
            expected = {
                "str": "a string",
                "int": "a whole number",
                "number": "a number",
                "bool": "true or false",
                "strlist": "a list of strings",
            }[kind]
            raise self.fail(table, key, f"expected {expected}, found {value!r}")
        if kind == "number" and not math.isfinite(value):  # TOML allows nan and inf
            raise self.fail(table, key, f"expected a finite number, found {value!r}")
        return value


TOP_KEYS = {
    "data", "as_of", "months", "currency", "targets_file", "read_only", "refresh_seconds",
    "metrics", "stages", "quality", "columns", "storage",
}


def load_settings(path: Path | str | None) -> tuple[Settings, list[str]]:
    """Read a config file (None = defaults). Returns settings and warnings.

    Raises ConfigError for a file that cannot be read or a value of the wrong type.
    """
    if path is None:
        return Settings(), []
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot read config {path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _settings_from(path, text, raw)


def _settings_from(path: Path, text: str, raw: dict[str, Any]) -> tuple[Settings, list[str]]:
    r = _Reader(path, text, raw)
    base = path.parent
    top = r.section((), TOP_KEYS)
    d = Settings()

    data = r.get((), top, "data", "str", None)
    as_of = r.get((), top, "as_of", "str", d.as_of)
    try:
        as_of = parse_as_of(as_of)
    except ValueError as exc:
        raise r.fail((), "as_of", str(exc)) from None
    months = r.get((), top, "months", "int", d.months)
    if not 1 <= months <= 240:
        raise r.fail((), "months", f"must be between 1 and 240, found {months}")
    targets = r.get((), top, "targets_file", "str", None)
    refresh = r.get((), top, "refresh_seconds", "number", None)
    if refresh is not None and refresh <= 0:
        raise r.fail((), "refresh_seconds", f"must be > 0, found {refresh}")

    metrics = r.section(("metrics",), {"gross_margin", "max_lifetime_months"})
    gross_margin = r.get(("metrics",), metrics, "gross_margin", "number", d.gross_margin)
    if not 0 < gross_margin <= 1:
        raise r.fail(("metrics",), "gross_margin",
                     f"must be a fraction in (0, 1] (0.8 for 80%), found {gross_margin}")
    lifetime = r.get(("metrics",), metrics, "max_lifetime_months", "number", d.max_lifetime_months)
    if lifetime <= 0:
        raise r.fail(("metrics",), "max_lifetime_months", f"must be > 0, found {lifetime}")

    stages = r.section(("stages",), {"open", "won", "lost"})
    open_stages = tuple(r.get(("stages",), stages, "open", "strlist", list(d.open_stages)))
    won = tuple(r.get(("stages",), stages, "won", "strlist", list(d.won_stages)))
    lost = tuple(r.get(("stages",), stages, "lost", "strlist", list(d.lost_stages)))
    seen: dict[str, str] = {}
    for kind, names in (("open", open_stages), ("won", won), ("lost", lost)):
        for name in names:
            if name in seen and seen[name] != kind:
                raise r.fail(("stages",), kind, f"stage {name!r} is listed as both {seen[name]} and {kind}")
            seen[name] = kind

    quality = r.section(("quality",), set(QUALITY_SCORES))
    weights = {}
    for name in QUALITY_SCORES:
        weight = r.get(("quality",), quality, name, "number", 1.0)
        if weight < 0:
            raise r.fail(("quality",), name, f"weight must be >= 0, found {weight}")
        weights[name] = float(weight)

    columns_raw = r.section(("columns",), set(TABLES))
    columns: dict[str, dict[str, str]] = {}
    for table in columns_raw:
        if table not in TABLES:
            continue
        mapping = r.section(("columns", table), {c.name for c in TABLES[table]})
        columns[table] = {
            key: r.get(("columns", table), mapping, key, "str", None)
            for key in mapping
            if key in {c.name for c in TABLES[table]}
        }

    storage_raw = r.section(("storage",), None)
    storage = {}
    for key, value in storage_raw.items():
        if not isinstance(value, (str, int, float, bool)):
            raise r.fail(("storage",), key, f"expected a string, number or boolean, found {value!r}")
        # object_store takes "true"/"false" for switches; numbers (max_retries) stay numbers
        storage[key] = str(value).lower() if isinstance(value, bool) else value

    settings = Settings(
        data=_resolve(base, data) if data is not None else base / "data",
        as_of=as_of,
        months=months,
        currency=r.get((), top, "currency", "str", d.currency),
        targets_file=_resolve(base, targets) if targets else base / "targets.toml",
        read_only=r.get((), top, "read_only", "bool", d.read_only),
        refresh_seconds=float(refresh) if refresh is not None else None,
        gross_margin=float(gross_margin),
        max_lifetime_months=float(lifetime),
        open_stages=open_stages,
        won_stages=won,
        lost_stages=lost,
        quality_weights=weights,
        columns=columns,
        storage=storage,
        config_path=path,
    )
    return settings, r.warnings


def _resolve(base: Path, value: str) -> Path | str:
    if "://" in value:  # object-store URL (s3://...), kept as written
        return value
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def settings_from_options(
    config: str | None = None,
    data: str | None = None,
    as_of: str | None = None,
    months: int | None = None,
    read_only: bool | None = None,
) -> tuple[Settings, list[str]]:
    """Settings of the config file with the command-line overrides; raises ConfigError."""
    settings, notes = load_settings(config_path(config))
    if as_of is not None:
        try:
            as_of = parse_as_of(as_of)
        except ValueError as exc:
            raise ConfigError(f"--as-of: {exc}") from None
    if months is not None and not 1 <= months <= 240:
        raise ConfigError(f"--months must be between 1 and 240, not {months}")
    data_value: Path | str | None = None
    if data is not None and not data.strip():
        raise ConfigError("--data is empty (give a folder or an object-store URL)")
    if data is not None:
        data_value = data if is_url(data) else Path(data)
    return settings.with_overrides(
        data=data_value, as_of=as_of, months=months, read_only=read_only or None
    ), notes


def is_url(data: Path | str) -> bool:
    """An object-store location (s3://..., gs://...) rather than a local folder."""
    return isinstance(data, str) and "://" in data


# The URL schemes Polars' cloud reader understands (lower case, as it requires).
URL_SCHEMES = ("s3", "s3a", "gs", "gcs", "az", "azure", "abfs", "abfss", "adl", "hf", "http", "https", "file")


def data_folder_problem(settings: Settings) -> str | None:
    """A message when the data folder itself is missing (an input error)."""
    if is_url(settings.data):
        scheme = str(settings.data).split("://", 1)[0]
        if scheme not in URL_SCHEMES:
            return (f"data location {settings.data}: unsupported URL scheme {scheme}:// "
                    f"(supported: {', '.join(s + '://' for s in URL_SCHEMES)})")
        return None
    folder = Path(settings.data)
    if not folder.exists():
        return f"data folder {folder} does not exist"
    if not folder.is_dir():
        return f"data path {folder} is not a folder"
    return None
