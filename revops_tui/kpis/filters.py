"""The Filters section of kpis.md: narrow each table by the filters that apply to it."""

from __future__ import annotations

import difflib

import polars as pl

from revops_tui.kpis.catalog import FILTER_NAMES, FILTERED, IGNORED, NA, Kpi
from revops_tui.kpis.results import Filters
from revops_tui.lazy import collect_each
from revops_tui.loading import Tables

CUSTOMER_TABLES = ("subscriptions", "tickets", "nps_responses", "usage")

# Filter values that only breakdowns and their records use, for the rows that have no value of a
# dimension (a user's filter never holds them: a null never matches a filter). "\0" keeps them
# apart from any value an export can hold.
NO_VALUE = "\0no value"  # the dimension's column is null (a customer's null segment, a deal's null owner)
NO_CUSTOMER = "\0no customer"  # customer dimensions: the row's customer_id is null
UNKNOWN_CUSTOMER = "\0unknown customer"  # customer dimensions: customer_id not in customers (an orphan)
SENTINELS = (NO_VALUE, NO_CUSTOMER, UNKNOWN_CUSTOMER)


def _match(column: str, values: frozenset[str]) -> pl.Expr:
    matched = pl.col(column).is_in(sorted(values))  # null never matches a value
    return matched | pl.col(column).is_null() if NO_VALUE in values else matched


def _customer_ids(customers: pl.LazyFrame, filters: Filters, names: tuple[str, ...]) -> pl.LazyFrame:
    cond = pl.lit(True)
    for name in names:
        if getattr(filters, name):
            cond = cond & _match(name, getattr(filters, name))
    return customers.filter(cond).select("customer_id").unique()


def _by_customer(frame: pl.LazyFrame, customers: pl.LazyFrame, filters: Filters, names: tuple[str, ...]) -> pl.LazyFrame:
    """The rows of `frame` whose customer matches every customer filter in `names`.

    A row without a customer (null id, or an id not in customers) has no value of any of them:
    it matches only when each of those filters holds NO_CUSTOMER, or UNKNOWN_CUSTOMER.
    """
    kept = frame.join(_customer_ids(customers, filters, names), on="customer_id", how="semi")
    if all(UNKNOWN_CUSTOMER in getattr(filters, n) for n in names):
        orphans = frame.filter(pl.col("customer_id").is_not_null()).join(
            customers.select("customer_id"), on="customer_id", how="anti"
        )
        kept = pl.concat([kept, orphans])
    if all(NO_CUSTOMER in getattr(filters, n) for n in names):
        kept = pl.concat([kept, frame.filter(pl.col("customer_id").is_null())])
    return kept


def filter_tables(tables: Tables, filters: Filters) -> tuple[dict[str, pl.LazyFrame], dict[str, str]]:
    """Each table narrowed by the active filters that apply to it.

    Returns (frames, problems): a table that needs `customers` for a customer
    filter while `customers` is unusable gets a problem instead of a frame.
    """
    frames = dict(tables.frames)
    problems: dict[str, str] = {}
    active = filters.active()
    customer_filters = tuple(n for n in ("segment", "region", "channel") if n in active)
    deal_customer_filters = tuple(n for n in ("segment", "region") if n in active)
    customers = tables.get("customers")

    if customer_filters:
        if customers is None:
            why = f"{tables.problems.get('customers')} (needed for the {', '.join(customer_filters)} filter)"
            for name in CUSTOMER_TABLES:
                frames.pop(name, None)
                problems[name] = why
        else:
            for name in CUSTOMER_TABLES:
                if name in frames:
                    frames[name] = _by_customer(frames[name], customers, filters, customer_filters)

    if "channel" in active:
        if "leads" in frames:
            frames["leads"] = frames["leads"].filter(_match("channel", active["channel"]))
        if "expenses" in frames:
            frames["expenses"] = frames["expenses"].filter(
                (pl.col("department") == "marketing") & _match("channel", active["channel"])
            )

    deal_filter = bool(deal_customer_filters) or "owner" in active or "channel" in active
    if deal_filter and "opportunities" in frames:
        opps = frames["opportunities"]
        if "owner" in active:
            opps = opps.filter(_match("owner", active["owner"]))
        if "channel" in active:
            opps = opps.filter(_match("channel", active["channel"]))
        if deal_customer_filters:
            if customers is None:
                why = f"{tables.problems.get('customers')} (needed for the {', '.join(deal_customer_filters)} filter)"
                frames.pop("opportunities", None)
                problems["opportunities"] = why
                opps = None
            else:
                opps = _by_customer(opps, customers, filters, deal_customer_filters)
        if opps is not None:
            frames["opportunities"] = opps
    if deal_filter and "opportunity_history" in frames:
        if "opportunities" in frames:
            # In file order: the stage history's same-day rows are told apart by their order in
            # the file, and open pipeline skips its sort when the rows come deal by deal. Without
            # maintain_order the streaming engine may hand the chunks over in any order.
            frames["opportunity_history"] = frames["opportunity_history"].join(
                frames["opportunities"].select("opportunity_id").unique(), on="opportunity_id", how="semi",
                maintain_order="left",
            )
        else:
            frames.pop("opportunity_history")
            problems["opportunity_history"] = problems.get("opportunities") or (
                f"{tables.problems.get('opportunities')} (needed to filter opportunity_history)"
            )
    if "owner" in active and "quotas" in frames:
        frames["quotas"] = frames["quotas"].filter(_match("owner", active["owner"]))
    return frames, problems


