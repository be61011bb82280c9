"""Find the Parquet tables of the data contract, scan them lazily and check them.

Nothing here reads rows: the schema comes from Parquet metadata. Each table is
returned as a LazyFrame with exactly the contract's columns under the contract's
names and types (Datetime -> UTC calendar date; optional columns that are absent
become null columns), or as a problem message that names what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from revops_tui.cache import file_stamp
from revops_tui.config import Settings, data_folder_problem, is_url  # noqa: F401 - data_folder_problem re-exported
from revops_tui.lazy import QUERY_FAILURES, collect_each, first_line
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
    notes: list[str] = field(default_factory=list)  # worth saying, not errors (shown once)
    storage: dict[str, object] = field(default_factory=dict)  # to read the files again (read_problem)

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


# Object-store client options unless [storage] sets them: an unreachable endpoint fails in
# seconds instead of retrying for minutes (Polars' default: up to 10 retries over 3 minutes).
STORAGE_DEFAULTS: dict[str, object] = {"max_retries": 2, "retry_timeout": "10s", "connect_timeout": "5s"}

# A folder's files may differ in what the contract allows (int and float, String and
# Categorical, Datetime units): the scan widens them to the schema given.
_CAST = pl.ScanCastOptions(
    integer_cast=["upcast", "allow-float"], float_cast="upcast", datetime_cast=["upcast", "downcast"],
    categorical_to_string="allow",
)


def storage_options(storage: dict[str, object]) -> dict[str, object]:
    return {**STORAGE_DEFAULTS, **storage}


def _scan(name: str, location: Path | str, storage: dict[str, object], mapping: dict[str, str]
          ) -> tuple[pl.LazyFrame | None, list[str], dict[str, str]]:
    """Scan NAME.parquet or the folder NAME/ (any depth, Hive partitions): (frame, files, errors of
    single files by column). A folder's files are checked one by one from their footers; raises _Unreadable
    naming a file whose footer cannot be read."""
    if is_url(location):
        lf = pl.scan_parquet(str(location), hive_partitioning=True, storage_options=storage_options(storage),
                             extra_columns="ignore", cast_options=_CAST)
        return lf, [str(location)], {}
    path = Path(location)
    if not path.is_dir():
        return pl.scan_parquet(path), [str(path)], {}
    files = sorted(str(p) for p in path.rglob("*.parquet") if p.is_file())
    if not files:
        return None, [], {}
    schemas: dict[str, dict[str, pl.DataType]] = {}
    for f in files:
        try:
            schemas[f] = dict(pl.read_parquet_schema(f))
        except QUERY_FAILURES as exc:
            raise _Unreadable(f, exc) from None
    hive = {part.split("=", 1)[0] for f in files for part in Path(f).relative_to(path).parts[:-1] if "=" in part}
    schema, errors = _check_folder(name, mapping, schemas, hive)
    lf = pl.scan_parquet(files, hive_partitioning=True, hive_schema=None, schema=schema or None,
                         missing_columns="insert", extra_columns="ignore", cast_options=_CAST)
    return lf, files, errors


class _Unreadable(Exception):
    def __init__(self, path: str, exc: BaseException) -> None:
        super().__init__(f"cannot read {path}: {first_line(exc)}")


def _widest(kind: str, dtypes: set[pl.DataType]) -> pl.DataType | None:
    """One type for a column whose files disagree, or None when the scan cannot reconcile them."""
    if len(dtypes) == 1:
        return next(iter(dtypes))
    if kind == "float":
        return pl.Float64 if any(d.is_float() for d in dtypes) else pl.Int64
    if kind == "int":
        return pl.Int64
    if kind == "str":
        return pl.String
    if kind == "date" and all(isinstance(d, pl.Datetime) for d in dtypes):
        zones = {d.time_zone for d in dtypes}  # type: ignore[union-attr]
        return pl.Datetime("us", zones.pop()) if len(zones) == 1 else None
    return None


def _check_folder(name: str, mapping: dict[str, str], schemas: dict[str, dict[str, pl.DataType]],
                  hive: set[str]) -> tuple[dict[str, pl.DataType], dict[str, str]]:
    """Per-file contract checks of a folder table: the schema to scan it with, errors by column."""
    schema: dict[str, pl.DataType] = {}
    errors: dict[str, str] = {}
    for col in TABLES[name]:
        source = mapping.get(col.name, col.name)
        if source in hive:
            continue
        seen = {f: s[source] for f, s in schemas.items() if source in s}
        if not seen:
            continue  # missing from every file: the table-level check reports it
        if not col.optional and len(seen) < len(schemas):
            lacking = next(f for f in schemas if f not in seen)
            errors[source] = f"column {source} is missing in {lacking}"
            continue
        bad = [(f, d) for f, d in seen.items() if not _type_ok(d, col.type)]
        if bad:
            errors[source] = f"column {source} has type {bad[0][1]} in {bad[0][0]}, expected {TYPE_NAMES[col.type]}"
            continue
        widest = _widest(col.type, set(seen.values()))
        if widest is None:
            kinds = ", ".join(f"{d} in {f}" for f, d in list(seen.items())[:2])
            errors[source] = f"column {source} has different types across files ({kinds})"
            continue
        schema[source] = widest
    return schema, errors


def _locate_url(data: str, name: str, storage: dict[str, object]) -> str | None:
    """NAME.parquet or NAME/ under an object-store prefix; None when neither exists."""
    base = data.rstrip("/")
    for candidate in (f"{base}/{name}.parquet", f"{base}/{name}/"):
        try:
            pl.scan_parquet(candidate, hive_partitioning=True, storage_options=storage_options(storage)).collect_schema()
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


# Polars' object-store errors end with "(path: ...)", which can name another table's file read
# earlier (2.1): the messages name the location themselves.
_PATH_SUFFIX = re.compile(r"\s*\(path: [^)]*\)\s*$")


def read_error(exc: BaseException) -> str:
    return _PATH_SUFFIX.sub("", first_line(exc))


def load_table(settings: Settings, name: str) -> tuple[pl.LazyFrame | None, str | None, list[str]]:
    """One table: (frame, None, files) when usable, (None, problem, files) when not."""
    data = settings.data
    location = _locate(settings, name)
    if location is None:
        return None, f"table {name} not found in {data}/ (expected {name}.parquet or {name}/)", []
    mapping = settings.columns.get(name, {})
    try:
        lf, files, file_errors = _scan(name, location, settings.storage, mapping)
    except _Unreadable as exc:
        return None, f"table {name}: {exc}", []
    except Exception as exc:  # unreadable folder, bad URL, ...
        return None, f"table {name}: cannot read {location}: {read_error(exc)}", []
    if lf is None:
        return None, f"table {name}: folder {location} holds no Parquet files", []
    shown = files[0] if len(files) == 1 else f"{location} ({len(files)} files)"
    try:
        schema = lf.collect_schema()
    except Exception as exc:
        return None, f"table {name}: cannot read {shown}: {read_error(exc)}", files
    exprs: list[pl.Expr] = []
    errors: list[str] = []
    for col in TABLES[name]:
        source = mapping.get(col.name, col.name)
        label = col.name if source == col.name else f"{col.name} (mapped to '{source}')"
        if source in file_errors:
            errors.append(file_errors[source])
            continue
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
    tables = Tables(data=str(settings.data), storage=dict(settings.storage))
    unreachable: str | None = None  # the first table that could not reach the object store
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in TABLES:
            if unreachable is not None:
                tables.problems[name] = f"table {name}: not read: the object store is unreachable (see table {unreachable})"
                tables.sources[name] = []
                continue
            lf, problem, files = load_table(settings, name)
            tables.sources[name] = files
            if lf is None:
                tables.problems[name] = problem or f"table {name} unavailable"
                if is_url(settings.data) and problem and _UNREACHABLE.search(problem):
                    unreachable = name
            else:
                tables.frames[name] = lf
                version = _version(files)
                if version is not None:
                    tables.versions[name] = version
    # Polars warns once per scan (e.g. no AWS region: it asks the bucket): say each once.
    for message in dict.fromkeys(str(w.message).strip().splitlines()[0] for w in caught):
        tables.notes.append(f"polars: {message}")
    if not is_url(settings.data):
        folder = Path(settings.data)
        for name in TABLES:
            if (folder / f"{name}.parquet").is_file() and (folder / name).is_dir():
                tables.notes.append(f"table {name}: both {folder / f'{name}.parquet'} and {folder / name}/ exist; "
                                    f"reading {name}.parquet only")
    return tables


# Object-store errors that mean the endpoint itself cannot be reached (not a missing or bad file).
_UNREACHABLE = re.compile(r"error sending request|connection refused|dns error|tcp connect|timed out|"
                          r"operation timed out|Connection reset", re.IGNORECASE)


def read_problem(tables: Tables, name: str) -> str | None:
    """After a query reading table `name` failed: read its files again, one by one, all columns,
    and name the first that cannot be read (the folder, for an object-store folder). None when
    they all read: the failure was not the input's. Costs a full read, on failures only."""
    for path in tables.sources.get(name, []):
        try:
            if is_url(path):
                lf = pl.scan_parquet(path, hive_partitioning=True, storage_options=storage_options(tables.storage),
                                     extra_columns="ignore", cast_options=_CAST)
            else:
                lf = pl.scan_parquet(path)
            lf.select(pl.all().null_count()).collect()
        except QUERY_FAILURES as exc:
            return f"table {name}: cannot read {path}: {read_error(exc)}"
    return None


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
