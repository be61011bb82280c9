"""Data-quality checks: kpis.md section "Data Quality" and rules 20-24.

Every check is a small declarative record in RULES:

* ``RowRule``: one table, two expressions: ``applies`` (which rows are checked,
  default every row) and ``ok`` (the row passes). ``quality_report`` folds all
  row rules of a table into one aggregate ``select`` (one pass per table, which
  also yields the table's newest event date for freshness); ``failing_records``
  filters the same table with the same two expressions.
* ``FrameRule``: a check that needs a join (customer references, accuracy):
  ``population`` (one row per checked unit) and ``failures`` (the failing units).
  The report counts both; the drill-down lists ``failures``.

So the score and its drill-down share one definition of each rule. Nothing
loops over rows in Python: everything is lazy and collected once with
``pl.collect_all``.

Counting (rule 20): completeness and validity per value, consistency per row and
rule, uniqueness per row and key (every row sharing a duplicated key fails),
accuracy per deal; each score is passes / checks x 100, pooled over tables.

Interpretations of the spec made here (kept in one place):

* Validity judges values that exist: a null is never checked by a validity rule
  (rule 21 says so for e-mails, csat and dates; the same holds for amounts,
  stages and NPS scores, which keeps the rules uniform). Nulls in the required
  fields are completeness's business.
* Uniqueness skips rows whose key is null (nothing to compare), as rule 22 says
  for the normalised e-mail. A normalised value that is empty ("" after trim) is
  not null, so it is compared like any other value.
* The normalised name is trimmed, lower-cased and has runs of inner whitespace
  collapsed to one space ("Acme  Corp" and "acme corp" are the same account);
  the normalised e-mail is trimmed and lower-cased only (inner whitespace makes
  an address invalid anyway, which validity reports).
* A check whose ``ok`` expression comes out null on a checked row counts as a
  failure (it cannot be shown to pass).
* The stage/closed_at rule and the completeness of closed_at use the configured
  won / lost / open stages of Settings; a null or unknown stage is not checked
  by either (rule 22); "known stage" validity reports the unknown ones.
* Accuracy uses every deal *row* that qualifies (a duplicated opportunity_id is
  two deals here; uniqueness reports the duplicate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Union

import polars as pl

from revops_tui.config import Settings
from revops_tui.contract import EVENT_DATES
from revops_tui.lazy import collect_each, first_line

SCORES = ("completeness", "validity", "consistency", "uniqueness", "accuracy")
SCORE_IDS = {name: f"dq_{name}" for name in SCORES}

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # rule 21, as a full match of the raw value
ACCURACY_DAYS = 30  # rule 23, inclusive, before or after closed_at
ACCURACY_MONTHS = 12  # the 12 months ending with the as-of month
ACCURACY_TABLES = ("opportunities", "subscriptions")
CUSTOMER_REF_TABLES = ("subscriptions", "opportunities", "tickets", "nps_responses", "usage")
PRIMARY_KEYS = {
    "customers": "customer_id",
    "subscriptions": "subscription_id",
    "leads": "lead_id",
    "opportunities": "opportunity_id",
    "tickets": "ticket_id",
    "nps_responses": "response_id",
}
# Freshness reads rule 21's event dates, plus quotas.month (rule 24).
FRESHNESS_DATES: dict[str, tuple[str, ...]] = {**EVENT_DATES, "quotas": ("month",)}

RECORD_SCHEMA = {name: pl.String for name in ("score", "table", "key", "column", "rule", "value")}
ROW = "_row"  # 1-based row number, only for expenses keys


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class Check:
    score: str  # one of SCORES
    table: str
    column: str  # checked column, or columns joined with "+", or "email (normalised)"
    rule: str  # short human rule text
    checked: int
    failed: int

    @property
    def passed(self) -> int:
        return self.checked - self.failed


@dataclass
class QualityReport:
    scores: dict[str, float | None]
    checks: list[Check]
    freshness: dict[str, int | None]
    unavailable: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Ctx:
    settings: Settings
    as_of: dt.date

    def stages(self, *names: tuple[str, ...]) -> pl.Series:
        # imploded: a one-element list column, what Expr.is_in expects (a bare Series is deprecated)
        return pl.Series([s for group in names for s in group], dtype=pl.String).implode()

    @property
    def configured(self) -> pl.Series:
        s = self.settings
        return self.stages(s.open_stages, s.won_stages, s.lost_stages)

    @property
    def closed(self) -> pl.Series:
        return self.stages(self.settings.won_stages, self.settings.lost_stages)

    @property
    def won(self) -> pl.Series:
        return self.stages(self.settings.won_stages)

    @property
    def window_start(self) -> dt.date:
        """First day of (as-of month - 11)."""
        months = self.as_of.year * 12 + self.as_of.month - 1 - (ACCURACY_MONTHS - 1)
        return dt.date(months // 12, months % 12 + 1, 1)


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).fill_null("null")


def _texts(columns: list[str], separator: str) -> pl.Expr:
    if len(columns) == 1:
        return _text(columns[0])
    return pl.concat_str([_text(c) for c in columns], separator=separator)


def key_expr(table: str) -> pl.Expr:
    """The row's key as text, as shown in the drill-down."""
    if table in PRIMARY_KEYS:
        return _text(PRIMARY_KEYS[table])
    if table == "opportunity_history":
        return _texts(["opportunity_id", "changed_at"], "@")
    if table == "usage":
        return _texts(["customer_id", "date"], "@")
    if table == "quotas":
        return _texts(["owner", "month"], "@")
    if table == "expenses":
        return pl.concat_str([_text("date"), _text("department"), pl.lit("row ") + pl.col(ROW).cast(pl.String)],
                             separator="/")
    raise KeyError(table)


