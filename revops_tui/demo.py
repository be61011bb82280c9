"""The demo dataset: all ten contract tables, generated deterministically.

Everything is drawn with NumPy in whole arrays (one array per attribute, one
element per account, deal or row; Python loops only run over tables and usage
chunks), so a million customers take well under a minute. A single
``numpy.random.default_rng(seed)`` feeds every draw in a fixed order, so the
same arguments always give the same bytes.

The story behind the numbers: accounts arrive at a growing rate; self-serve
accounts may trial at 0 MRR first, sales-led accounts get a new-business deal
that is won, lost or still open, and won deals start billing within two weeks
(a few much later). Paying customers churn, renew or not, upgrade or downgrade,
add a second plan, and sometimes come back. Tickets, NPS answers and usage
follow the paying periods. A small sprinkle of defects (``_defect_*``) gives
every Data Quality rule of kpis.md something to find.

Dates are handled as int64 day numbers (days since 1970-01-01); ``NEVER`` marks
"no such date" and turns into null when a frame is built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import polars as pl

from revops_tui.contract import TABLES

DEMO_END = dt.date(2026, 11, 15)

NEVER = np.int64(1_000_000_000)  # a day number far beyond any end: "no date"
NAT = np.iinfo(np.int64).min  # numpy's NaT, which Polars reads as null
US_PER_DAY = 86_400_000_000

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_P = (0.62, 0.28, 0.10)
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_P = (0.45, 0.30, 0.15, 0.10)
CHANNELS = ("organic", "paid_search", "paid_social", "events", "referral", "outbound", "partner")
CHANNEL_P = (0.22, 0.20, 0.12, 0.10, 0.10, 0.16, 0.10)
OUTBOUND = CHANNELS.index("outbound")
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")
WON, LOST = 4, 5
UNKNOWN_STAGE = "verbal_commit"
DEAL_TYPES = ("new_business", "expansion", "renewal")
PLANS = ("Starter", "Growth", "Pro", "Enterprise", "Analytics add-on")
ADDON_PLAN = 4
PRIORITIES = ("low", "normal", "high", "urgent")
DEPARTMENTS = ("marketing", "sales", "customer_success", "other")
REPS = (
    "Ava Thompson", "Liam Carter", "Sofia Martinez", "Noah Kim", "Mia Patel",
    "Lucas Silva", "Emma Rossi", "Ethan Brooks", "Chloe Dubois", "Kenji Watanabe",
)
FOUNDING_REPS = 8  # the last two reps are hired a third and two thirds into the period

# Per segment (SMB, Mid-Market, Enterprise).
MRR_MEDIAN = np.array([150.0, 1200.0, 7000.0])
MRR_SIGMA = np.array([0.5, 0.45, 0.5])
MRR_LOW = np.array([50.0, 500.0, 3000.0])
MRR_HIGH = np.array([500.0, 3000.0, 20000.0])
MRR_STEP = np.array([5.0, 25.0, 100.0])
SALES_LED_P = np.array([0.25, 0.8, 1.0])
TRIAL_P = np.array([0.55, 0.35, 0.0])  # self-serve accounts that start with a 0-MRR trial
PILOT_P = np.array([0.05, 0.1, 0.25])  # sales-led accounts that start with a 0-MRR pilot
WIN_P = np.array([0.7, 0.65, 0.6])  # deals of accounts; deals of prospects are lost
NB_CYCLE_DAYS = np.array([30.0, 60.0, 110.0])
ANNUAL_P = np.array([0.25, 0.6, 0.9])
MONTHLY_CHURN = np.array([0.035, 0.018, 0.01])  # hazard of month-to-month customers
RENEW_P = np.array([0.78, 0.86, 0.92])
CHANGES_PER_YEAR = np.array([0.4, 0.8, 1.0])  # upgrades and downgrades
ADDON_P = np.array([0.04, 0.12, 0.25])
TICKETS_PER_MONTH = np.array([0.12, 0.4, 1.5])
DAILY_USAGE_P = np.array([0.003, 0.015, 0.08])
SEATS_MEDIAN = np.array([8.0, 60.0, 600.0])
SEATS_HIGH = np.array([40, 400, 5000])

USAGE_CHUNK = 4_000_000  # usage rows built at a time
GROWTH = 2.5  # accounts arrive 2.5x faster at the end than at the start
UNLINKED_DEALS = 0.8  # deals with no account (prospects lost early), per customer
UNCONVERTED_LEADS = 1.0  # leads that never became a deal, per customer
LOST_REACH_P = (0.3, 0.3, 0.25, 0.15)  # last open stage of a lost deal
REOPEN_P = 0.05
DELAYED_START_P = 0.03  # won deals whose subscription starts 40-100 days later
PRIORITY_P = (0.3, 0.45, 0.18, 0.07)
RESOLUTION_HOURS = np.array([60.0, 24.0, 8.0, 2.0])  # median per priority
CSAT_FAST_P = (0.04, 0.05, 0.11, 0.30, 0.50)
CSAT_SLOW_P = (0.15, 0.15, 0.25, 0.25, 0.20)
NPS_P = (0.01, 0.01, 0.015, 0.02, 0.025, 0.04, 0.07, 0.10, 0.19, 0.25, 0.27)
CPA = np.array([300.0, 1400.0, 1100.0, 2600.0, 500.0, 400.0, 900.0])  # marketing per account, by channel
SALES_PER_ACCOUNT = 6000.0
CS_PER_CUSTOMER_DAY = 2.0
OTHER_PER_ACCOUNT = 800.0
BRAND_PER_ACCOUNT = 150.0

BRAND_A = (
    "Acme Apex Arbor Atlas Aurora Beacon Birch Blue Bold Bright Canyon Cedar Cobalt Copper Coral "
    "Crest Crystal Delta Eagle Echo Ember Evergreen Falcon Fern Forge Fox Frontier Golden Granite "
    "Green Harbor Hawk Horizon Indigo Iron Ivy Jade Juniper Keystone Lake Lantern Laurel Legacy "
    "Liberty Lunar Maple Meadow Mercury Midway Monarch North Nova Oak Ocean Onyx Orbit Pacific "
    "Pine Pioneer Prairie Quartz Radiant Raven Red River Sage Sierra Silver Sky Solar Spruce "
    "Summit Swift Terra Tidal Union Urban Valley Vector Vista West Willow Zenith"
).split()
BRAND_B = (
    "works bridge gate line point path wave stream ridge mark view way craft shift stack cloud "
    "core loop grid spark flow hub port star bay wood well light base wise sight leaf vale mill "
    "field logic scale sync beam tide fleet quest nest keep mint labs bit byte dock peak crown "
    "arc rise vault lane wing yard tree ward haven forge glen brook hill side land berg ton "
    "ville more ly io ify able zen pulse track bloom"
).split()
INDUSTRIES = (
    "Analytics Labs Systems Software Logistics Health Foods Energy Robotics Media Capital "
    "Networks Security Learning Retail Motors Biotech Design Consulting Travel"
).split()
LEGAL = ("Inc", "LLC", "Ltd", "GmbH", "SAS", "BV", "Pty Ltd", "SA")
TLDS = (".com", ".io", ".co.uk", ".de", ".fr", ".nl", ".com.au", ".com.br")
FIRST_NAMES = (
    "james mary john patricia robert jennifer michael linda david elizabeth william barbara "
    "richard susan joseph jessica thomas sarah carlos maria ana luis sofia mateo yuki hiro "
    "wei li priya arjun fatima omar lena jonas elena marco chloe lucas emma noah olivia liam"
).split()
LAST_NAMES = (
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
    "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white "
    "harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres "
    "nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts"
).split()
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com")


# --------------------------------------------------------------------------- basics


@dataclass(frozen=True)
class _Ctx:
    rng: np.random.Generator
    n: int  # customers
    start: int  # first day of the first month
    end: int  # last day covered
    width: int  # digits of the customer numbers
    customer_ids: pl.Series  # "C00001"... of account 0, 1, ...

    @property
    def days(self) -> int:
        return self.end - self.start + 1


def _epoch(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _context(rng: np.random.Generator, n: int, months: int, end: dt.date) -> _Ctx:
    first = (np.datetime64(end, "M") - (months - 1)).astype("datetime64[D]")
    width = max(5, len(str(n)) + 1)  # room for the orphan ids past n
    return _Ctx(rng, n, int(first.astype(np.int64)), _epoch(end), width, _ids("C", np.arange(1, n + 1), width))


def _month_starts(ctx: _Ctx) -> np.ndarray:
    first = np.datetime64(ctx.start, "D").astype("datetime64[M]")
    last = np.datetime64(ctx.end, "D").astype("datetime64[M]")
    return np.arange(first, last + 1).astype("datetime64[D]").astype(np.int64)


def _expand(counts: np.ndarray, dtype: type = np.int64) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and index within the parent for `counts[i]` children of each i."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(counts.size, dtype=dtype), counts)
    offsets = (np.cumsum(counts) - counts).astype(dtype)
    return parent, np.arange(parent.size, dtype=dtype) - offsets[parent]


def _prev(values: np.ndarray, fill: object) -> np.ndarray:
    """values shifted one place down (fill first); empty stays empty."""
    return np.concatenate(([fill], values[:-1]))[: values.size]


def _next(values: np.ndarray, fill: object) -> np.ndarray:
    """values shifted one place up (fill last); empty stays empty."""
    return np.concatenate((values[1:], [fill]))[: values.size]


def _growth_days(ctx: _Ctx, size: int) -> np.ndarray:
    """Days in [start, end] drawn with a density growing GROWTH-fold over the period."""
    x = np.log1p(ctx.rng.random(size) * (GROWTH - 1)) / np.log(GROWTH)
    return ctx.start + (x * ctx.days).astype(np.int64)


def _growth_rate(ctx: _Ctx, days: np.ndarray) -> np.ndarray:
    """Expected accounts created per day (the density behind _growth_days, times n)."""
    x = (days - ctx.start) / ctx.days
    return ctx.n * np.log(GROWTH) * GROWTH**x / (GROWTH - 1) / ctx.days


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: np.ndarray | float,
               low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    return np.clip(median * np.exp(rng.normal(0.0, 1.0, np.size(median)) * sigma), low, high)


def _months_to_days(rng: np.random.Generator, hazard: np.ndarray) -> np.ndarray:
    """A lifetime in days, whole months geometric with the monthly hazard."""
    months = rng.geometric(hazard) - 1 + rng.random(np.size(hazard))
    return np.maximum(1, np.round(months * 30.44)).astype(np.int64)


def _future_days(ctx: _Ctx, size: int) -> np.ndarray:
    """Days just after the end, kept inside the end's month when it has days left,
    so that an as-of of "latest" stays in the same month."""
    month_end = int((np.datetime64(ctx.end, "D").astype("datetime64[M]") + 1).astype("datetime64[D]")
                    .astype(np.int64)) - 1
    days = ctx.end + ctx.rng.integers(1, 11, size)
    return np.minimum(days, month_end) if month_end > ctx.end else days


# --------------------------------------------------------------------------- Series builders


def _date(days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    days = np.asarray(days, dtype=np.int64)
    if valid is not None:
        days = np.where(valid, days, NAT)
    return pl.Series(days.view("datetime64[D]"))


def _datetime(us: np.ndarray, valid: np.ndarray) -> pl.Series:
    return pl.Series(np.where(valid, us, NAT).view("datetime64[us]"))


def _pick(words: tuple[str, ...] | list[str], idx: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    out = pl.Series(list(words), dtype=pl.String).gather(np.asarray(idx, dtype=np.int64).clip(0))
    return _null_where(out, None if valid is None else ~valid)


def _null_where(series: pl.Series, mask: np.ndarray | None) -> pl.Series:
    if mask is not None and mask.any():
        series = series.clone()
        series.scatter(np.flatnonzero(mask), None)
    return series


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    digits = pl.Series(np.asarray(numbers, dtype=np.int64)).cast(pl.String).str.zfill(width)
    return pl.select(pl.concat_str(pl.lit(prefix), digits)).to_series()


def _customer_ids(ctx: _Ctx, idx: np.ndarray) -> pl.Series:
    """Ids of account indexes; -1 gives null."""
    idx = np.asarray(idx, dtype=np.int64)
    return _null_where(ctx.customer_ids.gather(idx.clip(0)), idx < 0)


def _cdf_pick(u: np.ndarray, probs: tuple[float, ...]) -> np.ndarray:
    cdf = np.cumsum(probs)
    return np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), len(probs) - 1)


# --------------------------------------------------------------------------- names and e-mails


def _company_space() -> int:
    return len(BRAND_A) * len(BRAND_B) * len(INDUSTRIES) * len(LEGAL)


def _company_parts(k: np.ndarray) -> tuple[np.ndarray, ...]:
    k = k % _company_space()
    k, legal = np.divmod(k, len(LEGAL))
    k, industry = np.divmod(k, len(INDUSTRIES))
    a, b = np.divmod(k, len(BRAND_B))
    return a, b, industry, legal


def _company_names(k: np.ndarray) -> pl.Series:
    """Unique names for distinct k; past the word space a number keeps them apart."""
    a, b, industry, legal = _company_parts(k)
    extra = k // _company_space()
    return pl.select(
        pl.concat_str(
            _pick(BRAND_A, a), _pick(BRAND_B, b), pl.lit(" "), _pick(INDUSTRIES, industry),
            pl.lit(" "), _pick(LEGAL, legal),
            pl.when(pl.lit(pl.Series(extra)) > 0).then(pl.lit(" ") + pl.lit(pl.Series(extra + 1)).cast(pl.String))
            .otherwise(pl.lit("")),
        )
    ).to_series()


def _company_domains(k: np.ndarray) -> pl.Series:
    a, b, industry, legal = _company_parts(k)
    extra = k // _company_space()
    return pl.select(
        pl.concat_str(
            _pick(BRAND_A, a).str.to_lowercase(), _pick(BRAND_B, b),
            _pick(INDUSTRIES, industry).str.to_lowercase(),
            pl.when(pl.lit(pl.Series(extra)) > 0).then(pl.lit(pl.Series(extra + 1)).cast(pl.String))
            .otherwise(pl.lit("")),
            _pick(TLDS, legal),
        )
    ).to_series()


def _person_emails(rng: np.random.Generator, domains: pl.Series) -> pl.Series:
    n = domains.len()
    first = _pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n))
    last = _pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n))
    return pl.select(pl.concat_str(first, pl.lit("."), last, pl.lit("@"), domains)).to_series()


def _free_mail(rng: np.random.Generator, n: int) -> pl.Series:
    first = _pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n))
    last = _pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n))
    number = pl.Series(rng.integers(1, 100, n)).cast(pl.String)
    host = _pick(FREE_MAIL, rng.integers(0, len(FREE_MAIL), n))
    return pl.select(pl.concat_str(first, pl.lit("."), last, number, pl.lit("@"), host)).to_series()


# --------------------------------------------------------------------------- accounts


@dataclass
class _Accounts:
    seg: np.ndarray
    region: np.ndarray
    channel: np.ndarray
    created: np.ndarray
    sales_led: np.ndarray
    owner: np.ndarray  # rep of the account (used for its deals)
    tier: np.ndarray  # plan index
    mrr0: np.ndarray  # first paid MRR (also the ACV / 12 of its new-business deal)
    company: np.ndarray  # index into the company-name space


def _rep_starts(ctx: _Ctx) -> np.ndarray:
    months = _month_starts(ctx)
    hired = [months[len(months) // 3], months[2 * len(months) // 3]]
    return np.array([ctx.start] * FOUNDING_REPS + hired[: len(REPS) - FOUNDING_REPS], dtype=np.int64)


def _owner_on(ctx: _Ctx, days: np.ndarray) -> np.ndarray:
    """A rep already hired on each day, uniformly."""
    available = np.searchsorted(_rep_starts(ctx), days, side="right").clip(1)
    return (ctx.rng.random(days.size) * available).astype(np.int64)


def _plan_tier(rng: np.random.Generator, seg: np.ndarray) -> np.ndarray:
    u = rng.random(seg.size)
    return np.select([seg == 0, seg == 1], [np.where(u < 0.6, 0, 1), np.where(u < 0.35, 1, 2)], 3)


def _accounts(ctx: _Ctx) -> _Accounts:
    rng, n = ctx.rng, ctx.n
    seg = rng.choice(3, n, p=SEGMENT_P)
    region = rng.choice(4, n, p=REGION_P)
    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
    created = np.sort(_growth_days(ctx, n))  # customer numbers follow creation order
    sales_led = (rng.random(n) < SALES_LED_P[seg]) | (channel == OUTBOUND)
    owner = _owner_on(ctx, created)
    tier = _plan_tier(rng, seg)
    mrr = _lognormal(rng, MRR_MEDIAN[seg], MRR_SIGMA[seg], MRR_LOW[seg], MRR_HIGH[seg])
    mrr0 = np.round(mrr / MRR_STEP[seg]) * MRR_STEP[seg]
    company = rng.choice(max(n, _company_space()), n, replace=False)
    return _Accounts(seg, region, channel, created, sales_led, owner, tier, mrr0, company)


# --------------------------------------------------------------------------- deals (before history)


@dataclass
class _Deals:
    kind: np.ndarray  # index into DEAL_TYPES
    customer: np.ndarray  # account index, -1 = none
    owner: np.ndarray
    channel: np.ndarray  # -1 = none
    lead: np.ndarray  # lead-sourced
    created: np.ndarray
    close: np.ndarray
    won: np.ndarray
    reached: np.ndarray  # last open stage entered before closing (0..3)
    amount: np.ndarray  # final amount (ACV)
    reopen: np.ndarray  # closed_lost, then back to an open stage
    reopen_day: np.ndarray
    reopen_stage: np.ndarray
    close2: np.ndarray
    won2: np.ndarray


def _deals(kind: int, customer: np.ndarray, owner: np.ndarray, channel: np.ndarray, lead: np.ndarray,
           created: np.ndarray, close: np.ndarray, won: np.ndarray, reached: np.ndarray,
           amount: np.ndarray) -> _Deals:
    size = created.size
    zero = np.zeros(size, dtype=np.int64)
    return _Deals(np.full(size, kind), customer, owner, channel, lead, created, close, won, reached,
                  amount, np.zeros(size, dtype=bool), zero, zero, zero, np.zeros(size, dtype=bool))


def _concat_deals(parts: list[_Deals]) -> _Deals:
    return _Deals(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(_Deals)))


def _lost_reach(rng: np.random.Generator, size: int, probs: tuple[float, ...] = LOST_REACH_P) -> np.ndarray:
    return rng.choice(4, size, p=probs)


def _reopened(rng: np.random.Generator, deals: _Deals, won_again: float) -> _Deals:
    """Some lost deals come back 20-120 days later to an open stage, then close again."""
    size = deals.created.size
    deals.reopen = ~deals.won & (rng.random(size) < REOPEN_P)
    deals.reopen_day = deals.close + rng.integers(20, 121, size)
    deals.reopen_stage = np.minimum(rng.integers(1, 3, size), deals.reached)
    deals.close2 = deals.reopen_day + rng.integers(15, 61, size)
    deals.won2 = deals.reopen & (rng.random(size) < won_again)
    return deals


def _new_business(ctx: _Ctx, acc: _Accounts) -> tuple[_Deals, np.ndarray]:
    """One deal per sales-led account; returns the deals and each account's won day (NEVER if none)."""
    rng = ctx.rng
    ix = np.flatnonzero(acc.sales_led)
    seg = acc.seg[ix]
    created = acc.created[ix] + rng.integers(0, 6, ix.size)
    close = created + _lognormal(rng, NB_CYCLE_DAYS[seg], 0.5, 7, 300).astype(np.int64)
    won = rng.random(ix.size) < WIN_P[seg]
    reached = np.where(won, 3, _lost_reach(rng, ix.size))
    lead = (acc.channel[ix] != OUTBOUND) & (rng.random(ix.size) < 0.7)
    deals = _reopened(rng, _deals(0, ix, acc.owner[ix], acc.channel[ix], lead, created, close, won, reached,
                                  acc.mrr0[ix] * 12), won_again=0.5)
    won_day = np.full(ctx.n, NEVER)
    won_day[ix] = np.where(won, close, np.where(deals.won2, deals.close2, NEVER))
    return deals, won_day


