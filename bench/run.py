"""Benchmark: `python bench/run.py [--customers N] [--months M]`.

Generates (and caches under bench/.data/) a dataset with the demo generator, then prints:
- scan floor: reading once every contract column of every table (the physical limit);
- the full `report` (every KPI, 24 months): time and peak RSS in a fresh process (cold: imports,
  scans and compute) and the second compute in that process (warm);
- the same core KPIs written as plain DuckDB SQL over the same files, as the peer to beat
  (needs `pip install duckdb`, the `bench` extra), with a check that both agree on MRR;
- the workspace: time to first frame and to numbers, key-press latency during a recompute, a
  restart after one export (with and without the results the session before saved);
- live recomputes: after one table's file changes, and after a filter change (incremental);
- a records drill-down with 100k+ rows: time to build it and to open and scroll its table.

Speed goals live here, never in a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2026-11-15"


def dataset(customers: int, months: int) -> Path:
    from revops_tui.demo import generate

    folder = HERE / ".data" / f"c{customers}-m{months}"
    if not (folder / ".complete").exists():
        t = time.perf_counter()
        counts = generate(folder, customers=customers, months=months)
        (folder / ".complete").write_text(json.dumps(counts))
        print(f"generated {folder} in {time.perf_counter() - t:.1f} s: " +
              ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return folder


def scan_floor(folder: Path) -> float:
    import polars as pl

    from revops_tui.config import Settings
    from revops_tui.loading import load_tables

    tables = load_tables(Settings(data=folder))
    start = time.perf_counter()
    pl.collect_all(list(tables.frames.values()))
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not getrusage's ru_maxrss: Linux carries that over a
    fork and exec, so a child started while this script held the scan-floor tables in
    memory reported the parent's 2.7 GB (the "outlier" of the second round). VmHWM belongs
    to the process's current memory map, which exec replaces."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_report(folder: str, months: int) -> None:
    """Run in a fresh process: cold report, then a warm recompute; print JSON timings."""
    start = time.perf_counter()
    from revops_tui.cli import main

    code = main(["report", "--data", folder, "--as-of", AS_OF, "--months", str(months),
                 "--format", "json", "--output", os.devnull])
    cold = time.perf_counter() - start
    from revops_tui import session
    from revops_tui.config import Settings

    settings = Settings(data=Path(folder), as_of=AS_OF, months=months)
    start = time.perf_counter()
    session.run(settings)
    warm = time.perf_counter() - start
    rss_mb = peak_rss_mb()
    print(json.dumps({"exit": code, "cold": cold, "warm": warm, "rss_mb": rss_mb}))


def report_times(folder: Path, months: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child-report", str(folder), "--months", str(months)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


DUCKDB_SQL = """
WITH months AS (SELECT * FROM month_table),
subs AS (
  SELECT customer_id, mrr, start_date, end_date FROM read_parquet('{d}/subscriptions.parquet')
  WHERE (end_date IS NULL OR end_date > start_date) AND start_date <= DATE '{as_of}'),
cm AS (
  SELECT m.k, s.customer_id, sum(s.mrr) AS mrr FROM months m JOIN subs s
    ON s.start_date <= m.e AND (s.end_date IS NULL OR s.end_date > m.e)
  GROUP BY m.k, s.customer_id),
firsts AS (SELECT customer_id, min(start_date) AS first_day FROM subs WHERE mrr > 0 GROUP BY customer_id),
pairs AS (
  SELECT coalesce(cur.k, prev.k + 1) AS k, coalesce(cur.customer_id, prev.customer_id) AS customer_id,
         coalesce(prev.mrr, 0) AS a, coalesce(cur.mrr, 0) AS b
  FROM cm cur FULL OUTER JOIN cm prev ON cur.customer_id = prev.customer_id AND cur.k = prev.k + 1),
moves AS (
  SELECT p.k,
    sum(CASE WHEN a <= 0 AND b > 0 AND f.first_day >= m.s THEN b ELSE 0 END) AS new,
    sum(CASE WHEN a <= 0 AND b > 0 AND f.first_day < m.s THEN b ELSE 0 END) AS reactivation,
    sum(CASE WHEN a > 0 AND b > a THEN b - a ELSE 0 END) AS expansion,
    sum(CASE WHEN b > 0 AND b < a THEN a - b ELSE 0 END) AS contraction,
    sum(CASE WHEN a > 0 AND b <= 0 THEN a ELSE 0 END) AS churn,
    count(*) FILTER (WHERE a > 0 AND b <= 0) AS churned,
    count(*) FILTER (WHERE a > 0) AS base
  FROM pairs p JOIN months m ON m.k = p.k LEFT JOIN firsts f USING (customer_id)
  GROUP BY p.k),
mrr AS (SELECT k, sum(mrr) AS mrr FROM cm GROUP BY k),
opps AS (SELECT stage, closed_at FROM read_parquet('{d}/opportunities.parquet')),
wins AS (
  SELECT m.k, count(*) FILTER (WHERE stage IN ({won})) AS won,
         count(*) FILTER (WHERE stage IN ({won}) OR stage IN ({lost})) AS closed
  FROM opps o JOIN months m ON o.closed_at BETWEEN m.s AND m.e GROUP BY m.k),
hist AS (SELECT opportunity_id, stage, amount, changed_at FROM read_parquet('{d}/opportunity_history.parquet')),
latest AS (
  SELECT m.k, h.stage, h.amount,
         row_number() OVER (PARTITION BY m.k, h.opportunity_id ORDER BY h.changed_at DESC) AS rn
  FROM months m JOIN hist h ON h.changed_at <= m.e),