def _keyed(lf: pl.LazyFrame, table: str) -> pl.LazyFrame:
    """Expenses have no key: number their rows (1-based) before anything filters them."""
    return lf.with_row_index(ROW, offset=1) if table == "expenses" else lf


def _value_columns(column: str) -> list[str]:
    """'created_at+closed_at' -> both; 'email (normalised)' -> the raw email."""
    return column.split(" (")[0].split("+")


# --------------------------------------------------------------------------- rule records

Frames = dict[str, pl.LazyFrame]


@dataclass(frozen=True)
class RowRule:
    """A check over the rows of one table, as two expressions."""

    score: str
    table: str
    column: str
    rule: str
    ok: Callable[[Ctx], pl.Expr]
    applies: Callable[[Ctx], pl.Expr] | None = None  # None: every row is checked

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.table,)

    def checked_expr(self, ctx: Ctx) -> pl.Expr:
        return pl.lit(True) if self.applies is None else self.applies(ctx).fill_null(False)

    def failed_expr(self, ctx: Ctx) -> pl.Expr:
        return self.checked_expr(ctx) & ~self.ok(ctx).fill_null(False)

    def counts(self, ctx: Ctx) -> tuple[pl.Expr, pl.Expr]:
        """Aggregates: number of checked rows, number of failing rows."""
        checked = pl.len() if self.applies is None else self.checked_expr(ctx).sum()
        return checked, self.failed_expr(ctx).sum()

    def failures(self, frames: Frames, ctx: Ctx) -> pl.LazyFrame:
        return _keyed(frames[self.table], self.table).filter(self.failed_expr(ctx))

    def value_expr(self) -> pl.Expr:
        return _texts(_value_columns(self.column), "+")


@dataclass(frozen=True)
class FrameRule:
    """A check that needs a join: the checked units and the failing ones as frames."""

    score: str
    table: str
    column: str
    rule: str
    needs: tuple[str, ...]
    population: Callable[[Frames, Ctx], pl.LazyFrame]
    failures: Callable[[Frames, Ctx], pl.LazyFrame]
    # One row (checked, failed) in one pass, where counting both frames would cost more.
    count: Callable[[Frames, Ctx], pl.LazyFrame] | None = None

    def value_expr(self) -> pl.Expr:
        return _texts(_value_columns(self.column), "+")

    def counts(self, frames: Frames, ctx: Ctx) -> pl.LazyFrame:
        if self.count is not None:
            return self.count(frames, ctx).select(pl.col("checked", "failed").cast(pl.Int64))
        return pl.concat(
            [
                self.population(frames, ctx).select(pl.len().alias("checked")),
                self.failures(frames, ctx).select(pl.len().alias("failed")),
            ],
            how="horizontal",
        )


