"""Tiny hand-built tables for KPI tests: rows as dicts, contract types, absent columns null."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revops_tui.config import Settings
from revops_tui.contract import TABLES, TIMESTAMP_COLUMNS
from revops_tui.kpis.engine import compute
from revops_tui.kpis.results import Filters, Results
from revops_tui.loading import Tables

DTYPES = {"str": pl.String, "date": pl.Date, "float": pl.Float64, "int": pl.Int64, "bool": pl.Boolean}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def frame(table: str, rows: list[dict]) -> pl.LazyFrame:
    schema = {c.name: DTYPES[c.type] for c in TABLES[table]}
    data = {name: [row.get(name) for row in rows] for name in schema}
    for name, value in list(data.items()):
        if schema[name] == pl.Date:
            data[name] = [d(v) if isinstance(v, str) else v for v in value]
    lf = pl.LazyFrame(data, schema=schema)
    for col in TIMESTAMP_COLUMNS.get(table, ()):
        ts = [row.get(f"{col}_ts") for row in rows]
        ts = [dt.datetime.fromisoformat(v) if isinstance(v, str) else v for v in ts]
        ts = [v if v is not None or day is None else dt.datetime.combine(day, dt.time()) for v, day in zip(ts, data[col])]
        lf = lf.with_columns(pl.Series(f"{col}_ts", ts, dtype=pl.Datetime("us")))
    return lf


def tables(**rows: list[dict]) -> Tables:
    out = Tables(data="<memory>")
    for name in TABLES:
        if name in rows:
            out.frames[name] = frame(name, rows[name])
        else:
            out.problems[name] = f"table {name} not found in <memory>/"
    return out


def run(as_of: str, months: int = 13, filters: Filters | None = None, settings: Settings | None = None,
        **rows: list[dict]) -> Results:
    return compute(tables(**rows), settings or Settings(), d(as_of), months, filters)


def sub(cid: str, mrr: float, start: str, end: str | None = None, term_end: str | None = None,
        sid: str | None = None, plan: str = "pro") -> dict:
    sub.n += 1  # type: ignore[attr-defined]
    return {"subscription_id": sid or f"s{sub.n}", "customer_id": cid, "plan": plan, "mrr": mrr,  # type: ignore[attr-defined]
            "start_date": start, "end_date": end, "term_end": term_end}


sub.n = 0  # type: ignore[attr-defined]


def series(results: Results, kpi_id: str) -> dict[str, float | None]:
    return dict(results[kpi_id].series)
