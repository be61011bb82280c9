"""Find the Parquet tables of the data contract, scan them lazily and check them.

Nothing here reads rows: the schema comes from Parquet metadata. Each table is
returned as a LazyFrame with exactly the contract's columns under the contract's
names and types (Datetime -> UTC calendar date; optional columns that are absent
become null columns), or as a problem message that names what is wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from revops_tui.cache import file_stamp
from revops_tui.config import Settings, data_folder_problem, is_url  # noqa: F401 - data_folder_problem re-exported
from revops_tui.lazy import collect_each, first_line
from revops_tui.contract import EVENT_DATES, TABLES, TIMESTAMP_COLUMNS, Column

TYPE_NAMES = {
    "str": "a string (Utf8/String, Categorical or Enum)",
    "date": "a date (Date, or Datetime taken as its UTC date)",
    "float": "a number (any float or integer type)",
    "int": "a whole number (any integer type)",
    "bool": "Boolean",
}


@dataclass
class Tables:
    """The loaded tables: a LazyFrame per valid table, a message per failed one."""

    data: str
    frames: dict[str, pl.LazyFrame] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    # (path, size, mtime_ns) of each file of a table as found when loading (local files only):
    # what kpis.memo keys kept results by. A table without one is always computed.
    versions: dict[str, tuple] = field(default_factory=dict)

    def get(self, name: str) -> pl.LazyFrame | None:
        return self.frames.get(name)

    def changed_since_load(self) -> bool:
        """Some table's files are not as they were when loaded (written, replaced or removed)."""
        return any(_version(self.sources.get(name, [])) != version for name, version in self.versions.items())

    def missing(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """Problems of the named tables (empty when all are usable)."""
        return [self.problems[n] for n in names if n not in self.frames]


def _type_ok(dtype: pl.DataType, kind: str) -> bool:
    if kind == "str":
        return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))
    if kind == "date":
        return dtype == pl.Date or isinstance(dtype, pl.Datetime)
    if kind == "float":
        return dtype.is_numeric()
    if kind == "int":
        return dtype.is_integer()
    if kind == "bool":
        return dtype == pl.Boolean
    raise ValueError(kind)


