"""The auditors' hand-made edge-case data sets, written as Parquet files into a (pytest tmp) folder."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl

D = dt.date
T = dt.datetime

# --- Overview: 25 customers (customers + subscriptions only) -------------------------------------------------

_OVERVIEW_CUSTOMERS = [  # id, segment, region, channel
    ("X01", "SMB", "NA", "organic"), ("X02", "SMB", "NA", "organic"), ("X03", "Mid-Market", "EMEA", "paid_search"),
    ("X04", "Mid-Market", "EMEA", "organic"), ("X05", "Enterprise", "NA", "partner"), ("X06", "SMB", "APAC", "organic"),
    ("X07", "SMB", "EMEA", "paid_search"), ("X08", "Enterprise", "LATAM", "events"),
    ("X10", "Enterprise", "NA", "organic"), ("X10", "Enterprise", "NA", "organic"),  # listed twice (rule 4)
    ("X11", "SMB", "NA", "organic"), ("X11", "Enterprise", "NA", "organic"),  # twice, in two segments
    ("X12", None, "APAC", "organic"), ("X13", "SMB", "NA", "organic"),
    *((f"R{i}", "SMB", "NA", "organic") for i in range(1, 12)),
]  # X09 has subscriptions but no customers row

_OVERVIEW_SUBSCRIPTIONS = [  # customer, mrr, start, end, term_end
    ("X01", 100, D(2025, 1, 10), None, None),
    ("X02", 0, D(2025, 2, 1), D(2025, 3, 1), None), ("X02", 200, D(2025, 3, 1), None, None),  # trial first
    ("X03", 300, D(2025, 4, 5), D(2025, 4, 20), None), ("X03", 300, D(2025, 6, 10), None, None),  # in and out, back
    ("X04", 150, D(2025, 1, 1), D(2025, 5, 10), None), ("X04", 150, D(2025, 5, 20), D(2025, 8, 31), None),
    ("X04", 150, D(2025, 9, 1), None, None),
    ("X05", 500, D(2024, 12, 10), D(2025, 10, 1), None),
    ("X06", 1000, D(2025, 7, 1), D(2025, 7, 1), None), ("X06", 1000, D(2025, 8, 10), D(2025, 8, 1), None),  # never
    ("X06", 50, D(2026, 1, 15), None, None),
    ("X07", 100, D(2025, 1, 1), None, None), ("X07", 200, D(2025, 3, 15), D(2025, 6, 15), None),
    ("X08", 300, D(2025, 2, 1), None, None), ("X08", -300, D(2025, 2, 1), D(2025, 4, 10), None),  # negative rows
    ("X08", -50, D(2025, 9, 1), None, None),
    ("X09", 400, D(2025, 5, 1), None, None),
    ("X10", 700, D(2025, 1, 1), None, None),
    ("X11", 800, D(2025, 2, 1), None, None),
    ("X12", 90, D(2025, 1, 1), None, None),
    ("X13", 0, D(2025, 6, 1), None, None),
    # renewals (rule 9) and backlog (rule 10)
    ("R1", 1000, D(2025, 1, 1), D(2026, 1, 1), D(2026, 1, 1)), ("R1", 1000, D(2026, 1, 1), None, D(2027, 1, 1)),
    ("R2", 500, D(2025, 2, 1), D(2026, 2, 1), D(2026, 2, 1)),
    ("R3", 600, D(2025, 3, 1), D(2025, 9, 15), D(2026, 4, 15)),
    ("R4", 400, D(2025, 3, 5), D(2026, 3, 5), D(2026, 3, 5)), ("R4", 0, D(2026, 3, 5), None, D(2027, 3, 5)),
    ("R5", 100, D(2025, 4, 1), D(2025, 7, 1), D(2026, 4, 1)), ("R5", 200, D(2025, 7, 1), D(2026, 4, 1), D(2026, 4, 1)),
    ("R5", 200, D(2026, 4, 1), None, D(2027, 4, 1)),
    ("R6", 300, D(2025, 11, 20), D(2026, 11, 20), D(2026, 11, 20)),
    ("R7", 300, D(2025, 11, 10), None, D(2026, 11, 10)),
    ("R8", 250, D(2025, 5, 1), D(2026, 5, 20), D(2026, 5, 1)),
    ("R9", 100, D(2025, 7, 3), D(2026, 7, 3), D(2026, 7, 3)), ("R9", 100, D(2025, 7, 20), None, D(2026, 7, 20)),
    ("R9", 100, D(2026, 7, 3), None, D(2027, 7, 3)),
    ("R10", 100, D(2025, 6, 15), D(2026, 6, 15), D(2026, 6, 15)), ("R10", 50, D(2025, 6, 15), None, None),
    ("R11", 100, D(2026, 1, 1), D(2026, 12, 1), D(2027, 1, 1)),
]


def write_overview_edge_cases(folder: Path, tz_aware: bool = False) -> Path:
    """customers and subscriptions only. tz_aware: the subscription dates become America/New_York datetimes of
    the evening before (01:00 UTC of the day), which rule 2 must bring back to the same UTC dates."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(_OVERVIEW_CUSTOMERS)
    pl.DataFrame({
        "customer_id": [c[0] for c in _OVERVIEW_CUSTOMERS],
        "name": [f"Name {i}" for i in range(n)],
        "email": [f"a{i}@x.com" for i in range(n)],
        "segment": [c[1] for c in _OVERVIEW_CUSTOMERS],
        "region": [c[2] for c in _OVERVIEW_CUSTOMERS],
        "channel": [c[3] for c in _OVERVIEW_CUSTOMERS],
        "created_at": [D(2024, 1, 1)] * n,
    }).write_parquet(folder / "customers.parquet")
    subs = _OVERVIEW_SUBSCRIPTIONS
    subscriptions = pl.DataFrame({
        "subscription_id": [f"SS{i:03d}" for i in range(len(subs))],
        "customer_id": [s[0] for s in subs],
        "plan": ["p"] * len(subs),
        "mrr": [float(s[1]) for s in subs],
        "start_date": [s[2] for s in subs],
        "end_date": [s[3] for s in subs],
        "term_end": [s[4] for s in subs],
    }, schema_overrides={"end_date": pl.Date, "term_end": pl.Date})
    if tz_aware:
        subscriptions = subscriptions.with_columns(
            (pl.col(c).cast(pl.Datetime("us")).dt.replace_time_zone("UTC") + pl.duration(hours=1))
            .dt.convert_time_zone("America/New_York")
            for c in ("start_date", "end_date", "term_end"))
    subscriptions.write_parquet(folder / "subscriptions.parquet")
    return folder


