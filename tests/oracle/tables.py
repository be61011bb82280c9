"""The contract's Parquet tables as DuckDB temp tables, with datetimes taken as their UTC calendar date."""

from __future__ import annotations

from pathlib import Path

import duckdb

TABLES = (
    "customers",
    "subscriptions",
    "expenses",
    "leads",
    "opportunities",
    "opportunity_history",
    "quotas",
    "tickets",
    "nps_responses",
    "usage",
)

# resolution_hours needs the full timestamps (rule 2); they are kept as <column>_ts.
FULL_TIMESTAMPS = {"tickets": ("created_at", "resolved_at")}


def _reader(data: Path, table: str, options: str) -> str | None:
    """A table is NAME.parquet or a folder NAME/ of Parquet files (Hive partitions allowed)."""
    if (data / f"{table}.parquet").is_file():
        return f"read_parquet('{data / table}.parquet'{options})"
    if (data / table).is_dir():
        return f"read_parquet('{data / table}/**/*.parquet', hive_partitioning=true{options})"
    return None


def _as_utc_date(column: str, sql_type: str) -> str:
    if sql_type == "TIMESTAMP WITH TIME ZONE":
        return f"CAST(timezone('UTC', {column}) AS DATE)"
    if sql_type.startswith("TIMESTAMP"):  # naive: taken as UTC (rule 2)
        return f"CAST({column} AS DATE)"
    return column


def _as_utc_timestamp(column: str, sql_type: str) -> str:
    if sql_type == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {column})"
    return f"CAST({column} AS TIMESTAMP)"  # a date-only value is midnight (rule 2)


def register_tables(con: duckdb.DuckDBPyConnection, data: Path) -> frozenset[str]:
    """Load each table found in `data` into a temp table of its name; returns the names of the tables found.

    opportunity_history also gets `filename` and `file_row_number`: the file order settles same-day ties.
    The tables are read once per connection and folder (each department function calls this).
    """
    folder = str(Path(data).resolve())
    con.execute("CREATE TEMP TABLE IF NOT EXISTS loaded_folder (folder VARCHAR, tables VARCHAR[])")
    loaded = con.execute("SELECT tables FROM loaded_folder WHERE folder = ?", [folder]).fetchall()
    if loaded:
        return frozenset(loaded[0][0])
    con.execute("SET TimeZone = 'UTC'")
    found = set()
    for table in TABLES:
        options = ", filename=true, file_row_number=true" if table == "opportunity_history" else ""
        raw = _reader(Path(data), table, options)
        if raw is None:
            continue
        columns = con.execute(f"DESCRIBE SELECT * FROM {raw}").fetchall()
        select = [f"{_as_utc_date(name, sql_type)} AS {name}" for name, sql_type, *_ in columns]
        types = {name: sql_type for name, sql_type, *_ in columns}
        for name in FULL_TIMESTAMPS.get(table, ()):
            select.append(f"{_as_utc_timestamp(name, types[name])} AS {name}_ts")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {', '.join(select)} FROM {raw}")
        found.add(table)
    con.execute("DELETE FROM loaded_folder")
    con.execute("INSERT INTO loaded_folder VALUES (?, ?)", [folder, sorted(found)])
    return frozenset(found)