# --------------------------------------------------------------------------- subscriptions


@dataclass
class _Life:
    """Each account's billing life, plus the subscription rows built from it."""

    pays: np.ndarray
    s: np.ndarray  # first paid day (NEVER if none)
    e: np.ndarray  # first day no longer paying (may be after the end: still running)
    annual: np.ndarray
    terms: np.ndarray  # annual terms the customer will sign in total
    uplift: np.ndarray  # +5% at each renewal
    addon: np.ndarray  # a second plan from day `a`
    a: np.ndarray
    addon_mrr: np.ndarray
    term_cust: np.ndarray  # one entry per term that started by the end (j = 0, 1, ...)
    term_j: np.ndarray
    main_key: np.ndarray  # main-line rows, sorted: customer * KEY + start day
    main_mrr: np.ndarray
    up_cust: np.ndarray  # upgrades: customer, day, MRR added
    up_day: np.ndarray
    up_mrr: np.ndarray
    span_cust: np.ndarray  # paid periods (main and reactivation), end exclusive, capped at end + 1
    span_start: np.ndarray
    span_end: np.ndarray
    rows: pl.DataFrame
    billed: np.ndarray  # accounts with at least one subscription row


KEY = 1_000_000  # day numbers stay far below this, so customer * KEY + day sorts by both