def applicability(kpi: Kpi, filters: Filters) -> tuple[list[str], list[str], list[str]]:
    """The active filters under which the KPI has no value, those it ignores, those that narrow it."""
    na, ignored, narrowing = [], [], []
    for name in FILTER_NAMES:
        if getattr(filters, name):
            mode = kpi.filters[name]
            if mode == NA:
                na.append(name)
            elif mode == IGNORED:
                ignored.append(name)
            else:
                assert mode == FILTERED
                narrowing.append(name)
    return na, ignored, narrowing


# Where each filter's values live (see filter_tables): a value found in none of them matches no row.
FILTER_SOURCES: dict[str, tuple[str, ...]] = {
    "customers": ("segment", "region", "channel"),
    "leads": ("channel",),
    "opportunities": ("owner", "channel"),
    "expenses": ("channel",),  # marketing rows only
    "quotas": ("owner",),
}


def filter_values(tables: Tables) -> dict[str, list[str]]:
    """The values each filter can take in the data, sorted: the unique values of the columns of
    FILTER_SOURCES, collected together. A table that is missing or fails adds nothing."""
    names: list[str] = []
    frames: list[pl.LazyFrame] = []
    for table, columns in FILTER_SOURCES.items():
        frame = tables.frames.get(table)
        if frame is None:
            continue
        if table == "expenses":
            frame = frame.filter(pl.col("department") == "marketing")
        names.append(table)
        frames.append(frame.select(pl.col(c).cast(pl.String).drop_nulls().unique().implode() for c in columns))
    done, _failed = collect_each(frames)
    found: dict[str, set[str]] = {name: set() for name in FILTER_NAMES}
    for i, table in enumerate(names):
        if i in done:
            row = done[i].row(0, named=True)
            for column in FILTER_SOURCES[table]:
                found[column].update(row[column])
    return {name: sorted(values) for name, values in found.items()}


def unknown_filter_values(filters: Filters, values: dict[str, list[str]], shown: int = 30) -> str | None:
    """A message for the filter values that match no row (values as from filter_values), or None.

    A filter whose columns could not be read (no values known) is not judged.
    """
    problems = []
    for name, chosen in filters.active().items():
        known = values.get(name) or []
        if not known:
            continue
        for value in sorted(chosen):
            if value in known:
                continue
            folded = [k for k in known if k.casefold() == value.casefold()]
            close = folded or difflib.get_close_matches(value, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            listed = ", ".join(known[:shown]) + (f", ... ({len(known) - shown} more)" if len(known) > shown else "")
            problems.append(f"--{name} {value!r} matches no row of the data{hint}; {name} values: {listed}")
    return "\n".join(problems) or None
