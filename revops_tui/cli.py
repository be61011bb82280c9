"""Command line: the workspace (no subcommand), report, check, targets, demo-data.

Exit statuses: 0 success; 1 `check` found a KPI off track; 2 bad input (bad
option, unreadable config, missing data folder or no table in it, a table that
failed validation or whose files could not be read, bad target); 3 an unexpected
error (the message says where the log is), including a query that failed on
input that reads fine (the other KPIs are still printed).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import datetime
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from revops_tui import __version__
from revops_tui.config import ConfigError
from revops_tui.formatting import format_change, format_value
from revops_tui.kpis.catalog import CATALOG, DEPARTMENTS, PANES
from revops_tui.kpis.results import Filters, KpiResult, Results

if TYPE_CHECKING:
    from revops_tui.targets.status import TargetView

EXIT_OK, EXIT_ALERT, EXIT_INPUT, EXIT_BUG = 0, 1, 2, 3


class InputError(Exception):
    """Bad input from the user: message on stderr, exit 2."""


def _data_options(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """Options shared by the workspace, report and check (same meaning everywhere).

    On subcommands the defaults are suppressed, so `revops-tui --data X report`
    keeps X (a subcommand's own default would otherwise overwrite it).
    """
    none = None if top else argparse.SUPPRESS
    parser.add_argument("--config", metavar="PATH", default=none,
                        help="config file (default ./config.toml when present)")
    parser.add_argument("--data", metavar="DIR", default=none,
                        help="folder of Parquet tables (overrides config 'data')")
    parser.add_argument("--as-of", metavar="DATE", default=none,
                        help="latest, today or YYYY-MM-DD (overrides config 'as_of')")
    parser.add_argument("--months", type=int, metavar="N", default=none,
                        help="months in every trend (overrides config 'months')")
    for name in ("segment", "region", "channel", "owner"):
        parser.add_argument(
            f"--{name}", action="append", default=[] if top else argparse.SUPPRESS, metavar=name[0].upper(),
            help=f"keep only this {name} (repeat for several)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revops-tui", description="A terminal workspace for Revenue Operations KPIs."
    )
    parser.add_argument("--version", action="version", version=f"revops-tui {__version__}")
    _data_options(parser, top=True)
    parser.add_argument("--read-only", action="store_true", help="disable target editing (viewer accounts)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    report = sub.add_parser("report", help="print every KPI", description="Print every KPI of the catalog.")
    _data_options(report)
    report.add_argument("--format", choices=("table", "json", "csv"), default="table")
    report.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output ('-': standard output)")

    check = sub.add_parser(
        "check", help="exit 1 when a KPI is off track (for cron and alerts)",
        description="Print KPIs off track and at risk; exit 0 when none is off track, 1 when any is, 2 on bad input.",
    )
    _data_options(check)

    demo = sub.add_parser("demo-data", help="write the demo dataset", description="Write a generated demo dataset.")
    demo.add_argument("out", metavar="OUT", help="folder to write the ten tables to")
    demo.add_argument("--customers", type=int, default=300)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--months", type=int, default=36)
    demo.add_argument("--force", action="store_true",
                      help="write even when OUT already holds tables (their NAME.parquet files are replaced)")

    from revops_tui.targets_cli import add_targets_parser

    add_targets_parser(sub)
    return parser


def _filters(args: argparse.Namespace) -> Filters:
    return Filters.of(segment=args.segment, region=args.region, channel=args.channel, owner=args.owner)


def _snapshot(args: argparse.Namespace):
    from revops_tui import session

    settings, notes = session.settings_from_options(args.config, args.data, args.as_of, args.months)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    try:
        snap = session.run(settings, _filters(args), strict_filters=True)
    except session.UnknownFilterValue as exc:
        raise InputError(str(exc)) from None
    failed = session.validation_problems(snap.tables)
    for note in snap.tables.notes:
        print(f"note: {note}", file=sys.stderr)
    for name, message in snap.tables.problems.items():
        print(("error: " if name in failed else "note: ") + message, file=sys.stderr)
    for message in snap.results.unreadable.values():
        print(f"error: {message}", file=sys.stderr)
    if snap.results.errors:
        where = _log("queries failed on input that reads fine:\n" + "\n".join(snap.results.errors) + "\n")
        for message in snap.results.errors:
            print(f"error: query failed: {message}", file=sys.stderr)
        print(f"revops-tui: unexpected error (a query failed); {where}", file=sys.stderr)
        return snap, EXIT_BUG
    return snap, EXIT_INPUT if failed or snap.results.unreadable else EXIT_OK


def _targets(settings, strict: bool = False) -> tuple[dict, str | None, int]:
    """(targets, error, unusable entries). With strict, entries of known KPIs that cannot be
    used are errors (`check` would silently lose their alerts), else warnings."""
    from revops_tui.targets import TargetStore

    snapshot = TargetStore.from_settings(settings).load()
    for note in snapshot.warnings:
        unusable = strict and note in snapshot.invalid
        print(f"{'error' if unusable else 'warning'}: {note}", file=sys.stderr)
    return snapshot.targets, snapshot.error, len(snapshot.invalid) if strict else 0


def _status(result: KpiResult, targets: dict) -> TargetView:
    """The target compared with the KPI's current value and its status (result_status: a sum or
    count under a filter is a part, compared with no company-wide target)."""
    from revops_tui.targets.status import result_status

    return result_status(result, targets.get(result.id))


PART_NOTE = ("(filtered part): a sum or count under a filter is a part of the company's total; "
             "the company-wide target is not compared with it")


# ----------------------------------------------------------------------------- report


def report_json(results: Results, currency: str, targets: dict) -> str:
    kpis = []
    for result in results.kpis.values():
        kpi = result.kpi
        view = _status(result, targets)
        kpis.append({
            "id": kpi.id, "name": kpi.name, "department": kpi.department, "unit": kpi.unit,
            "better": kpi.better, "value": result.value, "partial": result.partial,
            "available": result.available, "reason": result.reason,
            "not_filtered_by": list(result.not_filtered_by), "target": view.value, "status": view.status,
            "series": [{"month": m, "value": v} for m, v in result.series],
        })
    doc = {
        "as_of": results.as_of.isoformat(), "currency": currency, "filters": results.filters.as_dict(),
        "months": results.months, "partial": results.partial, "kpis": kpis,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def report_csv(results: Results) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "month", "value"])
    for result in results.kpis.values():
        for month, value in result.series:
            writer.writerow([result.id, month, "" if value is None else repr(float(value))])
    return out.getvalue()


def report_table(results: Results, currency: str, targets: dict) -> str:
    with_targets = bool(targets)
    header = ["KPI", "Value", "vs prev. month"] + (["Target", "Status"] if with_targets else [])
    lines = [
        f"as of {results.as_of.isoformat()}"
        + (" (month to date)" if results.partial else "")
        + f" · months {results.months[0]}..{results.months[-1]} · filters: {results.filters.describe()}"
    ]
    seen: set[str] = set()
    parts = 0  # KPIs whose company-wide target is not compared (a filtered sum or count)
    rows_by_dept: list[tuple[str, list[list[str]]]] = []
    for dept, ids in PANES.items():
        ids = tuple(ids) + (tuple(k for k in CATALOG if k.startswith("mrr_")) if dept == "overview" else ())
        rows = []
        for kpi_id in ids:
            if kpi_id in seen:
                continue
            seen.add(kpi_id)
            result = results[kpi_id]
            kpi = result.kpi
            if result.available:
                value = format_value(result.value, kpi.unit, currency)
                delta = format_change(result.value, result.previous, kpi.unit)
                if result.not_filtered_by:
                    delta += f"  (not filtered by {', '.join(result.not_filtered_by)})"
            else:
                value, delta = "unavailable", result.reason or ""
            row = [kpi.name, value, delta]
            if with_targets:
                from revops_tui.targets.status import SYMBOLS

                view = _status(result, targets)
                parts += view.company_wide is not None
                row += [format_value(view.value, kpi.unit, currency) if view.value is not None else "",
                        f"{SYMBOLS[view.status]} {view.status}" + (" (filtered part)" if view.company_wide is not None
                                                                   else "")]
            rows.append(row)
        rows_by_dept.append((DEPARTMENTS[dept], rows))
    all_rows = [header] + [r for _, rows in rows_by_dept for r in rows]
    widths = [max(len(r[i]) for r in all_rows if i < len(r) and i < len(header) - 1) for i in range(len(header) - 1)]

    def fmt(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1])] + [
            c.ljust(widths[i]) if i < len(widths) else c for i, c in enumerate(row[2:], start=2)
        ]
        return "  ".join(cells).rstrip()

    for dept, rows in rows_by_dept:
        lines += ["", dept, fmt(header)]
        lines += [fmt(r) for r in rows]
    if parts:
        lines += ["", PART_NOTE]
    return "\n".join(lines) + "\n"


def cmd_report(args: argparse.Namespace) -> int:
    snap, status = _snapshot(args)
    targets, error, _ = _targets(snap.settings)
    if error:
        print(f"error: {error}", file=sys.stderr)
        status = max(status, EXIT_INPUT)
    currency = snap.settings.currency
    render = {"json": report_json, "csv": lambda r, c, t: report_csv(r), "table": report_table}[args.format]
    text = render(snap.results, currency, targets)
    to_file = bool(args.output) and args.output != "-"
    if to_file:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    if args.format == "table" or to_file:
        print(f"as-of day used: {snap.as_of.isoformat()}", file=sys.stderr)
    return status


def cmd_check(args: argparse.Namespace) -> int:
    from revops_tui.targets.status import AT_RISK, OFF_TRACK, SYMBOLS

    snap, status = _snapshot(args)
    targets, error, unusable = _targets(snap.settings, strict=True)
    if error:
        raise InputError(error)
    currency = snap.settings.currency
    off = 0
    parts = []  # filtered sums and counts whose company-wide target is not checked
    for result in snap.results.kpis.values():
        view = _status(result, targets)
        target, state = view.value, view.status
        if view.company_wide is not None:
            parts.append(result.kpi.name)
        if state in (OFF_TRACK, AT_RISK):
            off += state == OFF_TRACK
            kpi = result.kpi
            print(
                f"{SYMBOLS[state]} {state:9}  {kpi.name}: {format_value(result.value, kpi.unit, currency)}"
                f" (target {format_value(target, kpi.unit, currency)}, {targets[kpi.id].direction} is better)"
            )
    print(f"as of {snap.as_of.isoformat()}: {off} off track", file=sys.stderr)
    if parts:
        print(f"note: not checked under the filter, their targets are company-wide: {', '.join(parts)}",
              file=sys.stderr)
    if unusable:
        print(f"error: {unusable} target entr{'y' if unusable == 1 else 'ies'} cannot be used "
              f"(those KPIs are not checked); fix {snap.settings.targets_file}", file=sys.stderr)
        status = max(status, EXIT_INPUT)
    if status != EXIT_OK:
        return status
    return EXIT_ALERT if off else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from revops_tui.demo import generate

    if args.customers < 1 or args.months < 1:
        raise InputError("--customers and --months must be at least 1")
    existing = _existing_tables(Path(args.out))
    if existing and not args.force:
        raise InputError(
            f"{args.out} already holds {', '.join(existing)}; not overwriting "
            "(use another folder, or --force to replace them)"
        )
    try:
        counts = generate(Path(args.out), customers=args.customers, seed=args.seed, months=args.months)
    except OSError as exc:
        raise InputError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    for table, rows in counts.items():
        print(f"{table:20} {rows:>12,} rows")
    return EXIT_OK


def _existing_tables(folder: Path) -> list[str]:
    """The contract's tables already in `folder` (NAME.parquet files or NAME/ folders)."""
    from revops_tui.contract import TABLES

    found = []
    for name in TABLES:
        for candidate in (folder / f"{name}.parquet", folder / name):
            if candidate.exists() or candidate.is_symlink():
                found.append(candidate.name + ("/" if candidate.is_dir() else ""))
    return found