def _group_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running sum of `values` that restarts where `first` is True."""
    total = np.cumsum(values)
    begin = np.maximum.accumulate(np.where(first, np.arange(values.size), 0))
    return total - total[begin] + values[begin]


def _starts(ctx: _Ctx, acc: _Accounts, won_day: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trial start, trial end and first paid day of every account (NEVER when none)."""
    rng, n = ctx.rng, ctx.n
    trial = ~acc.sales_led & (rng.random(n) < TRIAL_P[acc.seg])
    trial_len = rng.choice(np.array([14, 30]), n)
    converts = rng.random(n) < 0.62
    self_start = np.where(trial, np.where(converts, acc.created + trial_len, NEVER),
                          acc.created + rng.integers(0, 4, n))

    delayed = rng.random(n) < DELAYED_START_P
    lag = np.where(delayed, rng.integers(40, 101, n), rng.integers(0, 15, n))
    begin = won_day + lag
    # keep on-time starts inside the period, so that recent wins still bill
    begin = np.where(~delayed & (won_day <= ctx.end), np.minimum(begin, ctx.end), begin)
    pilot = acc.sales_led & (rng.random(n) < PILOT_P[acc.seg])

    trial_start = np.where(acc.sales_led, np.where(pilot, begin, NEVER), np.where(trial, acc.created, NEVER))
    trial_end = np.where(acc.sales_led, begin + 30, acc.created + trial_len)
    s = np.where(acc.sales_led, np.where(pilot, begin + 30, begin), self_start)
    s = np.where(s > ctx.end, NEVER, s)
    trial_start = np.where(trial_start > ctx.end, NEVER, trial_start)
    return trial_start, trial_end, s