Rule = Union[RowRule, FrameRule]


def _col(name: str) -> Callable[[Ctx], pl.Expr]:
    return lambda ctx: pl.col(name)


def _present(name: str) -> Callable[[Ctx], pl.Expr]:
    return lambda ctx: pl.col(name).is_not_null()


def _all_present(*names: str) -> Callable[[Ctx], pl.Expr]:
    return lambda ctx: pl.all_horizontal(pl.col(n).is_not_null() for n in names)


def _complete(table: str, column: str) -> RowRule:
    return RowRule("completeness", table, column, "not null", ok=_present(column))


def _valid(table: str, column: str, rule: str, ok: Callable[[Ctx], pl.Expr]) -> RowRule:
    # Validity judges values that exist: nulls are not checked here.
    return RowRule("validity", table, column, rule, ok=ok, applies=_present(column))


def _email(table: str) -> RowRule:
    return _valid(table, "email", "e-mail pattern", lambda ctx: pl.col("email").str.contains(EMAIL_PATTERN))


def _non_negative(table: str, column: str) -> RowRule:
    return _valid(table, column, ">= 0", lambda ctx: (pl.col(column) >= 0) & ~pl.col(column).is_nan())


def _known_stage(table: str) -> RowRule:
    return _valid(table, "stage", "known stage", lambda ctx: pl.col("stage").is_in(ctx.configured))


def _not_future(table: str, column: str) -> RowRule:
    return _valid(table, column, "not after as-of day", lambda ctx: pl.col(column) <= pl.lit(ctx.as_of))


# Uniqueness (rules 20, 22): every row of a key seen more than once fails. Counted on a
# 64-bit hash of the key (grouping integers is about twice as fast as grouping millions of
# strings); the few rows whose hash is shared are then grouped by the key itself, so a
# collision between two different keys can never count as a duplicate: the result is exact.

KEY = "_key"
HASH = "_hash"


def _hash(expr: pl.Expr) -> pl.Expr:
    return expr.hash().alias(HASH)


def _keys(lf: pl.LazyFrame, key: pl.Expr) -> pl.LazyFrame:
    """_key, _hash: one row per row with a non-null key."""
    return lf.select(key.alias(KEY)).filter(pl.col(KEY).is_not_null()).with_columns(_hash(pl.col(KEY)))