# --- Sales: a few deals for each Sales Ops rule (customers, leads, opportunities, history, quotas) ------------

_SALES_DEALS = [  # id, customer, lead, owner, type, channel, created, qualified, stage, amount, closed (naive)
    ("O1", "C1", None, "A", "new_business", "partner", D(2026, 9, 1), D(2026, 9, 2), "closed_won", 1000.0,
     T(2026, 10, 10, 23, 0)),
    ("O2", "C1", None, "A", "new_business", "partner", D(2026, 9, 1), None, "closed_lost", 500.0, T(2026, 10, 5)),
    ("O2b", "C3", None, "A", "new_business", "organic", D(2026, 9, 1), None, "negotiation", 700.0, None),
    ("O3", "C3", None, "A", "new_business", "organic", D(2026, 9, 1), None, "verbal_commit", 300.0, None),  # unknown
    ("O4", "C3", None, "B", "new_business", "organic", D(2026, 9, 1), None, "closed_won", 400.0, None),  # no closed_at
    ("O5", "C3", None, "B", "new_business", "organic", D(2026, 9, 1), None, "proposal", 600.0, T(2026, 10, 20)),
    ("O6", "C2", None, "B", "expansion", "partner", D(2026, 10, 1), None, "closed_won", 2000.0, T(2026, 11, 20)),
    ("O7", "C2", None, "B", "new_business", "partner", D(2026, 10, 1), None, "prospecting", 50.0, None),  # no history
    ("O8", "C1", None, "A", "new_business", "partner", D(2026, 10, 25), None, "closed_won", 100.0, T(2026, 10, 20)),
    ("O9", "C1", None, "Z", "new_business", "partner", D(2026, 9, 1), None, "closed_won", 800.0, T(2026, 10, 3)),
    ("O10", "C1", None, "A", "renewal", "partner", D(2026, 9, 1), None, "closed_won", 900.0, T(2026, 10, 4)),
    ("O11", "C3", None, "B", "new_business", None, D(2026, 9, 1), None, "closed_won", -50.0, T(2026, 11, 2)),
    ("O12", "C9", None, "B", "new_business", "partner", D(2026, 9, 1), None, "closed_won", 120.0, T(2026, 11, 3)),
    ("O13", None, "L2", "A", "new_business", "partner", D(2026, 9, 1), D(2026, 9, 5), "qualification", 30.0, None),
    ("O14", None, None, "A", "new_business", "partner", D(2026, 9, 1), D(2026, 12, 1), "qualification", 30.0, None),
    ("O15", "C2", None, "B", "new_business", "organic", D(2025, 5, 10), None, "closed_won", 250.0, T(2025, 5, 10)),
    ("O16", "C2", None, "B", "new_business", "organic", D(2025, 7, 1), None, "closed_lost", 250.0, T(2025, 7, 9)),
]
_DEAL_SCHEMA = {
    "opportunity_id": pl.Utf8, "customer_id": pl.Utf8, "lead_id": pl.Utf8, "owner": pl.Utf8, "type": pl.Utf8,
    "channel": pl.Utf8, "created_at": pl.Date, "qualified_at": pl.Date, "stage": pl.Utf8, "amount": pl.Float64,
    "closed_at": pl.Datetime("us"),
}