def _main_line(ctx: _Ctx, acc: _Accounts, s: np.ndarray, e: np.ndarray, count: np.ndarray,
               annual: np.ndarray, uplift: np.ndarray) -> dict[str, np.ndarray]:
    """The main plan's rows: a row starts on the first paid day, on each renewal
    (a term of 365 days) and on each upgrade or downgrade."""
    rng, seg = ctx.rng, acc.seg
    t_cust, t_j = _expand(count)
    live = np.maximum(np.minimum(e, ctx.end + 1) - s - 30, 0) * (count > 0)
    changes = rng.poisson(CHANGES_PER_YEAR[seg] * live / 365)
    c_cust, _ = _expand(changes)
    c_day = s[c_cust] + 30 + (rng.random(c_cust.size) * live[c_cust]).astype(np.int64)
    up = rng.random(c_cust.size) < 0.65
    c_factor = np.where(up, rng.uniform(1.1, 1.6, c_cust.size), rng.uniform(0.6, 0.9, c_cust.size))
    c_move = np.where(rng.random(c_cust.size) < 0.3, np.where(up, 1, -1), 0)

    cust = np.concatenate([t_cust, c_cust])
    day = np.concatenate([s[t_cust] + 365 * t_j, c_day])
    is_term = np.concatenate([np.ones(t_cust.size, bool), np.zeros(c_cust.size, bool)])
    factor = np.concatenate([np.where(uplift[t_cust] & (t_j > 0), 1.05, 1.0), c_factor])
    move = np.concatenate([np.zeros(t_cust.size, np.int64), c_move])
    order = np.lexsort((~is_term, day, cust))
    cust, day, is_term, factor, move = cust[order], day[order], is_term[order], factor[order], move[order]
    # a change on the day of another event is dropped (no zero-length rows)
    keep = (cust != _prev(cust, -1)) | (day != _prev(day, -1))
    cust, day, is_term, factor, move = cust[keep], day[keep], is_term[keep], factor[keep], move[keep]

    first = cust != _prev(cust, -1)
    last = cust != _next(cust, -1)
    sg = seg[cust]
    mrr = acc.mrr0[cust] * np.exp(_group_cumsum(np.log(factor), first))
    mrr = np.clip(np.round(mrr / MRR_STEP[sg]) * MRR_STEP[sg], MRR_LOW[sg] * 0.5, MRR_HIGH[sg] * 2)
    tier = np.where(sg == 2, acc.tier[cust], np.clip(acc.tier[cust] + _group_cumsum(move, first), 0, 2))
    term = _group_cumsum(is_term.astype(np.int64), first) - 1
    row_end = np.where(last, e[cust], _next(day, NEVER))
    term_end = np.where(annual[cust], s[cust] + 365 * (term + 1), NEVER)
    added = mrr - _prev(mrr, 0.0)
    grew = ~is_term & ~first & (added > 0)
    return dict(cust=cust, start=day, end=row_end, term_end=term_end, tier=tier, mrr=mrr,
                up=grew, up_mrr=added, t_cust=t_cust, t_j=t_j)


