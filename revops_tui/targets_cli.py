"""`revops-tui targets list|set|unset`: argparse wiring and output.

The main CLI adds the subcommand with `add_targets_parser(subparsers)` and
calls `run_targets(args)` (also set as `args.func`). Exit codes: 0 done,
2 bad input (unknown KPI, unparsable value / direction / tolerance / month,
broken config or targets file, read-only); on 2 the targets file is unchanged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from revops_tui.config import ConfigError, Settings, config_path, load_settings
from revops_tui.kpis.catalog import CATALOG
from revops_tui.targets import (
    TargetsError,
    TargetStore,
    format_plain,
    parse_direction,
    parse_month,
    parse_tolerance,
    parse_target,
)

PROG = "revops-tui targets"


def add_targets_parser(subparsers: Any) -> None:
    """Add `targets` with its own sub-commands list / set / unset."""
    parser = subparsers.add_parser(
        "targets",
        help="list, set or remove KPI targets",
        description="List, set or remove KPI targets (the file named by targets_file in the config).",
    )
    sub = parser.add_subparsers(dest="targets_command", metavar="{list,set,unset}")
    sub.required = True

    def config_option(p: argparse.ArgumentParser) -> None:
        # SUPPRESS: do not overwrite a --config given to the main parser.
        p.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                       help="config file (default: ./config.toml when present, else built-in defaults)")

    p_list = sub.add_parser("list", help="show the targets", description="Show the targets.")
    config_option(p_list)
    p_list.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: table)")

    p_set = sub.add_parser(
        "set", help="set a KPI's target",
        description="Set a KPI's target, or its dated target for one month.",
        epilog="VALUE accepts 12000, 12,000, 12k, 1.5M, 2B, $12k, 7.5% (% KPIs only). "
               "For a negative value write `-- -3k` or --value=-3k.",
    )
    p_set.add_argument("kpi", metavar="KPI", help="KPI id, e.g. mrr or win_rate")
    p_set.add_argument("value", metavar="VALUE", nargs="?", help="target value")
    p_set.add_argument("--value", dest="value_option", metavar="VALUE", help=argparse.SUPPRESS)
    p_set.add_argument("--direction", metavar="higher|lower",
                       help="which way is better (default: the current one, else the KPI's)")
    p_set.add_argument("--tolerance", metavar="PCT",
                       help="at-risk band in percent of the target (default: the current one, else 5)")
    p_set.add_argument("--month", metavar="YYYY-MM",
                       help="set the target for this month only (overrides the value that month)")
    config_option(p_set)

    p_unset = sub.add_parser("unset", help="remove a KPI's target",
                             description="Remove a KPI's target, or only its dated target for one month.")
    p_unset.add_argument("kpi", metavar="KPI", help="KPI id")
    p_unset.add_argument("--month", metavar="YYYY-MM", help="remove only this month's dated target")
    config_option(p_unset)

    parser.set_defaults(func=run_targets)


def _month(text: str) -> str:
    """--month: exactly YYYY-MM, as the help says."""
    if not re.fullmatch(r"\d{4}-\d{2}", text.strip()):
        shown = text.strip() or "(empty)"
        raise ValueError(f"--month must be YYYY-MM (for example 2025-03), not {shown!r}")
    return parse_month(text)


def _fail(message: str, err: TextIO) -> int:
    print(f"{PROG}: error: {message}", file=err)
    return 2


def resolve_settings(config: str | Path | None) -> tuple[Settings, list[str]]:
    """--config PATH, else ./config.toml when present, else defaults (ConfigError on a bad file)."""
    return load_settings(config_path(config))


def run_targets(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        settings, config_warnings = resolve_settings(getattr(args, "config", None))
    except ConfigError as exc:
        return _fail(str(exc), err)
    for warning in config_warnings:
        print(f"warning: {warning}", file=err)
    if getattr(args, "read_only", False):  # `revops-tui --read-only targets ...`
        settings = settings.with_overrides(read_only=True)
    store = TargetStore.from_settings(settings)
    command = getattr(args, "targets_command", None)
    if command == "list":
        return _list(store, getattr(args, "format", "table"), out, err)
    if command == "set":
        return _set(store, args, out, err)
    if command == "unset":
        return _unset(store, args, out, err)
    return _fail("choose one of: list, set, unset", err)


def _list(store: TargetStore, fmt: str, out: TextIO, err: TextIO) -> int:
    snapshot = store.load()
    if snapshot.error:
        return _fail(snapshot.error, err)
    for warning in snapshot.warnings:
        print(f"warning: {warning}", file=err)
    order = [kpi_id for kpi_id in CATALOG if kpi_id in snapshot.targets]
    if fmt == "json":
        rows = []
        for kpi_id in order:
            target = snapshot.targets[kpi_id]
            kpi = CATALOG[kpi_id]
            rows.append({**target.as_dict(), "name": kpi.name, "unit": kpi.unit})
        json.dump(rows, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return 0
    if not order:
        print(f"No targets set in {store.path}.", file=out)
        return 0
    header = ("KPI", "Name", "Target", "Direction", "Tolerance", "Months", "Updated")
    rows_text = [header]
    for kpi_id in order:
        target = snapshot.targets[kpi_id]
        kpi = CATALOG[kpi_id]
        months = ", ".join(f"{m}={format_plain(v, kpi.unit)}" for m, v in sorted(target.months.items()))
        updated = " by ".join(x for x in (target.updated_at, target.updated_by) if x)
        rows_text.append((
            kpi_id, kpi.name,
            format_plain(target.value, kpi.unit) if target.value is not None else "-",
            target.direction, f"{format_plain(target.tolerance)}%", months or "-", updated or "-",
        ))
    widths = [max(len(row[i]) for row in rows_text) for i in range(len(header))]
    for n, row in enumerate(rows_text):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    print(f"\n{len(order)} target(s) in {store.path}", file=out)
    return 0


def _set(store: TargetStore, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kpi_id = args.kpi
    kpi = CATALOG.get(kpi_id)
    if kpi is None:
        return _fail(str(store._unknown(kpi_id)), err)
    raw_value = args.value if args.value is not None else getattr(args, "value_option", None)
    if raw_value is None:
        return _fail("give a VALUE, e.g. `targets set mrr 120k`", err)
    try:
        value = parse_target(raw_value, kpi)
    except ValueError as exc:
        return _fail(f"value for {kpi_id}: {exc}", err)
    try:
        direction = parse_direction(args.direction) if args.direction is not None else None
        tolerance = parse_tolerance(args.tolerance) if args.tolerance is not None else None
        month = _month(args.month) if args.month is not None else None
    except ValueError as exc:
        return _fail(str(exc), err)
    snapshot = store.load()
    if snapshot.error:
        return _fail(f"{snapshot.error}; fix the file first, nothing was saved", err)
    reason = store.writable()
    if reason:
        return _fail(reason, err)
    try:
        target = store.set(kpi_id, value, direction=direction, tolerance=tolerance, month=month)
    except TargetsError as exc:
        return _fail(f"{exc}", err)
    for warning in snapshot.warnings:
        print(f"warning: {warning}", file=err)
    if store.last_warning:
        print(f"warning: {store.last_warning}", file=err)
    when = f" for {month}" if month else ""
    print(f"{kpi_id} ({kpi.name}): target{when} {format_plain(value, kpi.unit)}, "
          f"{target.direction} is better, tolerance {format_plain(target.tolerance)}% "
          f"-- saved to {store.path}", file=out)
    return 0


def _unset(store: TargetStore, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    kpi_id = args.kpi
    try:
        month = _month(args.month) if args.month is not None else None
    except ValueError as exc:
        return _fail(str(exc), err)
    snapshot = store.load()
    if snapshot.error:
        return _fail(f"{snapshot.error}; fix the file first, nothing was changed", err)
    reason = store.writable()
    if reason:
        return _fail(reason, err)
    try:
        removed = store.unset(kpi_id, month=month)
    except TargetsError as exc:
        return _fail(str(exc), err)
    if store.last_warning:
        print(f"warning: {store.last_warning}", file=err)
    what = f"{kpi_id}'s target for {month}" if month else f"{kpi_id}'s target"
    if removed:
        print(f"removed {what} from {store.path}", file=out)
    else:
        print(f"{what} was not set; nothing changed", file=out)
    return 0