def _noon(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return T(year, month, day, hour)


_SALES_HISTORY = [  # naive wall times, stored as America/New_York
    ("O1", "prospecting", 800.0, _noon(2026, 9, 1)), ("O1", "proposal", 900.0, _noon(2026, 9, 15)),
    ("O1", "closed_won", 1000.0, _noon(2026, 10, 10)),
    ("O2", "prospecting", 500.0, _noon(2026, 9, 1)), ("O2", "proposal", 510.0, _noon(2026, 10, 5, 9)),
    ("O2", "closed_lost", 520.0, _noon(2026, 10, 5, 9)),
    ("O2b", "prospecting", 700.0, _noon(2026, 9, 1)), ("O2b", "closed_won", 710.0, _noon(2026, 10, 6, 9)),
    ("O2b", "negotiation", 720.0, _noon(2026, 10, 6, 9)),
    ("O3", "prospecting", 300.0, _noon(2026, 9, 1)), ("O3", "verbal_commit", 310.0, _noon(2026, 9, 20)),
    ("O4", "prospecting", 400.0, _noon(2026, 9, 1)), ("O4", "closed_won", 400.0, _noon(2026, 10, 1)),
    ("O5", "proposal", 600.0, _noon(2026, 9, 1)),
    ("O6", "negotiation", 2000.0, _noon(2026, 10, 1)), ("O6", "closed_won", 2000.0, _noon(2026, 11, 20)),
    ("O8", "prospecting", 100.0, _noon(2026, 10, 25)),
    ("O9", "prospecting", 800.0, _noon(2026, 9, 1)),
    ("O9", "closed_won", 800.0, T(2026, 10, 31, 21, 30)),  # 21:30 New York on Oct 31 = Nov 1 UTC
    ("O10", "prospecting", 900.0, _noon(2026, 9, 1)),
    ("O11", "prospecting", -50.0, _noon(2026, 9, 1)),
    ("O12", "prospecting", 120.0, _noon(2026, 9, 1)),
    ("O13", "qualification", 30.0, _noon(2026, 9, 1)),
    ("O14", "qualification", 30.0, _noon(2026, 9, 1)),
    ("O15", "prospecting", 250.0, _noon(2025, 5, 10)),
    ("O16", "prospecting", 250.0, _noon(2025, 7, 1)),
]


def _history_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        {"opportunity_id": [r[0] for r in rows], "stage": [r[1] for r in rows], "amount": [r[2] for r in rows],
         "changed_at": [r[3] for r in rows]},
        schema={"opportunity_id": pl.Utf8, "stage": pl.Utf8, "amount": pl.Float64, "changed_at": pl.Datetime("us")},
    ).with_columns(pl.col("changed_at").dt.replace_time_zone("America/New_York"))