def _subscriptions(ctx: _Ctx, acc: _Accounts, won_day: np.ndarray) -> _Life:
    rng, n, end, seg = ctx.rng, ctx.n, ctx.end, acc.seg
    trial_start, trial_end, s = _starts(ctx, acc, won_day)
    pays = s <= end

    annual = rng.random(n) < ANNUAL_P[seg]
    terms = rng.geometric(1 - RENEW_P[seg])
    e = np.where(annual, s + 365 * terms, s + _months_to_days(rng, MONTHLY_CHURN[seg]))
    e = np.where(pays, e, NEVER)
    uplift = annual & (rng.random(n) < 0.4)
    count = np.where(pays, np.where(annual, np.minimum(terms, (end - s) // 365 + 1), 1), 0)
    main = _main_line(ctx, acc, s, e, count, annual, uplift)

    # reactivation: a churned customer comes back month to month
    react = pays & (e <= end - 30) & (rng.random(n) < 0.2)
    r = e + rng.integers(30, 301, n)
    react &= r <= end
    e2 = r + _months_to_days(rng, MONTHLY_CHURN[seg])
    r_mrr = np.round(acc.mrr0 * rng.uniform(0.7, 1.2, n) / MRR_STEP[seg]) * MRR_STEP[seg]

    # multi-plan: an add-on billed next to the main plan
    addon = pays & (rng.random(n) < ADDON_P[seg])
    a = s + rng.integers(20, 401, n)
    addon &= (a <= end) & (a < e)
    a_end = np.minimum(e, a + _months_to_days(rng, np.full(n, 0.03)))
    addon_mrr = np.maximum(10.0, np.round(acc.mrr0 * rng.uniform(0.1, 0.3, n)))

    tr, rx, ax = np.flatnonzero(trial_start <= end), np.flatnonzero(react), np.flatnonzero(addon)
    cust = np.concatenate([tr, main["cust"], rx, ax])
    starts = np.concatenate([trial_start[tr], main["start"], r[rx], a[ax]])
    ends = np.concatenate([trial_end[tr], main["end"], e2[rx], a_end[ax]])
    # a trial's end is scheduled and known; a paid row's end is null until it has happened
    end_known = np.concatenate([np.ones(tr.size, bool), main["end"] <= end, e2[rx] <= end, a_end[ax] <= end])
    term_end = np.concatenate([np.full(tr.size, NEVER), main["term_end"], np.full(rx.size + ax.size, NEVER)])
    plan = np.concatenate([acc.tier[tr], main["tier"], acc.tier[rx], np.full(ax.size, ADDON_PLAN)])
    mrr = np.concatenate([np.zeros(tr.size), main["mrr"], r_mrr[rx], addon_mrr[ax]])

    order = np.lexsort((plan, starts, cust))
    rows = pl.DataFrame({
        "subscription_id": _ids("S", np.arange(1, order.size + 1), 8),
        "customer_id": _customer_ids(ctx, cust[order]),
        "plan": _pick(PLANS, plan[order]),
        "mrr": pl.Series(mrr[order], dtype=pl.Float64),
        "start_date": _date(starts[order]),
        "end_date": _date(ends[order], end_known[order]),
        "term_end": _date(term_end[order], term_end[order] != NEVER),
    })

    paid = np.flatnonzero(pays)
    span_cust = np.concatenate([paid, rx])
    span_start = np.concatenate([s[paid], r[rx]])
    span_end = np.minimum(np.concatenate([e[paid], e2[rx]]), end + 1)
    sort = np.lexsort((span_start, span_cust))
    up = main["up"]
    return _Life(
        pays, s, e, annual, terms, uplift, addon, a, addon_mrr, main["t_cust"], main["t_j"],
        main["cust"] * KEY + main["start"], main["mrr"],
        main["cust"][up], main["start"][up], main["up_mrr"][up],
        span_cust[sort], span_start[sort], span_end[sort], rows, np.isin(np.arange(n), cust),
    )


# --------------------------------------------------------------------------- more deals


def _expansions(ctx: _Ctx, acc: _Accounts, life: _Life) -> list[_Deals]:
    rng = ctx.rng
    out = []
    # won: the upgrades and add-ons of sales-led customers
    sold = acc.sales_led[life.up_cust]
    ax = np.flatnonzero(acc.sales_led & life.addon)
    for ix, day, value in (
        (life.up_cust[sold], life.up_day[sold], life.up_mrr[sold] * 12),
        (ax, life.a[ax], life.addon_mrr[ax] * 12),
    ):
        close = day - rng.integers(0, 8, ix.size)
        cycle = _lognormal(rng, np.full(ix.size, 30.0), 0.5, 7, 120).astype(np.int64)
        created = np.maximum(close - cycle, life.s[ix])
        out.append(_deals(1, ix, acc.owner[ix], acc.channel[ix], np.zeros(ix.size, bool), created, close,
                          np.ones(ix.size, bool), np.full(ix.size, 3), np.round(value, -1)))
    # lost attempts
    ix = np.flatnonzero(acc.sales_led & life.pays & (ctx.rng.random(ctx.n) < 0.25))
    created = life.s[ix] + rng.integers(30, 401, ix.size)
    keep = created < np.minimum(life.e[ix], ctx.end + 1)
    ix, created = ix[keep], created[keep]
    close = created + _lognormal(rng, np.full(ix.size, 35.0), 0.5, 7, 150).astype(np.int64)
    amount = np.round(acc.mrr0[ix] * rng.uniform(0.3, 1.0, ix.size) * 12, -1)
    out.append(_deals(1, ix, acc.owner[ix], acc.channel[ix], np.zeros(ix.size, bool), created, close,
                      np.zeros(ix.size, bool), _lost_reach(rng, ix.size, (0.2, 0.4, 0.3, 0.1)), amount))
    return out


def _renewals(ctx: _Ctx, acc: _Accounts, life: _Life) -> _Deals:
    """A renewal deal ahead of every term end of sales-led annual customers."""
    rng = ctx.rng
    sel = acc.sales_led[life.term_cust] & life.annual[life.term_cust]
    cust, j = life.term_cust[sel], life.term_j[sel]
    tau = life.s[cust] + 365 * (j + 1)
    created = tau - 90 + rng.integers(0, 21, cust.size)
    close = tau - rng.integers(0, 26, cust.size)
    won = j + 1 < life.terms[cust]
    reached = np.where(won, 3, _lost_reach(rng, cust.size, (0.1, 0.2, 0.3, 0.4)))
    # the MRR billed just before the term end, with the renewal uplift
    before = np.searchsorted(life.main_key, cust * KEY + tau) - 1
    mrr = life.main_mrr[before] * np.where(life.uplift[cust], 1.05, 1.0)
    return _deals(2, cust, acc.owner[cust], acc.channel[cust], np.zeros(cust.size, bool), created, close,
                  won, reached, np.round(mrr * 12, -1))


def _unlinked(ctx: _Ctx) -> _Deals:
    """Deals of prospects with no account record: lost early (or still open)."""
    rng = ctx.rng
    size = int(round(UNLINKED_DEALS * ctx.n))
    created = _growth_days(ctx, size)
    seg = rng.choice(3, size, p=SEGMENT_P)
    channel = rng.choice(len(CHANNELS), size, p=CHANNEL_P)
    close = created + _lognormal(rng, NB_CYCLE_DAYS[seg], 0.5, 7, 300).astype(np.int64)
    amount = np.round(_lognormal(rng, MRR_MEDIAN[seg], MRR_SIGMA[seg], MRR_LOW[seg], MRR_HIGH[seg]) * 12, -2)
    lead = (channel != OUTBOUND) & (rng.random(size) < 0.5)
    deals = _deals(0, np.full(size, -1), _owner_on(ctx, created), channel, lead, created, close,
                   np.zeros(size, bool), _lost_reach(rng, size, (0.35, 0.3, 0.2, 0.15)), amount)
    return _reopened(rng, deals, won_again=0.0)  # a prospect with no account is never won


# --------------------------------------------------------------------------- stage history


@dataclass
class _Pipeline:
    deals: _Deals  # only deals opened by the end, in opportunity-id order
    history: pl.DataFrame
    opportunities: pl.DataFrame
    last_rows: np.ndarray  # each deal's last history row (its current state)


def _pipeline(ctx: _Ctx, d: _Deals) -> _Pipeline:
    rng, end = ctx.rng, ctx.end
    keep_deal = d.created <= end
    d = _Deals(*(getattr(d, f.name)[keep_deal] for f in fields(_Deals)))
    order = np.lexsort((np.arange(d.created.size), d.created))
    d = _Deals(*(getattr(d, f.name)[order] for f in fields(_Deals)))
    size = d.created.size

    n_open = d.reached + 1
    # a deal lost early dies early: it spends (stages + 1) / 5 of its cycle
    cycle = (d.close - d.created) * np.where(d.won, 1.0, (n_open + 1) / 5)
    close = np.maximum(d.created + cycle.astype(np.int64), d.created + n_open)  # every change on its own day
    reopen_day = np.maximum(d.reopen_day, close + 1)
    close2 = np.maximum(d.close2, reopen_day + 1)
    first_amount = np.round(d.amount * rng.uniform(0.7, 1.4, size), -1)
    proposal_amount = np.round(d.amount * rng.uniform(0.9, 1.15, size), -1)

    deal, i = _expand(n_open + 1 + 2 * d.reopen)
    opened = i < n_open[deal]
    # open stage i on created + i + floor(f * slack) with f in [i/n, (i+0.8)/n): strictly increasing
    frac = np.where(i == 0, 0.0, (i + 0.8 * rng.random(i.size)) / n_open[deal])
    slack = close[deal] - d.created[deal] - n_open[deal]
    first_close = i == n_open[deal]
    reopened = i == n_open[deal] + 1
    day = np.select(
        [opened, first_close, reopened],
        [d.created[deal] + i + np.floor(frac * slack).astype(np.int64), close[deal], reopen_day[deal]],
        close2[deal],
    )
    stage = np.select(
        [opened, first_close, reopened],
        [i, np.where(d.won[deal], WON, LOST), d.reopen_stage[deal]],
        np.where(d.won2[deal], WON, LOST),
    )
    amount = np.select([opened & (i < 2), opened & (i == 2)],
                       [first_amount[deal], proposal_amount[deal]], d.amount[deal])
    kept = day <= end
    deal, stage, day, amount = deal[kept], stage[kept], day[kept], amount[kept]

    last = np.flatnonzero(deal != _next(deal, -1))  # each deal's state at the end
    cur_stage, cur_day, cur_amount = stage[last], day[last], amount[last]
    closed = cur_stage >= WON
    qual_rows = np.flatnonzero(stage == 1)
    qual_deal, first_qual = np.unique(deal[qual_rows], return_index=True)
    qualified = np.full(size, NEVER)
    qualified[qual_deal] = day[qual_rows[first_qual]]

    opp_ids = _ids("O", np.arange(1, size + 1), 8)
    history = pl.DataFrame({
        "opportunity_id": opp_ids.gather(deal),
        "stage": _pick(STAGES, stage),
        "amount": pl.Series(amount, dtype=pl.Float64),
        "changed_at": _date(day),
    })
    opportunities = pl.DataFrame({
        "opportunity_id": opp_ids,
        "customer_id": _customer_ids(ctx, d.customer),
        "lead_id": pl.repeat(None, size, dtype=pl.String, eager=True),  # filled by _leads
        "owner": _pick(REPS, d.owner),
        "type": _pick(DEAL_TYPES, d.kind),
        "channel": _pick(CHANNELS, d.channel, d.channel >= 0),
        "created_at": _date(d.created),
        "qualified_at": _date(qualified, qualified <= end),
        "stage": _pick(STAGES, cur_stage),
        "amount": pl.Series(cur_amount, dtype=pl.Float64),
        "closed_at": _date(cur_day, closed),
    })
    return _Pipeline(d, history, opportunities, last)


# --------------------------------------------------------------------------- leads


def _leads(ctx: _Ctx, pipe: _Pipeline, acc: _Accounts) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Leads (those that became deals, and the rest); returns leads and opportunities with lead_id."""
    rng, end, d = ctx.rng, ctx.end, pipe.deals
    conv = np.flatnonzero(d.lead)
    c_created = np.maximum(ctx.start, d.created[conv] - rng.integers(1, 46, conv.size))
    c_mql = c_created + (rng.random(conv.size) * (d.created[conv] - c_created + 1)).astype(np.int64)
    c_mql_known = rng.random(conv.size) < 0.92
    linked = d.customer[conv] >= 0
    company = np.where(linked, acc.company[d.customer[conv].clip(0)],
                       rng.integers(0, _company_space(), conv.size))

    other = int(round(UNCONVERTED_LEADS * ctx.n))
    o_created = _growth_days(ctx, other)
    o_mql = o_created + rng.integers(0, 15, other)
    o_mql_known = (rng.random(other) < 0.3) & (o_mql <= end)
    o_channel = rng.choice(len(CHANNELS), other, p=CHANNEL_P)
    o_free = rng.random(other) < 0.12

    emails = pl.concat([
        _person_emails(rng, _company_domains(company)),
        pl.select(pl.when(pl.lit(pl.Series(o_free))).then(_free_mail(rng, other))
                  .otherwise(_person_emails(rng, _company_domains(rng.integers(0, _company_space(), other)))))
        .to_series(),
    ])
    created = np.concatenate([c_created, o_created])
    order = np.lexsort((np.arange(created.size), created))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    lead_ids = _ids("L", np.arange(1, created.size + 1), 8)
    mql = np.concatenate([c_mql, o_mql])
    converted = np.concatenate([d.created[conv], np.full(other, NEVER)])
    opp = np.concatenate([conv, np.full(other, -1)])
    leads = pl.DataFrame({
        "lead_id": lead_ids,
        "created_at": _date(created[order]),
        "channel": _pick(CHANNELS, np.concatenate([d.channel[conv], o_channel])[order]),
        "email": emails.gather(order),
        "qualified_at": _date(mql[order], np.concatenate([c_mql_known, o_mql_known])[order]),
        "converted_at": _date(converted[order], converted[order] <= end),
        "opportunity_id": _null_where(pipe.opportunities["opportunity_id"].gather(opp[order].clip(0)),
                                      opp[order] < 0),
    })
    lead_of_deal = np.full(d.created.size, -1)
    lead_of_deal[conv] = rank[: conv.size]
    opportunities = pipe.opportunities.with_columns(
        _null_where(lead_ids.gather(lead_of_deal.clip(0)), lead_of_deal < 0).alias("lead_id")
    )
    return leads, opportunities


# --------------------------------------------------------------------------- other tables


def _customers(ctx: _Ctx, acc: _Accounts) -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": ctx.customer_ids,
        "name": _company_names(acc.company),
        "email": _person_emails(ctx.rng, _company_domains(acc.company)),
        "segment": _pick(SEGMENTS, acc.seg),
        "region": _pick(REGIONS, acc.region),
        "channel": _pick(CHANNELS, acc.channel),
        "created_at": _date(acc.created),
    })


def _quotas(ctx: _Ctx, opportunities: pl.DataFrame) -> pl.DataFrame:
    """Monthly quota per hired rep, set from the trend of new and expansion bookings."""
    months = _month_starts(ctx)
    won = opportunities.filter(
        (pl.col("stage") == "closed_won") & pl.col("type").is_in(["new_business", "expansion"])
        & pl.col("closed_at").is_not_null()
    )
    closed_month = won["closed_at"].dt.truncate("1mo").cast(pl.Int32).to_numpy().astype(np.int64)
    booked = np.bincount(np.searchsorted(months, closed_month), weights=won["amount"].to_numpy(),
                         minlength=months.size)[: months.size]
    x = np.arange(months.size, dtype=float)
    full = x[:-1] if months.size > 2 else x  # the last month is partial
    slope, base = np.polyfit(full, booked[: full.size], 1) if full.size > 1 else (0.0, booked.mean())
    trend = np.maximum(base + slope * x, booked.mean() * 0.25)
    hires = _rep_starts(ctx)
    reps_on = np.searchsorted(hires, months, side="right")
    rep, m = _expand(np.full(len(REPS), months.size))
    on = hires[rep] <= months[m]
    rep, m = rep[on], m[on]
    personal = ctx.rng.uniform(0.85, 1.2, len(REPS))[rep]
    amount = np.maximum(np.round(trend[m] / reps_on[m] * personal * 1.1, -2), 500.0)
    return pl.DataFrame({
        "owner": _pick(REPS, rep),
        "month": _date(months[m]),
        "amount": pl.Series(amount, dtype=pl.Float64),
    }).sort("month", "owner")


def _tickets(ctx: _Ctx, acc: _Accounts, life: _Life) -> pl.DataFrame:
    rng, end = ctx.rng, ctx.end
    length = life.span_end - life.span_start
    count = rng.poisson(TICKETS_PER_MONTH[acc.seg[life.span_cust]] * length / 30.44)
    span, _ = _expand(count)
    size = span.size
    day = life.span_start[span] + (rng.random(size) * length[span]).astype(np.int64)
    office = rng.random(size) < 0.85
    seconds = np.where(office, np.clip(rng.normal(14 * 3600, 3.5 * 3600, size), 0, 86_399),
                       rng.integers(0, 86_400, size)).astype(np.int64)
    created = day * US_PER_DAY + seconds * 1_000_000
    priority = _cdf_pick(rng.random(size), PRIORITY_P)
    hours = RESOLUTION_HOURS[priority] * np.exp(rng.normal(0.0, 0.9, size))
    resolved = created + np.round(hours * 3600).astype(np.int64) * 1_000_000
    is_resolved = (resolved < (end + 1) * US_PER_DAY) & (rng.random(size) > 0.005)
    slow = hours > 2 * RESOLUTION_HOURS[priority]
    u = rng.random(size)
    csat = np.where(slow, _cdf_pick(u, CSAT_SLOW_P), _cdf_pick(u, CSAT_FAST_P)) + 1
    has_csat = is_resolved & (rng.random(size) < 0.4)
    order = np.lexsort((life.span_cust[span], created))
    return pl.DataFrame({
        "ticket_id": _ids("T", np.arange(1, size + 1), 8),
        "customer_id": _customer_ids(ctx, life.span_cust[span][order]),
        "created_at": _datetime(created[order], np.ones(size, bool)),
        "resolved_at": _datetime(resolved[order], is_resolved[order]),
        "priority": _pick(PRIORITIES, priority[order]),
        "csat": _null_where(pl.Series(csat[order], dtype=pl.Int64), ~has_csat[order]),
    })


def _nps(ctx: _Ctx, life: _Life) -> pl.DataFrame:
    """A survey 60 days after the start and every quarter after; 40% answer."""
    rng = ctx.rng
    first = life.span_start + 60
    count = np.where(life.span_end - 1 >= first, (life.span_end - 1 - first) // 91 + 1, 0)
    span, k = _expand(count)
    day = first[span] + 91 * k + rng.integers(0, 14, span.size)
    answer = (rng.random(span.size) < 0.4) & (day <= ctx.end)
    span, day = span[answer], day[answer]
    score = _cdf_pick(rng.random(span.size), NPS_P)
    order = np.lexsort((life.span_cust[span], day))
    return pl.DataFrame({
        "response_id": _ids("R", np.arange(1, span.size + 1), 8),
        "customer_id": _customer_ids(ctx, life.span_cust[span][order]),
        "responded_at": _date(day[order]),
        "score": pl.Series(score[order], dtype=pl.Int64),
    })


def _usage(ctx: _Ctx, acc: _Accounts, life: _Life) -> pl.DataFrame:
    """Daily rows for a few customers, weekly rows dated Monday for the rest.

    By far the biggest table (a row per paying customer and week), so it is built
    in chunks of spans with 32-bit arrays and one uniform draw per row.
    """
    rng, n = ctx.rng, ctx.n
    daily = rng.random(n) < DAILY_USAGE_P[acc.seg]
    paying = np.flatnonzero(life.pays)
    if paying.size and not daily[paying].any():  # small runs still show both kinds
        daily[rng.choice(paying)] = True
    seats = _lognormal(rng, SEATS_MEDIAN[acc.seg], 0.6, 1, SEATS_HIGH[acc.seg]).astype(np.int64)
    engagement = np.where(rng.random(n) < 0.06, 0.0, rng.beta(4, 3, n))  # some never use it
    cust, start, stop = life.span_cust, life.span_start, life.span_end
    monday = start + (4 - start) % 7  # 1970-01-05 (day 4) was a Monday
    first = np.where(daily[cust], start, monday)
    step = np.where(daily[cust], 1, 7)
    count = np.where(stop - 1 >= first, (stop - 1 - first) // step + 1, 0)
    fades = stop <= ctx.end  # engagement fades over the last three months before a churn
    mean = seats[cust] * engagement[cust]

    bounds = np.searchsorted(np.cumsum(count), np.arange(USAGE_CHUNK, count.sum(), USAGE_CHUNK))
    frames = []
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, cust.size]):
        span, k = _expand(count[lo:hi], np.int32)
        span += lo
        day = (first[span] + step[span] * k).astype(np.int32)
        expected = mean[span].astype(np.float32)
        fading = np.flatnonzero(fades[span])
        expected[fading] *= np.clip((stop[span[fading]] - day[fading]) / 90, 0.3, 1.0).astype(np.float32)
        on_daily = np.flatnonzero(daily[cust[span]])
        expected[on_daily] *= np.where((day[on_daily] + 3) % 7 < 5, 0.55, 0.12).astype(np.float32)
        noise = rng.random(day.size, dtype=np.float32) * np.float32(0.6) + np.float32(0.7)
        row_seats = seats[cust[span]]
        active = np.minimum(np.floor(expected * noise + np.float32(0.5)).astype(np.int64), row_seats)
        frames.append(pl.DataFrame({
            "customer_id": _customer_ids(ctx, cust[span]),
            "date": pl.Series(day).cast(pl.Date),
            "active_users": pl.Series(active, dtype=pl.Int64),
            "seats": pl.Series(row_seats, dtype=pl.Int64),
        }))
    return pl.concat(frames, rechunk=False)


def _expenses(ctx: _Ctx, life: _Life) -> pl.DataFrame:
    """Daily marketing (per channel), sales and success spend; weekly brand and other costs."""
    rng = ctx.rng
    days = np.arange(ctx.start, ctx.end + 1)
    arrivals = _growth_rate(ctx, days)
    delta = np.zeros(ctx.days + 1)
    np.add.at(delta, life.span_start - ctx.start, 1)
    np.add.at(delta, np.minimum(life.span_end, ctx.end + 1) - ctx.start, -1)
    paying = np.cumsum(delta)[:-1]
    mondays = days[(days + 3) % 7 == 0]
    weekly = _growth_rate(ctx, mondays) * 7

    parts = [(days, 0, c, arrivals * CHANNEL_P[c] * CPA[c]) for c in range(len(CHANNELS))]
    parts += [
        (days, 1, -1, arrivals * SALES_PER_ACCOUNT),
        (days, 2, -1, paying * CS_PER_CUSTOMER_DAY),
        (mondays, 0, -1, weekly * BRAND_PER_ACCOUNT),
        (mondays, 3, -1, weekly * OTHER_PER_ACCOUNT),
    ]
    day = np.concatenate([p[0] for p in parts])
    dept = np.concatenate([np.full(p[0].size, p[1]) for p in parts])
    channel = np.concatenate([np.full(p[0].size, p[2]) for p in parts])
    amount = np.concatenate([p[3] for p in parts]) * np.exp(rng.normal(0.0, 0.25, day.size))
    keep = np.flatnonzero(amount >= 0.005)  # no success cost before the first customer pays
    day, dept, channel, amount = day[keep], dept[keep], channel[keep], amount[keep]
    order = np.lexsort((channel, dept, day))
    return pl.DataFrame({
        "date": _date(day[order]),
        "department": _pick(DEPARTMENTS, dept[order]),
        "channel": _pick(CHANNELS, channel[order], channel[order] >= 0),
        "amount": pl.Series(np.round(amount[order], 2), dtype=pl.Float64),
    })


# --------------------------------------------------------------------------- defects


def _few(rows: int, rate: float) -> int:
    """How many rows get a defect: the rate, but at least one."""
    return max(1, int(round(rows * rate)))


class _Picker:
    """Distinct random rows of one table, never the same row for two defects."""

    def __init__(self, rng: np.random.Generator, size: int):
        self.rng = rng
        self.used = np.zeros(size, dtype=bool)

    def take(self, count: int, where: np.ndarray | None = None) -> np.ndarray:
        candidates = np.flatnonzero(~self.used if where is None else where & ~self.used)
        picked = np.sort(self.rng.choice(candidates, min(count, candidates.size), replace=False))
        self.used[picked] = True
        return picked


def _set(df: pl.DataFrame, column: str, rows: np.ndarray, values: pl.Series | list | None) -> pl.DataFrame:
    if rows.size == 0:
        return df
    series = df[column].clone()
    series.scatter(rows, values if values is not None else pl.Series([None] * rows.size, dtype=series.dtype))
    return df.with_columns(series)


def _orphans(ctx: _Ctx, count: int) -> pl.Series:
    """Ids in the customer format that belong to no customer (deleted accounts)."""
    return _ids("C", ctx.n + 1 + ctx.rng.integers(0, max(10, ctx.n // 100), count), ctx.width)


def _defect_customers(ctx: _Ctx, df: pl.DataFrame) -> pl.DataFrame:
    pick = _Picker(ctx.rng, df.height)
    n = df.height
    df = _set(df, "email", pick.take(_few(n, 0.01)), None)
    df = _set(df, "segment", pick.take(_few(n, 0.005)), None)
    bad = pick.take(_few(n, 0.006))
    broken = [
        df["email"].gather(bad).str.replace("@", " at ", literal=True),
        df["email"].gather(bad).str.replace("@", "", literal=True),
        df["email"].gather(bad).str.replace_all(".", "", literal=True),
    ]
    df = _set(df, "email", bad, pl.select(
        pl.when(pl.int_range(bad.size) % 3 == 0).then(broken[0])
        .when(pl.int_range(bad.size) % 3 == 1).then(broken[1]).otherwise(broken[2])).to_series())
    pairs = _few(n, 0.001)
    for column, twist in (
        ("email", lambda s: s.str.to_uppercase()),
        ("email", lambda s: pl.select(pl.concat_str(pl.lit(" "), s, pl.lit(" "))).to_series()),
        ("name", lambda s: s),
    ):
        source, target = pick.take(pairs), pick.take(pairs)
        df = _set(df, column, target, twist(df[column].gather(source)))
    twins = pick.take(_few(n, 0.001))
    return pl.concat([df, df[twins]]).sort("customer_id", maintain_order=True)


def _defect_subscriptions(ctx: _Ctx, df: pl.DataFrame) -> pl.DataFrame:
    rng, n = ctx.rng, df.height
    pick = _Picker(rng, n)
    monthly = df["term_end"].is_null().to_numpy()
    rows = pick.take(_few(n, 0.004), monthly)
    start = df["start_date"].gather(rows).cast(pl.Int64).to_numpy()
    df = _set(df, "term_end", rows, _date(start - rng.integers(1, 61, rows.size)))
    # voided rows: end_date on or before start_date
    void = df[pick.take(_few(n, 0.004))]
    void_start = void["start_date"].cast(pl.Int64).to_numpy()
    void = void.with_columns(
        _ids("S", np.arange(n + 1, n + 1 + void.height), 8).alias("subscription_id"),
        _date(void_start - rng.integers(0, 3, void.height)).alias("end_date"),
    )
    return pl.concat([df, void])


def _defect_opportunities(ctx: _Ctx, opps: pl.DataFrame, history: pl.DataFrame, last: np.ndarray,
                          unbilled: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng, n, end = ctx.rng, opps.height, ctx.end
    pick = _Picker(rng, n)
    won = (opps["stage"] == "closed_won").to_numpy()
    lost = (opps["stage"] == "closed_lost").to_numpy()
    is_open = ~(won | lost)
    created = opps["created_at"].cast(pl.Int64).to_numpy()
    opps = _set(opps, "channel", pick.take(_few(n, 0.01)), None)
    opps = _set(opps, "closed_at", pick.take(_few(int(won.sum()), 0.01), won), None)
    early = pick.take(_few(int(lost.sum()), 0.002), lost)
    opps = _set(opps, "closed_at", early, _date(created[early] - rng.integers(1, 31, early.size)))
    still = pick.take(_few(int(is_open.sum()), 0.01), is_open)
    opps = _set(opps, "closed_at", still,
                _date(created[still] + (rng.random(still.size) * (end - created[still] + 1)).astype(np.int64)))
    orphan = pick.take(_few(n, 0.001), opps["customer_id"].is_null().to_numpy())
    opps = _set(opps, "customer_id", orphan, _orphans(ctx, orphan.size))
    # won deals booked on the wrong account: one that was never billed (fails accuracy)
    year_ago = (np.datetime64(end, "D").astype("datetime64[M]") - 11).astype("datetime64[D]").astype(np.int64)
    recent_win = (won & (opps["type"] == "new_business").to_numpy() & opps["customer_id"].is_not_null().to_numpy()
                  & (opps["closed_at"].cast(pl.Int64).fill_null(0) >= year_ago).to_numpy())
    wrong = pick.take(_few(int(recent_win.sum()), 0.01), recent_win)
    if unbilled.len():
        opps = _set(opps, "customer_id", wrong, unbilled.gather(rng.integers(0, unbilled.len(), wrong.size)))

    # the last history row of a deal mirrors its current stage and amount
    negative = pick.take(_few(n, 0.001))
    amounts = -opps["amount"].gather(negative).abs()
    opps = _set(opps, "amount", negative, amounts)
    history = _set(history, "amount", last[negative], amounts)
    unknown = pick.take(_few(int(is_open.sum()), 0.005), is_open)
    opps = _set(opps, "stage", unknown, [UNKNOWN_STAGE] * unknown.size)
    history = _set(history, "stage", last[unknown], [UNKNOWN_STAGE] * unknown.size)
    return opps, history


def _defect_leads(ctx: _Ctx, df: pl.DataFrame) -> pl.DataFrame:
    n = df.height
    pick = _Picker(ctx.rng, n)
    df = _set(df, "channel", pick.take(_few(n, 0.01)), None)
    df = _set(df, "email", pick.take(_few(n, 0.015)), None)
    bad = pick.take(_few(n, 0.005), df["email"].is_not_null().to_numpy())
    df = _set(df, "email", bad, df["email"].gather(bad).str.replace("@", "", literal=True))
    future = pick.take(1, df["converted_at"].is_null().to_numpy())
    df = _set(df, "created_at", future, _date(_future_days(ctx, future.size)))
    return _set(df, "qualified_at", future, None)


def _defect_tickets(ctx: _Ctx, df: pl.DataFrame) -> pl.DataFrame:
    rng, n = ctx.rng, df.height
    pick = _Picker(rng, n)
    rated = df["csat"].is_not_null().to_numpy()
    for value in (0, 6):
        rows = pick.take(_few(int(rated.sum()), 0.002), rated)
        df = _set(df, "csat", rows, pl.Series([value] * rows.size, dtype=pl.Int64))
    future = pick.take(_few(n, 0.0005))
    at = _future_days(ctx, future.size) * US_PER_DAY + rng.integers(8, 18, future.size) * 3_600_000_000
    df = _set(df, "created_at", future, _datetime(at, np.ones(future.size, bool)))
    df = _set(df, "resolved_at", future, None)
    df = _set(df, "csat", future, None)
    orphan = pick.take(_few(n, 0.001))
    df = _set(df, "customer_id", orphan, _orphans(ctx, orphan.size))
    source, target = pick.take(_few(n, 0.0005)), pick.take(_few(n, 0.0005))
    return _set(df, "ticket_id", target, df["ticket_id"].gather(source))


def _defect_nps(ctx: _Ctx, df: pl.DataFrame) -> pl.DataFrame:
    n = df.height
    pick = _Picker(ctx.rng, n)
    rows = pick.take(_few(n, 0.003))
    df = _set(df, "score", rows, pl.Series([11] * rows.size, dtype=pl.Int64))
    orphan = pick.take(_few(n, 0.001))
    return _set(df, "customer_id", orphan, _orphans(ctx, orphan.size))


def _defect_usage(ctx: _Ctx, df: pl.DataFrame) -> pl.DataFrame:
    # appended copies with an unknown customer: cheaper than editing the big frame
    copies = df[np.sort(ctx.rng.choice(df.height, min(df.height, _few(df.height, 0.0002)), replace=False))]
    return pl.concat([df, copies.with_columns(_orphans(ctx, copies.height).alias("customer_id"))], rechunk=False)


def _defect_expenses(ctx: _Ctx, df: pl.DataFrame) -> pl.DataFrame:
    rows = _Picker(ctx.rng, df.height).take(_few(df.height, 0.0005))
    return _set(df, "amount", rows, -df["amount"].gather(rows))  # credit notes booked as costs


# --------------------------------------------------------------------------- entry point


def generate(out: Path | str, customers: int = 300, seed: int = 7, months: int = 36,
             end: dt.date = DEMO_END) -> dict[str, int]:
    """Write all ten contract tables as OUT/NAME.parquet; returns rows per table."""
    if customers < 1 or months < 1:
        raise ValueError("customers and months must be at least 1")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}

    def write(name: str, frame: pl.DataFrame) -> None:  # written at once, so memory holds one big table
        frame.write_parquet(folder / f"{name}.parquet", compression="zstd")
        rows[name] = frame.height

    ctx = _context(np.random.default_rng(seed), customers, months, end)
    acc = _accounts(ctx)
    new_business, won_day = _new_business(ctx, acc)
    life = _subscriptions(ctx, acc, won_day)
    deals = _concat_deals([new_business, *_expansions(ctx, acc, life), _renewals(ctx, acc, life), _unlinked(ctx)])
    pipe = _pipeline(ctx, deals)
    leads, opportunities = _leads(ctx, pipe, acc)
    opportunities, history = _defect_opportunities(ctx, opportunities, pipe.history, pipe.last_rows,
                                                   ctx.customer_ids.filter(~life.billed))
    write("opportunities", opportunities)
    write("opportunity_history", history)
    write("quotas", _quotas(ctx, opportunities))
    del deals, pipe, opportunities, history
    write("leads", _defect_leads(ctx, leads))
    del leads
    write("customers", _defect_customers(ctx, _customers(ctx, acc)))
    write("subscriptions", _defect_subscriptions(ctx, life.rows))
    write("expenses", _defect_expenses(ctx, _expenses(ctx, life)))
    write("tickets", _defect_tickets(ctx, _tickets(ctx, acc, life)))
    write("nps_responses", _defect_nps(ctx, _nps(ctx, life)))
    write("usage", _defect_usage(ctx, _usage(ctx, acc, life)))
    return {name: rows[name] for name in TABLES}