pipeline AS (
  SELECT k, sum(amount) AS pipeline_open FROM latest
  WHERE rn = 1 AND stage NOT IN ({won}) AND stage NOT IN ({lost}) GROUP BY k)
SELECT m.k, mrr.mrr, moves.new, moves.reactivation, moves.expansion, moves.contraction, moves.churn,
       100.0 * moves.churned / nullif(moves.base, 0) AS logo_churn_rate,
       100.0 * wins.won / nullif(wins.closed, 0) AS win_rate, pipeline.pipeline_open
FROM months m LEFT JOIN mrr USING (k) LEFT JOIN moves USING (k) LEFT JOIN wins USING (k)
LEFT JOIN pipeline USING (k)
ORDER BY m.k
"""


def duckdb_peer(folder: Path, months: int) -> tuple[float | None, list | None, str]:
    try:
        import duckdb
    except ImportError:
        return None, None, "duckdb not installed (pip install -e '.[bench]')"
    import polars as pl

    from revops_tui.kpis.calendar import Calendar

    cal = Calendar(dt.date.fromisoformat(AS_OF), months)
    month_table = pl.DataFrame({"k": list(range(cal.size)), "s": cal.starts, "e": cal.ends})  # noqa: F841
    sql = DUCKDB_SQL.format(d=folder, as_of=AS_OF, won="'closed_won'", lost="'closed_lost'")
    con = duckdb.connect()
    con.execute(f"SET threads TO {os.cpu_count()}")
    start = time.perf_counter()
    rows = con.execute(sql.replace("month_table", "month_table")).fetchall()
    return time.perf_counter() - start, rows, "ok"


def engine_mrr(folder: Path, months: int) -> list[float]:
    from revops_tui import session
    from revops_tui.config import Settings

    snap = session.run(Settings(data=folder, as_of=AS_OF, months=months))
    return [v for _, v in snap.results["mrr"].series]


def records_drilldown(folder: Path) -> tuple[float, int]:
    from revops_tui import session
    from revops_tui.config import Settings
    from revops_tui.kpis.drilldown import records, scope_of

    snap = session.run(Settings(data=folder, as_of=AS_OF, months=13))
    start = time.perf_counter()
    df = records(scope_of(snap), "mrr", AS_OF[:7])
    return time.perf_counter() - start, df.height


def incremental(folder: Path, months: int) -> list[str]:
    """The workspace's recomputes after a first one: an export rewriting one table (its file is
    touched: a new version), a filter change and a period change. Only the queries reading a
    changed or newly narrowed table, or depending on the months, run (kpis.memo)."""
    from revops_tui import session
    from revops_tui.config import Settings
    from revops_tui.kpis.engine import compute
    from revops_tui.kpis.memo import Memo
    from revops_tui.kpis.results import Filters

    settings = Settings(data=folder, as_of=AS_OF, months=months)
    memo = Memo()
    snap = session.run(settings, memo=memo)
    total = len(memo)
    lines = []
    for table in ("opportunity_history", "tickets", "usage", "subscriptions"):
        os.utime(folder / f"{table}.parquet")
        memo.reset_counts()
        start = time.perf_counter()
        session.run(settings, memo=memo)
        lines.append(f"reload after {table + '.parquet':24s} changes {time.perf_counter() - start:6.3f} s"
                     f"   {len(memo.missed)} of {total} queries run")
    owner = snap.tables.frames["opportunities"].select("owner").drop_nulls().head(1).collect().item()
    memo.reset_counts()
    start = time.perf_counter()
    compute(snap.tables, settings, snap.as_of, months, Filters.of(owner=[owner]), memo=memo)
    lines.append(f"filter change (owner)                       {time.perf_counter() - start:6.3f} s"
                 f"   {len(memo.missed)} of {total} queries run")
    memo.reset_counts()
    start = time.perf_counter()
    compute(snap.tables, settings, snap.as_of, 12, memo=memo)
    lines.append(f"period change (12 months)                   {time.perf_counter() - start:6.3f} s"
                 f"   {len(memo.missed)} of {total} queries run")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24, help="months in the report")
    parser.add_argument("--history", type=int, default=36, help="months of generated data")
    parser.add_argument("--child-report", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_report:
        child_report(args.child_report, args.months)
        return
    folder = dataset(args.customers, args.history)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{dt.date.today()}; data: {args.customers:,} customers, {folder}")
    floor = min(scan_floor(folder) for _ in range(3))
    print(f"scan floor (every contract column once)     {floor:8.3f} s")
    rep = report_times(folder, args.months)
    print(f"report, {args.months} months, cold (fresh process)   {rep['cold']:8.3f} s   peak RSS {rep['rss_mb']:.0f} MB")
    print(f"report, warm (second compute)               {rep['warm']:8.3f} s   = {rep['warm'] / floor:.1f}x scan floor")
    seconds, rows, note = duckdb_peer(folder, args.months)
    if seconds is None:
        print(f"DuckDB peer: {note}")
    else:
        ours = engine_mrr(folder, args.months)
        theirs = [r[1] for r in rows][-args.months:]
        same = all(abs((a or 0) - (b or 0)) < 0.01 for a, b in zip(ours, theirs))
        print(f"DuckDB SQL peer (mrr, movements, churn, win rate, open pipeline) {seconds:8.3f} s"
              f"   MRR series {'agree' if same else 'DIFFER'}")
    for line in incremental(folder, args.months):
        print(line)
    seconds, height = records_drilldown(folder)
    print(f"records drill-down (customers behind MRR)   {seconds:8.3f} s   {height:,} rows")
    try:
        from bench.workspace import workspace_timings
    except ImportError as exc:
        print(f"workspace timings: not available ({exc})")
    else:
        for line in workspace_timings(folder, AS_OF):
            print(line)


if __name__ == "__main__":
    main()