def write_sales_edge_cases(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({
        "customer_id": ["C1", "C2", "C2", "C3"],  # C2 listed twice, once as Enterprise
        "name": ["One", "Two", "Two bis", "Three"],
        "email": ["a@x.io", "b@x.io", "b2@x.io", "c@x.io"],
        "segment": ["Enterprise", "SMB", "Enterprise", "SMB"],
        "region": ["NA", "EMEA", "EMEA", "NA"],
        "channel": ["partner", "organic", "organic", "partner"],
        "created_at": [D(2024, 1, 1)] * 4,
    }).write_parquet(folder / "customers.parquet")
    pl.DataFrame([dict(zip(_DEAL_SCHEMA, deal, strict=True)) for deal in _SALES_DEALS], schema=_DEAL_SCHEMA) \
        .write_parquet(folder / "opportunities.parquet")
    _history_frame(_SALES_HISTORY).write_parquet(folder / "opportunity_history.parquet")
    pl.DataFrame({  # L1 reaches O1 through leads.opportunity_id, L2 reaches O13 through opportunities.lead_id
        "lead_id": ["L1", "L2", "L3", "L4", "L5"],
        "created_at": [D(2026, 9, 1), D(2026, 9, 2), D(2026, 9, 3), D(2026, 9, 4), D(2026, 11, 20)],
        "channel": ["partner", "partner", "partner", "organic", "partner"],
        "email": ["l1@x.io"] * 5,
        "qualified_at": [None] * 5,
        "converted_at": [D(2026, 9, 2), None, D(2026, 9, 4), D(2026, 9, 5), None],
        "opportunity_id": ["O1", None, "O14", "O99", None],
    }, schema_overrides={"qualified_at": pl.Date}).write_parquet(folder / "leads.parquet")
    pl.DataFrame({
        "owner": ["A", "A", "B", "A", "B"],
        "month": [D(2026, 10, 1), D(2026, 11, 1), D(2026, 10, 1), D(2026, 9, 1), D(2026, 9, 1)],
        "amount": [1000.0, 1000.0, 2000.0, 0.0, 0.0],  # September's quotas sum to 0
    }).write_parquet(folder / "quotas.parquet")
    return folder


def write_sales_same_day_ties(folder: Path) -> Path:
    """The sales edge cases plus deals T1-T3 (one owner each) whose history has two rows on one day."""
    write_sales_edge_cases(folder)

    def deal(deal_id: str, stage: str, closed: dt.datetime | None) -> tuple:
        return (deal_id, "C1", None, deal_id, "new_business", "partner", D(2026, 9, 1), None, stage, 1.0, closed)

    deals = [
        *_SALES_DEALS,
        deal("T1", "proposal", None),  # history: closed_lost 900, then proposal 100, same time
        deal("T2", "prospecting", None),  # history: negotiation 100, then prospecting 900, same time
        deal("T3", "closed_lost", T(2026, 10, 7)),  # history: proposal 900 at 18:00, then closed_lost 100 at 09:00
    ]
    pl.DataFrame([dict(zip(_DEAL_SCHEMA, d, strict=True)) for d in deals], schema=_DEAL_SCHEMA) \
        .write_parquet(folder / "opportunities.parquet")
    ties = [
        ("T1", "prospecting", 50.0, _noon(2026, 9, 1)), ("T1", "closed_lost", 900.0, _noon(2026, 10, 7)),
        ("T1", "proposal", 100.0, _noon(2026, 10, 7)),
        ("T2", "prospecting", 50.0, _noon(2026, 9, 1)), ("T2", "negotiation", 100.0, _noon(2026, 10, 7)),
        ("T2", "prospecting", 900.0, _noon(2026, 10, 7)),
        ("T3", "prospecting", 50.0, _noon(2026, 9, 1)), ("T3", "proposal", 900.0, _noon(2026, 10, 7, 18)),
        ("T3", "closed_lost", 100.0, _noon(2026, 10, 7, 9)),
    ]
    _history_frame([*_SALES_HISTORY, *ties]).write_parquet(folder / "opportunity_history.parquet")
    return folder


# --- Data Quality: the shipped data plus deliberately broken rows --------------------------------------------

def _broken_deal(deal_id: str, customer: str | None, kind: str, stage: str, amount: float,
                 closed: dt.date | None, owner: str | None = "Noah Kim", channel: str | None = "organic") -> tuple:
    return (deal_id, customer, None, owner, kind, channel, D(2025, 6, 1), None, stage, amount, closed)


_BROKEN_ROWS: dict[str, list[tuple]] = {
    "customers": [
        ("C00001", "Zeta Dup Test Inc", "zeta@example.com", None, "NA", "organic", D(2027, 1, 1)),
        ("C99002", "  LUNARHILL  LOGISTICS LLC ", " Jonas.Adams@lunarhilllogistics.io ", "", "NA", "organic",
         D(2026, 1, 5)),
        ("C99003", "Accuracy Test Co", "acc@example.com", "SMB", "NA", "organic", D(2025, 1, 1)),
    ],
    "subscriptions": [
        ("SB1", "C_ORPHAN", "basic", -50.0, D(2026, 10, 1), D(2026, 10, 1), D(2026, 9, 1)),
        ("SB2", "C99003", "trial", 0.0, D(2026, 3, 1), D(2026, 4, 1), None),
        ("SB3", "C99003", "pro", 100.0, D(2026, 7, 31), None, D(2027, 7, 31)),
        ("SB2", "C99003", "dup", 10.0, D(2026, 12, 1), None, None),
    ],
    "opportunities": [  # accuracy: OB1 hits SB3's start within 30 days; OB2, OB3, OB8 miss
        _broken_deal("OB1", "C99003", "new_business", "closed_won", 1000.0, D(2026, 3, 31)),
        _broken_deal("OB2", "C99003", "new_business", "closed_won", 1000.0, D(2026, 6, 30)),
        _broken_deal("OB3", "C99003", "new_business", "closed_won", 1000.0, D(2025, 12, 1)),
        _broken_deal("OB4", "C99003", "new_business", "closed_won", 1000.0, D(2025, 11, 30)),
        _broken_deal("OB5", "C99003", "new_business", "closed_won", 1000.0, D(2026, 11, 16)),
        _broken_deal("OB6", None, "new_business", "closed_won", 1000.0, D(2026, 5, 1)),
        _broken_deal("OB7", "C99003", "expansion", "closed_won", 1000.0, D(2026, 3, 31)),
        _broken_deal("OB8", "C_ORPHAN2", "new_business", "closed_won", -1000.0, D(2026, 4, 1), owner=None),
        _broken_deal("OB9", "C99003", "new_business", "closed_won", 1000.0, None),
        _broken_deal("OB10", "C99003", "renewal", "prospecting", 1000.0, D(2025, 5, 1)),
        _broken_deal("OB11", None, "new_business", "verbal_commit", 1000.0, D(2026, 1, 1), channel=None),
    ],
    "tickets": [
        ("T00000001", "C_ORPHAN3", T(2026, 11, 15, 23, 30), None, "low", 0),
        ("TB2", "C00001", T(2026, 11, 16, 0, 30), T(2026, 11, 17), "low", None),
    ],
    "leads": [
        ("LB1", D(2026, 10, 1), None, "a@b", None, None, None),
        ("LB2", D(2026, 10, 1), "organic", "", None, None, None),
        ("LB3", D(2026, 10, 1), "organic", None, None, D(2026, 12, 1), None),
    ],
    "expenses": [(D(2026, 10, 1), "marketing", "organic", -10.0)],
    "nps_responses": [("RB1", "C_ORPHAN4", D(2026, 10, 1), 11)],
    "usage": [("C_ORPHAN5", D(2026, 12, 7), 3, 5)],
    "quotas": [("Noah Kim", D(2026, 12, 1), 1000.0)],
}


def write_broken_copy(source: Path, folder: Path, tz_aware_tickets: bool = False) -> Path:
    """A copy of `source` with the DQ auditor's broken rows appended (duplicate keys and e-mails, nulls, '',
    negative amounts, unknown stages, orphans, future dates, accuracy hits and misses at +-30 days).

    tz_aware_tickets: tickets' timestamps become tz-aware, with two more tickets on the as-of boundary
    (2026-11-15 18:00 and 22:00 in New York, i.e. the 15th and the 16th in UTC).
    """
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute("SET TimeZone = 'UTC'")
    for path in sorted(Path(source).glob("*.parquet")):
        table = path.stem
        if table not in _BROKEN_ROWS:
            shutil.copy(path, folder / path.name)
            continue
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM '{path}'")
        rows = _BROKEN_ROWS[table]
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        if table == "tickets" and tz_aware_tickets:
            con.execute("""
                CREATE TEMP TABLE tickets_tz AS
                SELECT * REPLACE (timezone('UTC', created_at) AS created_at,
                                  timezone('UTC', resolved_at) AS resolved_at)
                FROM tickets""")
            con.execute("""
                INSERT INTO tickets_tz VALUES
                ('TB3', 'C00001', TIMESTAMPTZ '2026-11-15 22:00:00 America/New_York', NULL, 'low', NULL),
                ('TB4', 'C00001', TIMESTAMPTZ '2026-11-15 18:00:00 America/New_York', NULL, 'low', NULL)""")
            table = "tickets_tz"
        con.execute(f"COPY {table} TO '{folder / path.name}' (FORMAT parquet)")
    con.close()
    return folder