def _duplicated(keys: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(rows per hash: _hash, n; the duplicated keys with their rows: _key, n)."""
    per_hash = keys.group_by(HASH).agg(n=pl.len())
    shared = keys.join(per_hash.filter(pl.col("n") > 1).select(HASH), on=HASH, how="semi")
    return per_hash, shared.group_by(KEY).agg(n=pl.len()).filter(pl.col("n") > 1)


def _unique(table: str, column: str, key: Callable[[], pl.Expr], in_order: bool = True) -> FrameRule:
    def population(f: Frames, ctx: Ctx) -> pl.LazyFrame:
        return f[table].filter(key().is_not_null())

    def failures(f: Frames, ctx: Ctx) -> pl.LazyFrame:
        _, duplicated = _duplicated(_keys(f[table], key()))
        return f[table].with_columns(key().alias(KEY)).join(duplicated.select(KEY), on=KEY, how="semi").drop(KEY)

    def count(f: Frames, ctx: Ctx) -> pl.LazyFrame:
        keys = _keys(f[table], key())
        # Keys in strictly increasing order (how exported ids usually come) cannot repeat: the
        # hash tables are then built over no rows (half the time). Exact either way. Not tried
        # for keys that are never in order (normalised names, e-mails): when the order test
        # fails it costs more than it saves elsewhere (1M customers: name 0.5 -> 0.3 CPU-s
        # without it, e-mail 0.45 -> 0.3).
        k = pl.col(KEY)
        _, duplicated = _duplicated(keys.filter(~(k > k.shift(1)).slice(1).all()) if in_order else keys)
        return pl.concat(
            [keys.select(checked=pl.len()), duplicated.select(failed=pl.col("n").sum())], how="horizontal"
        )

    return FrameRule("uniqueness", table, column, "unique key", (table,), population, failures, count)


def _unique_key(table: str) -> FrameRule:
    key = PRIMARY_KEYS[table]
    return _unique(table, key, lambda: pl.col(key))


def _normalised_email() -> pl.Expr:
    return pl.col("email").str.strip_chars().str.to_lowercase()


def _normalised_name() -> pl.Expr:
    # trim + lower case + inner runs of whitespace collapsed to one space. Written as "a run
    # of two or more, or one that is not a plain space": the same result as \s+ -> " ", but
    # the single spaces between words (nearly every match of \s+) are left alone: 3x faster.
    return pl.col("name").str.strip_chars().str.to_lowercase().str.replace_all(r"\s{2,}|[\s&&[^ ]]", " ")


def _unique_normalised(column: str, norm: Callable[[], pl.Expr]) -> FrameRule:
    # A null raw value normalises to null and is skipped; "" after trimming is a value.
    return _unique("customers", f"{column} (normalised)", norm, in_order=False)


# Customer references (rule 22): every non-null customer_id must exist in customers.
# A table's rows per customer_id come from by_customer(table) when the caller has that
# summary (usage: read once for adoption and this check), else each row counts once.

def by_customer(table: str) -> str:
    """The frame name under which a caller passes a table's rows per customer_id."""
    return f"{table}_by_customer"


def _rows_by_customer(f: Frames, table: str) -> pl.LazyFrame:
    """customer_id, rows for the table's non-null customer_ids: the summary's counts, or one
    row per row (no group-by: the reference check below needs none)."""
    summary = f.get(by_customer(table))
    if summary is None:
        summary = f[table].select("customer_id", rows=pl.lit(1, dtype=pl.UInt32))
    return summary.select("customer_id", "rows").filter(pl.col("customer_id").is_not_null())


def _known_customers(f: Frames) -> pl.LazyFrame:
    return f["customers"].select(pl.col("customer_id").drop_nulls().unique())


def _orphans(f: Frames, table: str) -> pl.LazyFrame:
    """customer_id, rows: the table's customer_ids that are not in customers."""
    return _rows_by_customer(f, table).join(_known_customers(f), on="customer_id", how="anti")


def _ref_population(table: str) -> Callable[[Frames, Ctx], pl.LazyFrame]:
    return lambda f, ctx: f[table].filter(pl.col("customer_id").is_not_null())


def _ref_failures(table: str) -> Callable[[Frames, Ctx], pl.LazyFrame]:
    # The orphan ids first, then the rows with one of them.
    def build(f: Frames, ctx: Ctx) -> pl.LazyFrame:
        orphans = _orphans(f, table).select("customer_id").unique()
        return _ref_population(table)(f, ctx).join(orphans, on="customer_id", how="semi")
    return build


def _ref_count(table: str) -> Callable[[Frames, Ctx], pl.LazyFrame]:
    # Joined on a 64-bit hash of the id (twice as fast as a join on strings), then the ids
    # themselves compared: a row counts as found only when its id equals a known one, so a
    # hash collision cannot hide an orphan. Known ids are distinct: at most one equal match.
    def count(f: Frames, ctx: Ctx) -> pl.LazyFrame:
        hashed = _hash(pl.col("customer_id"))
        rows = _rows_by_customer(f, table).with_columns(hashed)
        found = rows.join(_known_customers(f).with_columns(hashed), on=HASH, suffix="_known").select(
            found=pl.col("rows").filter(pl.col("customer_id") == pl.col("customer_id_known")).sum()
        )
        checked = rows.select(checked=pl.col("rows").sum())
        return pl.concat([checked, found], how="horizontal").select(
            "checked", failed=pl.col("checked") - pl.col("found")
        )
    return count


def _customer_exists(table: str) -> FrameRule:
    return FrameRule("consistency", table, "customer_id", "customer exists", (table, "customers"),
                     _ref_population(table), _ref_failures(table), _ref_count(table))


# Accuracy (rule 23): won new_business deals with a customer, closed in the 12-month window.

def _accuracy_deals(f: Frames, ctx: Ctx) -> pl.LazyFrame:
    return f["opportunities"].with_row_index("_deal").filter(
        pl.col("stage").is_in(ctx.won)
        & (pl.col("type") == "new_business")
        & pl.col("customer_id").is_not_null()
        & pl.col("closed_at").is_between(pl.lit(ctx.window_start), pl.lit(ctx.as_of))
    )


def _accuracy_failures(f: Frames, ctx: Ctx) -> pl.LazyFrame:
    deals = _accuracy_deals(f, ctx)
    starts = f["subscriptions"].select("customer_id", "start_date").filter(pl.col("start_date").is_not_null())
    hits = (
        deals.select("_deal", "customer_id", "closed_at")
        .join(starts, on="customer_id", how="inner")
        .filter((pl.col("start_date") - pl.col("closed_at")).dt.total_days().abs() <= ACCURACY_DAYS)
        .select("_deal")
        .unique()
    )
    return deals.join(hits, on="_deal", how="anti")


def _stage_closed_ok(ctx: Ctx) -> pl.Expr:
    # won or lost stage has closed_at, open stage has none
    return pl.col("stage").is_in(ctx.closed) == pl.col("closed_at").is_not_null()


RULES: tuple[Rule, ...] = (
    # -- completeness: per value, nulls fail (an empty string is not null)
    *(_complete("customers", c) for c in ("name", "email", "segment", "region", "channel")),
    *(_complete("leads", c) for c in ("channel", "email")),
    *(_complete("opportunities", c) for c in ("owner", "amount", "channel")),
    RowRule("completeness", "opportunities", "closed_at", "not null when won or lost", ok=_present("closed_at"),
            applies=lambda ctx: pl.col("stage").is_in(ctx.closed)),
    # -- validity: per non-null value
    _email("customers"),
    _email("leads"),
    _non_negative("subscriptions", "mrr"),
    _non_negative("opportunities", "amount"),
    _non_negative("opportunity_history", "amount"),
    _non_negative("expenses", "amount"),
    _known_stage("opportunities"),
    _known_stage("opportunity_history"),
    _valid("nps_responses", "score", "0 to 10", lambda ctx: pl.col("score").is_between(0, 10)),
    _valid("tickets", "csat", "1 to 5", lambda ctx: pl.col("csat").is_between(1, 5)),
    *(_not_future(table, column) for table, columns in EVENT_DATES.items() for column in columns),
    # -- consistency: per row and rule
    RowRule("consistency", "opportunities", "created_at+closed_at", "closed_at >= created_at",
            ok=lambda ctx: pl.col("closed_at") >= pl.col("created_at"),
            applies=_all_present("created_at", "closed_at")),
    RowRule("consistency", "opportunities", "stage+closed_at", "stage/closed_at", ok=_stage_closed_ok,
            applies=lambda ctx: pl.col("stage").is_in(ctx.configured)),
    RowRule("consistency", "subscriptions", "start_date+end_date", "end_date > start_date",
            ok=lambda ctx: pl.col("end_date") > pl.col("start_date"), applies=_present("end_date")),
    RowRule("consistency", "subscriptions", "start_date+term_end", "term_end >= start_date",
            ok=lambda ctx: pl.col("term_end") >= pl.col("start_date"), applies=_present("term_end")),
    *(_customer_exists(t) for t in CUSTOMER_REF_TABLES),
    # -- uniqueness: per row and key; every row sharing a duplicated key fails
    *(_unique_key(t) for t in PRIMARY_KEYS),
    _unique_normalised("email", _normalised_email),
    _unique_normalised("name", _normalised_name),
    # -- accuracy: per deal
    FrameRule("accuracy", "opportunities", "customer_id+closed_at", "subscription within 30 days",
              ACCURACY_TABLES, _accuracy_deals, _accuracy_failures),
)


# --------------------------------------------------------------------------- report


def _collect(plan: list[tuple[tuple, pl.LazyFrame]]) -> tuple[dict[int, pl.DataFrame], dict[int, str]]:
    done, failed = collect_each([lf for _, lf in plan])
    return done, {i: first_line(exc) for i, exc in failed.items()}


def _available(rule: Rule, frames: Frames) -> bool:
    return all(t in frames for t in rule.needs)


def plan_quality(
    frames: dict[str, pl.LazyFrame],
    settings: Settings,
    as_of: dt.date,
    problems: dict[str, str] | None = None,
) -> "QualityPlan":
    """The frames to collect for the report and how to finish it from them (so that a caller
    can collect them together with its own frames: one collect per view)."""
    ctx = Ctx(settings, as_of)
    problems = problems or {}
    rules = [r for r in RULES if _available(r, frames)]

    # One aggregate select per table: its row rules (checked / failed) and its newest event date.
    plan: list[tuple[tuple, pl.LazyFrame]] = []
    for table, lf in frames.items():
        table_rules = [(i, r) for i, r in enumerate(rules) if isinstance(r, RowRule) and r.table == table]
        exprs: list[pl.Expr] = []
        # Columns named by the rule's place among its table's rules: the same whichever other
        # tables are available (a kept result of this frame stays readable, see kpis.memo).
        for j, (_, r) in enumerate(table_rules):
            checked, failed = r.counts(ctx)
            exprs += [checked.alias(f"c{j}"), failed.alias(f"f{j}")]
        dates = FRESHNESS_DATES.get(table, ())
        if dates:
            exprs.append(pl.max_horizontal([pl.col(c).max() for c in dates]).alias("_newest"))
        if exprs:
            plan.append(((table, table_rules), lf.select(exprs)))
    for i, r in enumerate(rules):
        if isinstance(r, FrameRule):
            plan.append(((i, r), r.counts(frames, ctx)))

    def finish(done: dict[int, pl.DataFrame], errors: dict[int, str]) -> QualityReport:
        return _finish(plan, done, errors, rules, frames, problems, ctx, settings, as_of)

    reads = [
        (("rows", what[0]), (what[0],)) if isinstance(what[0], str)
        else ((what[1].score, what[1].table, what[1].column, what[1].rule), what[1].needs)
        for what, _ in plan
    ]
    return QualityPlan([lf for _, lf in plan], finish, reads)


@dataclass
class QualityPlan:
    frames: list[pl.LazyFrame]
    finish: Callable[[dict[int, pl.DataFrame], dict[int, str]], QualityReport]
    # Per frame: a name for it and the tables it reads (the usage summary is usage).
    reads: list[tuple[tuple, tuple[str, ...]]] = field(default_factory=list)


def quality_report(
    frames: dict[str, pl.LazyFrame],
    settings: Settings,
    as_of: dt.date,
    problems: dict[str, str] | None = None,
) -> QualityReport:
    """Every check over the whole current data, the five scores, freshness and crm_quality."""
    plan = plan_quality(frames, settings, as_of, problems)
    done, errors = _collect([(None, lf) for lf in plan.frames])
    return plan.finish(done, errors)


def _finish(plan, done, errors, rules, frames, problems, ctx, settings, as_of) -> QualityReport:
    counts: dict[int, tuple[int, int]] = {}
    freshness: dict[str, int | None] = {}
    broken: dict[str, str] = {}  # score -> reason, when some of its checks could not be read
    for n, (what, _) in enumerate(plan):
        if isinstance(what[0], str):
            table, table_rules = what
            if n in errors:
                reason = f"table {table}: query failed: {errors[n]}"
                for _, r in table_rules:
                    broken.setdefault(r.score, reason)
                if table in FRESHNESS_DATES:
                    broken.setdefault("freshness", reason)
                continue
            row = done[n].row(0, named=True)
            for j, (i, _) in enumerate(table_rules):
                counts[i] = (int(row[f"c{j}"] or 0), int(row[f"f{j}"] or 0))
            if "_newest" in row:
                newest = row["_newest"]
                freshness[table] = (as_of - newest).days if newest is not None else None
        else:
            i, r = what
            if n in errors:
                broken.setdefault(r.score, f"{r.table} {r.rule}: query failed: {errors[n]}")
                continue
            row = done[n].row(0, named=True)
            counts[i] = (int(row["checked"]), int(row["failed"]))

    checks = [Check(r.score, r.table, r.column, r.rule, *counts[i]) for i, r in enumerate(rules) if i in counts]

    scores: dict[str, float | None] = {}
    unavailable: dict[str, str] = {}
    for name in SCORES:
        dq = SCORE_IDS[name]
        checked = sum(c.checked for c in checks if c.score == name)
        failed = sum(c.failed for c in checks if c.score == name)
        scores[dq] = (checked - failed) / checked * 100.0 if checked else None
        if name in broken:
            scores[dq] = None
            unavailable[dq] = broken[name]
        elif name == "accuracy" and any(t not in frames for t in ACCURACY_TABLES):
            # The reason text of the (first) missing table, verbatim: the engine adds the problems of
            # every table of the KPI itself and de-duplicates identical texts.
            missing = next(t for t in ACCURACY_TABLES if t not in frames)
            unavailable[dq] = problems.get(missing, f"table {missing} not available")
        elif checked == 0:
            unavailable[dq] = _nothing_checked(name, ctx)

    known = [days for days in freshness.values() if days is not None]
    if "freshness" in broken:
        scores["dq_freshness"] = None
        unavailable["dq_freshness"] = broken["freshness"]
    else:
        scores["dq_freshness"] = float(max(known)) if known else None
        if not known:
            unavailable["dq_freshness"] = "no table has event dates"

    scores["crm_quality"], reason = _crm_quality(scores, settings)
    if reason:
        unavailable["crm_quality"] = reason
    return QualityReport(scores=scores, checks=checks, freshness=freshness, unavailable=unavailable)


def _nothing_checked(name: str, ctx: Ctx) -> str:
    if name == "accuracy":
        return (f"no won new_business deal with a customer closed from {ctx.window_start.isoformat()} "
                f"to {ctx.as_of.isoformat()}")
    return f"nothing to check for {name}"


def _crm_quality(scores: dict[str, float | None], settings: Settings) -> tuple[float | None, str | None]:
    """Weighted mean of the five scores that have a value (rule 24)."""
    weights = settings.quality_weights
    valued = [(scores[SCORE_IDS[n]], float(weights.get(n, 1.0))) for n in SCORES
              if scores.get(SCORE_IDS[n]) is not None]
    if not valued:
        return None, "no quality score has a value"
    total = sum(w for _, w in valued)
    if total <= 0:
        return None, "the quality weights of the scores with a value sum to 0"
    return sum(v * w for v, w in valued) / total, None  # type: ignore[operator]


# --------------------------------------------------------------------------- drill-down


def failing_records(
    frames: dict[str, pl.LazyFrame],
    settings: Settings,
    as_of: dt.date,
    score: str | None = None,
    table: str | None = None,
    rule: str | None = None,
    column: str | None = None,
) -> pl.LazyFrame:
    """One row per failing value / row / key / deal (all String columns), lazily.

    Columns: score, table, key, column, rule, value. The optional arguments narrow
    it to one score, table, rule text and checked column (exact matches).
    """
    ctx = Ctx(settings, as_of)
    parts = []
    for r in RULES:
        if not _available(r, frames):
            continue
        if (score is not None and r.score != score) or (table is not None and r.table != table):
            continue
        if (rule is not None and r.rule != rule) or (column is not None and r.column != column):
            continue
        parts.append(
            r.failures(frames, ctx).select(
                pl.lit(r.score, pl.String).alias("score"),
                pl.lit(r.table, pl.String).alias("table"),
                key_expr(r.table).alias("key"),
                pl.lit(r.column, pl.String).alias("column"),
                pl.lit(r.rule, pl.String).alias("rule"),
                r.value_expr().alias("value"),
            ).sort("key", nulls_last=True, maintain_order=True)  # one order from load to load (group_by has none)
        )
    if not parts:
        return pl.LazyFrame(schema=RECORD_SCHEMA)
    return pl.concat(parts, how="vertical")