def cmd_app(args: argparse.Namespace) -> int:
    # Only what the first frame needs: the data libraries load in the app's worker.
    from revops_tui.config import data_folder_problem, settings_from_options
    from revops_tui.tui.app import run_app

    settings, notes = settings_from_options(
        args.config, args.data, args.as_of, args.months, read_only=args.read_only
    )
    problem = data_folder_problem(settings)
    if problem:
        raise InputError(problem)
    return run_app(settings, _filters(args), notes)


def log_path() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir("revops-tui")) / "revops-tui.log"


EXIT_BROKEN_PIPE = 128 + 13  # as a shell reports a process ended by SIGPIPE


def _broken_pipe() -> int:
    """The reader of standard output went away (`report | head -1`): stop quietly, like a
    process ended by SIGPIPE; the rest of the output goes nowhere so exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (tests)
        pass
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"report": cmd_report, "check": cmd_check, "demo-data": cmd_demo, None: cmd_app}
    try:
        if args.command == "targets":
            from revops_tui.targets_cli import run_targets

            code = run_targets(args)
            sys.stdout.flush()
            return code
        code = commands[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        return _broken_pipe()
    except (ConfigError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception:
        where = _log(traceback.format_exc())
        print(f"revops-tui: unexpected error ({sys.exc_info()[1]!s}); {where}", file=sys.stderr)
        return EXIT_BUG


def _log(details: str) -> str:
    """Append to the log file; where the details are, for the message on stderr."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.datetime.now().isoformat()} revops-tui {' '.join(sys.argv[1:])}\n")
            log.write(details)
        return f"details in {path}"
    except OSError:
        return "the log could not be written:\n" + details