def _as_utc_datetime(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            expr = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return expr.dt.cast_time_unit("us")
    return expr.cast(pl.Datetime("us"))


def _normalise(col: Column, source: str, dtype: pl.DataType | None) -> pl.Expr:
    target = {"str": pl.String, "date": pl.Date, "float": pl.Float64, "int": pl.Int64, "bool": pl.Boolean}[
        col.type
    ]
    if dtype is None:  # optional column absent from the file
        return pl.lit(None, dtype=target).alias(col.name)
    expr = pl.col(source)
    if col.type == "date" and isinstance(dtype, pl.Datetime):
        return _as_utc_datetime(expr, dtype).dt.date().alias(col.name)
    return expr.cast(target).alias(col.name)


def _scan(location: Path | str, storage: dict[str, object]) -> tuple[pl.LazyFrame | None, list[str]]:
    """Scan NAME.parquet or the folder NAME/ (any depth, Hive partitions)."""
    if is_url(location):
        lf = pl.scan_parquet(str(location), hive_partitioning=True, storage_options=storage or None)
        return lf, [str(location)]
    path = Path(location)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*.parquet") if p.is_file())
        if not files:
            return None, []
        return pl.scan_parquet(files, hive_partitioning=True, hive_schema=None), files
    return pl.scan_parquet(path), [str(path)]


def _locate_url(data: str, name: str, storage: dict[str, object]) -> str | None:
    """NAME.parquet or NAME/ under an object-store prefix; None when neither exists."""
    base = data.rstrip("/")
    for candidate in (f"{base}/{name}.parquet", f"{base}/{name}/"):
        try:
            pl.scan_parquet(candidate, hive_partitioning=True, storage_options=storage or None).collect_schema()
            return candidate
        except FileNotFoundError:
            continue
        except Exception as exc:  # unreachable store, bad credentials: the scan reports it
            if "expanded paths were empty" in str(exc):
                continue
            return candidate
    return None


def _locate(settings: Settings, name: str) -> Path | str | None:
    if is_url(settings.data):
        return _locate_url(str(settings.data), name, settings.storage)
    folder = Path(settings.data)
    for candidate in (folder / f"{name}.parquet", folder / name):
        if candidate.exists():
            return candidate
    return None


def load_table(settings: Settings, name: str) -> tuple[pl.LazyFrame | None, str | None, list[str]]:
    """One table: (frame, None, files) when usable, (None, problem, files) when not."""
    data = settings.data
    location = _locate(settings, name)
    if location is None:
        return None, f"table {name} not found in {data}/ (expected {name}.parquet or {name}/)", []
    try:
        lf, files = _scan(location, settings.storage)
    except Exception as exc:  # unreadable folder, bad URL, ...
        return None, f"table {name}: cannot read {location}: {first_line(exc)}", []
    if lf is None:
        return None, f"table {name}: folder {location} holds no Parquet files", []
    shown = files[0] if len(files) == 1 else f"{location} ({len(files)} files)"
    try:
        schema = lf.collect_schema()
    except Exception as exc:
        return None, f"table {name}: cannot read {shown}: {first_line(exc)}", files
    mapping = settings.columns.get(name, {})
    exprs: list[pl.Expr] = []
    errors: list[str] = []
    for col in TABLES[name]:
        source = mapping.get(col.name, col.name)
        label = col.name if source == col.name else f"{col.name} (mapped to '{source}')"
        if source not in schema:
            if col.optional:
                exprs.append(_normalise(col, source, None))
                continue
            errors.append(f"column {label} is missing (expected {TYPE_NAMES[col.type]})")
            continue
        dtype = schema[source]
        if not _type_ok(dtype, col.type):
            errors.append(f"column {label} has type {dtype}, expected {TYPE_NAMES[col.type]}")
            continue
        exprs.append(_normalise(col, source, dtype))
        if col.name in TIMESTAMP_COLUMNS.get(name, ()):
            exprs.append(_as_utc_datetime(pl.col(source), dtype).alias(f"{col.name}_ts"))
    if errors:
        return None, f"table {name} ({shown}): " + "; ".join(errors), files
    return lf.select(exprs), None, files


def load_tables(settings: Settings) -> Tables:
    """Scan every table of the contract; never raises for bad data."""
    tables = Tables(data=str(settings.data))
    for name in TABLES:
        lf, problem, files = load_table(settings, name)
        tables.sources[name] = files
        if lf is None:
            tables.problems[name] = problem or f"table {name} unavailable"
        else:
            tables.frames[name] = lf
            version = _version(files)
            if version is not None:
                tables.versions[name] = version
    return tables


def _version(files: list[str]) -> tuple | None:
    """The file_stamp of each file; None for an object store or a file gone meanwhile."""
    if any(is_url(path) for path in files):
        return None
    stamps = tuple(map(file_stamp, files))
    return None if None in stamps else stamps


def newest_event_date(tables: Tables) -> dt.date | None:
    """The newest event date over rule 21's columns: the as-of day for "latest"."""
    parts = [
        lf.select([pl.col(c).max() for c in EVENT_DATES[name]]).select(
            pl.max_horizontal(pl.all()).alias("d")
        )
        for name, lf in tables.frames.items()
        if name in EVENT_DATES
    ]
    if not parts:
        return None
    values = []
    done, _ = collect_each(parts)  # an unreadable table simply gives no date
    for frame in done.values():
        if frame.height:
            values.append(frame["d"][0])
    values = [v for v in values if v is not None]
    return max(values) if values else None


def resolve_as_of(value: str, tables: Tables, today: dt.date | None = None) -> dt.date:
    """The as-of day for "latest", "today" or an ISO date."""
    if value == "today":
        return today or dt.date.today()
    if value == "latest":
        return newest_event_date(tables) or today or dt.date.today()
    return dt.date.fromisoformat(value)
