"""Data-quality checks (kpis.md "Data Quality", rules 20-24) on tiny hand-built tables.

Every expected number is worked out by hand in the comment next to it.
The as-of day is 2024-06-15 throughout, so the accuracy window is
2023-07-01 .. 2024-06-15 (first day of June 2024 - 11 months .. as-of day).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from revops_tui.config import Settings
from revops_tui.contract import TABLES
from revops_tui.kpis.quality import SCORES, Check, failing_records, quality_report

AS_OF = dt.date(2024, 6, 15)
DTYPES = {"str": pl.String, "date": pl.Date, "float": pl.Float64, "int": pl.Int64, "bool": pl.Boolean}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def frame(table: str, rows: list[dict]) -> pl.LazyFrame:
    """Rows as dicts -> LazyFrame with exactly the contract's columns and types (absent keys are null)."""
    schema = {c.name: DTYPES[c.type] for c in TABLES[table]}
    data = {
        name: [d(r[name]) if dtype == pl.Date and isinstance(r.get(name), str) else r.get(name) for r in rows]
        for name, dtype in schema.items()
    }
    return pl.LazyFrame(data, schema=schema)


def frames(**rows: list[dict]) -> dict[str, pl.LazyFrame]:
    return {name: frame(name, r) for name, r in rows.items()}


def report(settings: Settings | None = None, problems: dict[str, str] | None = None, **rows: list[dict]):
    return quality_report(frames(**rows), settings or Settings(), AS_OF, problems=problems)


def counts(rep, table: str, column: str, rule: str) -> tuple[int, int]:
    found = [c for c in rep.checks if (c.table, c.column, c.rule) == (table, column, rule)]
    assert len(found) == 1, (table, column, rule, rep.checks)
    return found[0].checked, found[0].failed


def records(score=None, table=None, rule=None, column=None, settings=None, **rows) -> list[tuple]:
    lf = failing_records(frames(**rows), settings or Settings(), AS_OF, score=score, table=table, rule=rule,
                         column=column)
    df = lf.collect()
    assert df.schema == pl.Schema({c: pl.String for c in ("score", "table", "key", "column", "rule", "value")})
    return [tuple(r) for r in df.select("table", "key", "column", "rule", "value").iter_rows()]


def cust(cid, name="Acme", email=None, segment="SMB", region="NA", channel="organic", created="2024-01-01"):
    return {"customer_id": cid, "name": name, "email": email, "segment": segment, "region": region,
            "channel": channel, "created_at": created}


def opp(oid, stage="prospecting", closed=None, customer="c1", type="new_business", created="2024-01-01",
        amount=100.0, owner="ann", channel="web", qualified=None):
    return {"opportunity_id": oid, "customer_id": customer, "owner": owner, "type": type, "channel": channel,
            "created_at": created, "qualified_at": qualified, "stage": stage, "amount": amount, "closed_at": closed}


def sub(sid, customer="c1", start="2024-01-01", end=None, term_end=None, mrr=10.0):
    return {"subscription_id": sid, "customer_id": customer, "plan": "pro", "mrr": mrr, "start_date": start,
            "end_date": end, "term_end": term_end}


# --------------------------------------------------------------------------- completeness


def test_completeness_counts_nulls_and_an_empty_string_is_not_null():
    rep = report(customers=[
        cust("c1", email="", segment="SMB", region=None),  # region null; "" e-mail is present
        cust("c2", name=None, email=None, segment=""),  # name and e-mail null; "" segment is present
    ])
    # 2 rows x 5 fields (name, email, segment, region, channel) = 10 values, 3 nulls -> 7 / 10
    assert rep.scores["dq_completeness"] == pytest.approx(70.0)
    assert counts(rep, "customers", "email", "not null") == (2, 1)
    assert counts(rep, "customers", "segment", "not null") == (2, 0)
    assert counts(rep, "customers", "region", "not null") == (2, 1)
    assert counts(rep, "customers", "name", "not null") == (2, 1)


def test_completeness_leads_and_opportunities_closed_at_only_for_won_or_lost():
    rep = report(
        leads=[
            {"lead_id": "l1", "created_at": "2024-01-01", "channel": "web", "email": None},
            {"lead_id": "l2", "created_at": "2024-01-01", "channel": None, "email": "x@y.io"},
        ],
        opportunities=[
            opp("o1", "closed_won", closed=None, channel=None),  # closed_at and channel missing
            opp("o2", "closed_lost", closed="2024-02-01"),
            opp("o3", "proposal", closed=None),  # open: closed_at not required
            opp("o4", "mystery", closed=None),  # unknown stage: closed_at not required
        ],
    )
    # leads: 2 rows x (channel, email) = 4 values, 2 nulls
    # opportunities: 4 rows x (owner, amount, channel) = 12 values, 1 null (o1 channel)
    #   + closed_at of o1 (won) and o2 (lost) = 2 values, 1 null (o1)
    # pooled: 18 values, 4 nulls -> 14 / 18
    assert counts(rep, "opportunities", "closed_at", "not null when won or lost") == (2, 1)
    assert counts(rep, "leads", "email", "not null") == (2, 1)
    assert rep.scores["dq_completeness"] == pytest.approx(14 / 18 * 100)


def test_won_and_lost_stages_come_from_settings():
    settings = Settings(open_stages=("open",), won_stages=("signed",), lost_stages=("dead",))
    rep = report(settings=settings, opportunities=[
        opp("o1", "signed", closed=None),  # won in this config: closed_at required, missing
        opp("o2", "closed_won", closed=None),  # not a configured stage here: not required
    ])
    assert counts(rep, "opportunities", "closed_at", "not null when won or lost") == (1, 1)
    assert counts(rep, "opportunities", "stage", "known stage") == (2, 1)  # closed_won is unknown here


# --------------------------------------------------------------------------- validity


def test_validity_rules_pooled_over_tables():
    rep = report(
        customers=[
            cust("c1", email="a@b.co", created="2024-06-15"),  # ok; the as-of day itself is not "after"
            cust("c2", email="a@b", created="2024-06-16"),  # no dot after @; the day after as-of
            cust("c3", email="a b@c.de", created=None),  # space; a null date is not checked
            cust("c4", email=" a@b.co"),  # raw value is checked: the leading space fails
            cust("c5", email=""),  # empty string is checked (and fails)
            cust("c6", email=None),  # null: completeness only, not checked here
            cust("c7", email="first.last@sub.example.org"),  # ok
        ],
        subscriptions=[
            sub("s1", mrr=10.0, end="2030-01-01", term_end="2031-01-01"),  # end_date/term_end may be future
            sub("s2", mrr=0.0),
            sub("s3", mrr=-5.0),  # negative
            sub("s4", mrr=None),  # null: not checked
        ],
        opportunities=[
            opp("o1", "closed_won", closed="2024-02-01", amount=100.0),
            opp("o2", "Closed Won", amount=-1.0, qualified="2024-07-01"),  # case differs: unknown; <0; future
            opp("o3", "mystery", amount=0.0),  # unknown stage
            opp("o4", "prospecting", amount=None),
        ],
        opportunity_history=[
            {"opportunity_id": "o1", "stage": "prospecting", "amount": 5.0, "changed_at": "2024-01-01"},
            {"opportunity_id": "o1", "stage": "demo", "amount": -5.0, "changed_at": "2024-06-16"},
        ],
        nps_responses=[
            {"response_id": f"r{i}", "customer_id": "c1", "responded_at": "2024-06-01", "score": s}
            for i, s in enumerate([0, 10, 11, -1])
        ],
        tickets=[
            {"ticket_id": f"t{i}", "customer_id": "c1", "created_at": "2024-06-01", "priority": "low", "csat": c,
             "resolved_at": "2024-06-20" if i == 2 else None}
            for i, c in enumerate([None, 6, 1, 5, 0])
        ],
        quotas=[{"owner": "ann", "month": "2024-12-01", "amount": 1.0}],  # quotas.month: never checked
    )
    expected = {
        ("customers", "email", "e-mail pattern"): (6, 4),  # a@b, "a b@c.de", " a@b.co", "" fail
        ("customers", "created_at", "not after as-of day"): (6, 1),
        ("subscriptions", "mrr", ">= 0"): (3, 1),
        ("subscriptions", "start_date", "not after as-of day"): (4, 0),
        ("opportunities", "amount", ">= 0"): (3, 1),
        ("opportunities", "stage", "known stage"): (4, 2),
        ("opportunities", "created_at", "not after as-of day"): (4, 0),
        ("opportunities", "qualified_at", "not after as-of day"): (1, 1),
        ("opportunities", "closed_at", "not after as-of day"): (1, 0),
        ("opportunity_history", "stage", "known stage"): (2, 1),
        ("opportunity_history", "amount", ">= 0"): (2, 1),
        ("opportunity_history", "changed_at", "not after as-of day"): (2, 1),
        ("nps_responses", "score", "0 to 10"): (4, 2),  # 11 and -1
        ("nps_responses", "responded_at", "not after as-of day"): (4, 0),
        ("tickets", "csat", "1 to 5"): (4, 2),  # null not checked; 6 and 0 fail
        ("tickets", "created_at", "not after as-of day"): (5, 0),
        ("tickets", "resolved_at", "not after as-of day"): (1, 1),
    }
    validity = {(c.table, c.column, c.rule): (c.checked, c.failed) for c in rep.checks if c.score == "validity"}
    assert validity == expected  # nothing on end_date, term_end or quotas.month
    # 56 values checked, 18 fail -> 38 / 56
    assert sum(c for c, _ in expected.values()) == 56 and sum(f for _, f in expected.values()) == 18
    assert rep.scores["dq_validity"] == pytest.approx(38 / 56 * 100)


def test_expense_amounts_and_leads():
    rep = report(
        expenses=[
            {"date": "2024-01-01", "department": "marketing", "channel": None, "amount": 10.0},
            {"date": "2024-01-02", "department": "sales", "amount": -3.0},
        ],
        leads=[
            {"lead_id": "l1", "created_at": "2024-01-01", "channel": "web", "email": "l@x.io",
             "converted_at": "2024-06-30"},  # converted after the as-of day
        ],
    )
    # expenses: amount 2 / 1, date 2 / 0; leads: email 1 / 0, created_at 1 / 0, converted_at 1 / 1,
    # qualified_at null (not checked) -> 7 checked, 2 fail
    assert counts(rep, "expenses", "amount", ">= 0") == (2, 1)
    assert counts(rep, "leads", "converted_at", "not after as-of day") == (1, 1)
    assert counts(rep, "leads", "qualified_at", "not after as-of day") == (0, 0)
    assert rep.scores["dq_validity"] == pytest.approx(5 / 7 * 100)


# --------------------------------------------------------------------------- consistency


CONSISTENCY_ROWS = dict(
    customers=[cust("c1"), cust("c2", name="Other")],
    opportunities=[
        opp("o1", "closed_won", created="2024-01-10", closed="2024-01-05"),  # closed before created
        opp("o2", "closed_lost", created="2024-01-10", closed="2024-01-10", customer=None),  # same day: ok
        opp("o3", "closed_won", created="2024-01-10", closed=None, customer="zz"),  # won without closed_at; orphan
        opp("o4", "proposal", created="2024-02-01", closed="2024-03-01"),  # open with closed_at
        opp("o5", "negotiation", created="2024-02-01", closed=None),  # ok
        opp("o6", "mystery", created="2024-02-01", closed="2024-03-01"),  # unknown stage: stage rule skips it
    ],
    subscriptions=[
        sub("s1", start="2024-01-01", end="2024-01-01", term_end="2023-12-31"),  # end = start; term before start
        sub("s2", start="2024-01-01", end="2024-02-01", term_end="2024-01-01"),  # ok (term_end = start is ok)
        sub("s3", customer="ghost"),  # no end, no term: only the reference check; orphan
    ],
    tickets=[
        {"ticket_id": "t1", "customer_id": "c1", "created_at": "2024-01-01", "priority": "low"},
        {"ticket_id": "t2", "customer_id": "ghost", "created_at": "2024-01-01", "priority": "low"},
    ],
    nps_responses=[{"response_id": "r1", "customer_id": "c2", "responded_at": "2024-01-01", "score": 9}],
    usage=[
        {"customer_id": "c1", "date": "2024-01-01", "active_users": 1},
        {"customer_id": "ghost", "date": "2024-01-02", "active_users": 1},
        {"customer_id": "ghost", "date": "2024-01-03", "active_users": 0},
        {"customer_id": None, "date": "2024-01-04", "active_users": 0},  # null id: not checked
    ],
)


def test_consistency_per_row_and_rule():
    rep = report(**CONSISTENCY_ROWS)
    expected = {
        ("opportunities", "created_at+closed_at", "closed_at >= created_at"): (4, 1),  # o1, o2, o4, o6; o1 fails
        ("opportunities", "stage+closed_at", "stage/closed_at"): (5, 2),  # o1..o5; o3 and o4 fail
        ("subscriptions", "start_date+end_date", "end_date > start_date"): (2, 1),  # s1 fails
        ("subscriptions", "start_date+term_end", "term_end >= start_date"): (2, 1),  # s1 fails
        ("subscriptions", "customer_id", "customer exists"): (3, 1),  # ghost
        ("opportunities", "customer_id", "customer exists"): (5, 1),  # o2 has none; zz is unknown
        ("tickets", "customer_id", "customer exists"): (2, 1),
        ("nps_responses", "customer_id", "customer exists"): (1, 0),
        ("usage", "customer_id", "customer exists"): (3, 2),  # both ghost rows fail
    }
    got = {(c.table, c.column, c.rule): (c.checked, c.failed) for c in rep.checks if c.score == "consistency"}
    assert got == expected
    # 27 rows checked, 10 fail -> 17 / 27
    assert rep.scores["dq_consistency"] == pytest.approx(17 / 27 * 100)


def test_usage_reference_check_from_the_shared_usage_summary_counts_the_same():
    # The engine reads usage once (usage_by_customer: rows per customer_id) and hands that
    # summary to the checks; the counts must equal those of the raw table: 3 non-null rows,
    # the 2 ghost rows fail (active_users 0 or not, in the window or not).
    from revops_tui.kpis.calendar import Calendar
    from revops_tui.kpis.success import usage_by_customer

    f = frames(**CONSISTENCY_ROWS)
    summary = usage_by_customer(f["usage"], Calendar(AS_OF, 13)).collect().lazy()
    rep = quality_report({**f, "usage_by_customer": summary}, Settings(), AS_OF)
    got = {(c.table, c.rule): (c.checked, c.failed) for c in rep.checks if c.score == "consistency"}
    assert got[("usage", "customer exists")] == (3, 2)
    assert rep.checks == report(**CONSISTENCY_ROWS).checks


def test_customer_references_need_the_customers_table():
    rows = {k: v for k, v in CONSISTENCY_ROWS.items() if k != "customers"}
    rep = report(**rows)
    assert not [c for c in rep.checks if c.rule == "customer exists"]
    # only the row rules remain: 4 + 5 + 2 + 2 = 13 checked, 1 + 2 + 1 + 1 = 5 fail -> 8 / 13
    assert rep.scores["dq_consistency"] == pytest.approx(8 / 13 * 100)


def test_consistency_failing_records():
    got = records(score="consistency", **CONSISTENCY_ROWS)
    assert sorted(got) == sorted([
        ("opportunities", "o1", "created_at+closed_at", "closed_at >= created_at", "2024-01-10+2024-01-05"),
        ("opportunities", "o3", "stage+closed_at", "stage/closed_at", "closed_won+null"),
        ("opportunities", "o4", "stage+closed_at", "stage/closed_at", "proposal+2024-03-01"),
        ("subscriptions", "s1", "start_date+end_date", "end_date > start_date", "2024-01-01+2024-01-01"),
        ("subscriptions", "s1", "start_date+term_end", "term_end >= start_date", "2024-01-01+2023-12-31"),
        ("subscriptions", "s3", "customer_id", "customer exists", "ghost"),
        ("opportunities", "o3", "customer_id", "customer exists", "zz"),
        ("tickets", "t2", "customer_id", "customer exists", "ghost"),
        ("usage", "ghost@2024-01-02", "customer_id", "customer exists", "ghost"),
        ("usage", "ghost@2024-01-03", "customer_id", "customer exists", "ghost"),
    ])
    assert records(table="usage", rule="customer exists", **CONSISTENCY_ROWS) == [
        ("usage", "ghost@2024-01-02", "customer_id", "customer exists", "ghost"),
        ("usage", "ghost@2024-01-03", "customer_id", "customer exists", "ghost"),
    ]


# --------------------------------------------------------------------------- uniqueness


UNIQUENESS_ROWS = dict(
    customers=[
        cust("c1", name="Acme  Corp", email="A@x.io"),
        cust("c1", name="acme corp ", email=" a@x.io "),  # same normalised name and e-mail as row 1
        cust("c1", name="Beta", email=None),  # third row sharing c1; null e-mail skipped
        cust("c2", name="Gamma", email=None),
        cust("c3", name="Delta", email="d@x.io"),
    ],
    subscriptions=[sub("s1"), sub("s2"), sub("s2")],
    leads=[{"lead_id": "l1", "created_at": "2024-01-01", "channel": "web", "email": "a@x.io"}],
)


def test_uniqueness_every_row_sharing_a_key_fails():
    rep = report(**UNIQUENESS_ROWS)
    assert counts(rep, "customers", "customer_id", "unique key") == (5, 3)  # all three c1 rows fail
    assert counts(rep, "customers", "email (normalised)", "unique key") == (3, 2)  # 2 nulls skipped
    # names are trimmed, lower-cased and inner whitespace runs collapsed: "acme corp" twice
    assert counts(rep, "customers", "name (normalised)", "unique key") == (5, 2)
    assert counts(rep, "subscriptions", "subscription_id", "unique key") == (3, 2)
    assert counts(rep, "leads", "lead_id", "unique key") == (1, 0)  # lead e-mails are not a key
    # 5 + 3 + 5 + 3 + 1 = 17 rows x keys, 3 + 2 + 2 + 2 = 9 fail -> 8 / 17
    assert rep.scores["dq_uniqueness"] == pytest.approx(8 / 17 * 100)


def test_every_hash_colliding_changes_no_count(monkeypatch):
    # Uniqueness and the customer references group and join on a 64-bit hash of the key,
    # then compare the keys themselves. With a "hash" that puts every key in one of two
    # buckets (collisions everywhere), every count must stay what the real keys give.
    from revops_tui.kpis import quality

    rows = {**UNIQUENESS_ROWS, **CONSISTENCY_ROWS, "customers": UNIQUENESS_ROWS["customers"]}
    honest = report(**rows)
    monkeypatch.setattr(quality, "_hash", lambda expr: (expr.hash() % 2).alias(quality.HASH))
    colliding = report(**rows)
    assert colliding.checks == honest.checks
    assert counts(colliding, "customers", "customer_id", "unique key") == (5, 3)
    assert counts(colliding, "subscriptions", "customer_id", "customer exists") == \
        counts(honest, "subscriptions", "customer_id", "customer exists")
    assert any(c.failed for c in colliding.checks if c.rule == "customer exists")


def test_uniqueness_of_keys_in_increasing_order():
    # Strictly increasing ids cannot repeat (the check skips its hash tables then); ids in
    # order but with a repeat, or out of order, are counted in full.
    def uniq(ids):
        rep = report(subscriptions=[sub(i) for i in ids])
        return counts(rep, "subscriptions", "subscription_id", "unique key")

    assert uniq(["s1", "s2", "s3"]) == (3, 0)
    assert uniq(["s1"]) == (1, 0)
    assert uniq(["s1", "s2", "s2", "s3"]) == (4, 2)  # sorted, but s2 twice
    assert uniq(["s3", "s1", "s2", "s1"]) == (4, 2)
    assert uniq(["s1", None, "s2"]) == (2, 0)  # the null key is skipped, the rest increase


def test_name_normalisation_collapses_every_kind_of_whitespace_run():
    from revops_tui.kpis.quality import _normalised_name

    names = ["Acme  Corp", " a\tb ", "x\u00a0y", "p \t q", "plain name", "a\n\nb", "", None, "a \u2003 b"]
    got = pl.DataFrame({"name": names}).select(_normalised_name()).to_series().to_list()
    assert got == ["acme corp", "a b", "x y", "p q", "plain name", "a b", "", None, "a b"]


NORMALISED_ROWS = dict(customers=[
    # Ids in increasing order; the normalised names and e-mails are not (they are counted without
    # the in-order test) and repeat only once normalised.
    cust("c1", name="Acme Corp", email="a@x.io"),
    cust("c2", name=" ACME\tcorp", email=" A@X.IO"),  # name "acme corp" (tab -> space), e-mail "a@x.io"
    cust("c3", name="acme  corp ", email="a@x.io\t"),  # "acme corp" again; e-mail trimmed: "a@x.io"
    cust("c4", name="", email=""),  # "" is a value: it repeats with c5
    cust("c5", name="  ", email=" "),  # trimmed to "": same as c4
    cust("c6", name=None, email=None),  # nulls are skipped (name: not even counted as checked)
    cust("c7", name="Beta", email="b@x.io"),
    cust("c8", name="beta x", email="B@x.io "),  # name differs from "beta"; e-mail "b@x.io" repeats
    cust("c9", name="a b", email="ab@x.io"),
    cust("d1", name="a\u00a0b", email="AB@x.io"),  # no-break space: "a b" again; "ab@x.io" again
])


@pytest.mark.parametrize("collide", [False, True])
def test_uniqueness_of_normalised_names_and_emails(monkeypatch, collide):
    # name: 9 non-null values; "acme corp" x3 (c1 c2 c3), "" x2 (c4 c5), "a b" x2 (c9 d1) -> 7 fail;
    #   "beta" and "beta x" differ and pass.
    # e-mail: 9 non-null; "a@x.io" x3, "" x2, "b@x.io" x2, "ab@x.io" x2 -> 9 fail.
    # With a "hash" putting every key in one of two buckets the counts must not change.
    from revops_tui.kpis import quality

    if collide:
        monkeypatch.setattr(quality, "_hash", lambda expr: (expr.hash() % 2).alias(quality.HASH))
    rep = report(**NORMALISED_ROWS)
    assert counts(rep, "customers", "name (normalised)", "unique key") == (9, 7)
    assert counts(rep, "customers", "email (normalised)", "unique key") == (9, 9)
    assert counts(rep, "customers", "customer_id", "unique key") == (10, 0)
    names = records(column="name (normalised)", **NORMALISED_ROWS)
    assert [(r[1], r[4]) for r in names] == [
        ("c1", "Acme Corp"), ("c2", " ACME\tcorp"), ("c3", "acme  corp "), ("c4", ""), ("c5", "  "),
        ("c9", "a b"), ("d1", "a\u00a0b"),
    ]
    emails = records(column="email (normalised)", **NORMALISED_ROWS)
    assert [r[1] for r in emails] == ["c1", "c2", "c3", "c4", "c5", "c7", "c8", "c9", "d1"]


def test_normalised_keys_in_increasing_order_are_counted_the_same():
    # Already sorted once normalised ("a", "b", "b", "c"): the duplicate is found whether or not the
    # in-order test is used (1 + 2 + 1 = 4 checked, the two "b" rows fail).
    rep = report(customers=[cust("c1", name="a"), cust("c2", name="B"), cust("c3", name=" b"), cust("c4", name="c")])
    assert counts(rep, "customers", "name (normalised)", "unique key") == (4, 2)
    rep = report(customers=[cust("c1", name="a"), cust("c2", name="b"), cust("c3", name="c")])
    assert counts(rep, "customers", "name (normalised)", "unique key") == (3, 0)


def test_uniqueness_failing_records_show_the_raw_values():
    got = records(score="uniqueness", table="customers", **UNIQUENESS_ROWS)
    assert got == [
        ("customers", "c1", "customer_id", "unique key", "c1"),
        ("customers", "c1", "customer_id", "unique key", "c1"),
        ("customers", "c1", "customer_id", "unique key", "c1"),
        ("customers", "c1", "email (normalised)", "unique key", "A@x.io"),
        ("customers", "c1", "email (normalised)", "unique key", " a@x.io "),
        ("customers", "c1", "name (normalised)", "unique key", "Acme  Corp"),
        ("customers", "c1", "name (normalised)", "unique key", "acme corp "),
    ]
    only_email = records(column="email (normalised)", **UNIQUENESS_ROWS)
    assert [r[4] for r in only_email] == ["A@x.io", " a@x.io "]


# --------------------------------------------------------------------------- accuracy


ACCURACY_ROWS = dict(
    opportunities=[
        opp("a1", "closed_won", closed="2024-03-01", customer="c1"),  # sub starts +30 days: hit
        opp("a2", "closed_won", closed="2024-03-01", customer="c2"),  # subs at -31 and +31 days: miss
        opp("a3", "closed_won", closed="2024-03-01", customer="c3"),  # zero-MRR sub at -30 days: hit
        opp("a4", "closed_won", closed="2023-07-01", customer="c4"),  # first day of the window: hit
        opp("a5", "closed_won", closed="2023-06-30", customer="c5"),  # one day before the window: not checked
        opp("a6", "closed_won", closed="2024-06-15", customer="c6"),  # as-of day; no subscription: miss
        opp("a7", "closed_won", closed="2024-06-16", customer="c1"),  # after the as-of day: not checked
        opp("a8", "closed_lost", closed="2024-03-01", customer="c8"),  # lost: not checked
        opp("a9", "closed_won", closed="2024-03-01", customer="c9", type="expansion"),  # not new_business
        opp("a10", "closed_won", closed="2024-03-01", customer=None),  # no customer: not checked
        opp("a11", "closed_won", closed=None, customer="c1"),  # no closed_at: not checked
    ],
    subscriptions=[
        sub("s1", customer="c1", start="2024-03-31"),  # 2024-03-01 + 30 days
        sub("s2", customer="c2", start="2024-01-30"),  # 2024-03-01 - 31 days (2024 is a leap year)
        sub("s3", customer="c2", start="2024-04-01"),  # 2024-03-01 + 31 days
        sub("s4", customer="c3", start="2024-01-31", mrr=0.0),  # 2024-03-01 - 30 days, zero MRR counts
        sub("s5", customer="c4", start="2023-07-01"),
        sub("s6", customer="c5", start="2023-06-30"),
    ],
)


def test_accuracy_window_edges():
    rep = report(**ACCURACY_ROWS)
    # checked: a1, a2, a3, a4, a6 = 5 deals; hits a1, a3, a4 = 3 -> 60 %
    assert counts(rep, "opportunities", "customer_id+closed_at", "subscription within 30 days") == (5, 2)
    assert rep.scores["dq_accuracy"] == pytest.approx(60.0)
    assert "dq_accuracy" not in rep.unavailable
    assert records(score="accuracy", **ACCURACY_ROWS) == [
        ("opportunities", "a2", "customer_id+closed_at", "subscription within 30 days", "c2+2024-03-01"),
        ("opportunities", "a6", "customer_id+closed_at", "subscription within 30 days", "c6+2024-06-15"),
    ]


def test_accuracy_twelve_month_window_follows_the_as_of_month():
    rows = dict(opportunities=[opp("a", "closed_won", closed="2023-06-30", customer="c1")],
                subscriptions=[sub("s", customer="c1", start="2023-06-30")])
    # as-of 2024-06-15: window starts 2023-07-01, the deal is outside -> nothing checked, no value
    rep = report(**rows)
    assert rep.scores["dq_accuracy"] is None
    assert "2023-07-01" in rep.unavailable["dq_accuracy"]
    # as-of 2024-05-31: window starts 2023-06-01, the deal is inside and hit
    later = quality_report(frames(**rows), Settings(), d("2024-05-31"))
    assert later.scores["dq_accuracy"] == 100.0


def test_accuracy_unavailable_without_its_tables():
    problems = {"subscriptions": "table subscriptions not found in data/"}
    rep = report(problems=problems, opportunities=ACCURACY_ROWS["opportunities"])
    assert rep.scores["dq_accuracy"] is None
    assert rep.unavailable["dq_accuracy"] == "table subscriptions not found in data/"
    assert not [c for c in rep.checks if c.score == "accuracy"]


# --------------------------------------------------------------------------- freshness


def test_freshness_per_table_and_negative_for_future_data():
    rep = report(
        customers=[cust("c1", created="2024-06-10"), cust("c2", created="2024-01-01")],  # 5 days
        leads=[{"lead_id": "l1", "created_at": "2024-05-01", "channel": "web",
                "converted_at": "2024-06-20"}],  # newest over its event columns is a future date: -5
        tickets=[{"ticket_id": "t1", "customer_id": "c1", "created_at": "2024-01-15", "priority": "low"}],
        # 2024-01-15 -> 2024-06-15: 31 + 29 + 31 + 30 + 31 = 152 days
        quotas=[{"owner": "ann", "month": "2024-07-01", "amount": 1.0}],  # quotas count by month: -16
        nps_responses=[],  # no rows: no date
        subscriptions=[sub("s1", start="2024-06-01", end="2024-12-01")],  # end_date is not an event date: 14
    )
    assert rep.freshness == {"customers": 5, "leads": -5, "tickets": 152, "quotas": -16, "nps_responses": None,
                             "subscriptions": 14}
    assert rep.scores["dq_freshness"] == 152.0  # the largest


def test_freshness_all_future_is_negative_and_none_without_dates():
    rep = report(customers=[cust("c1", created="2024-06-25")])
    assert rep.scores["dq_freshness"] == -10.0
    empty = report(customers=[])
    assert empty.scores["dq_freshness"] is None and empty.freshness == {"customers": None}
    assert "dq_freshness" in empty.unavailable


# --------------------------------------------------------------------------- crm_quality


CRM_ROWS = dict(customers=[
    cust("c1", name="A", email="a@x.io", region=None),
    cust("c2", name="B", email="bad"),
])
# completeness: 10 values, 1 null -> 90; validity: e-mails 2 / 1 fail, created_at 2 / 0 -> 3 / 4 = 75;
# uniqueness: customer_id, e-mail, name each 2 / 0 -> 100; consistency: nothing checked (None);
# accuracy: unavailable (None).


def test_crm_quality_equal_weights_skip_scores_without_value():
    rep = report(**CRM_ROWS)
    assert rep.scores["dq_completeness"] == pytest.approx(90.0)
    assert rep.scores["dq_validity"] == pytest.approx(75.0)
    assert rep.scores["dq_uniqueness"] == pytest.approx(100.0)
    assert rep.scores["dq_consistency"] is None and rep.scores["dq_accuracy"] is None
    # (90 + 75 + 100) / 3
    assert rep.scores["crm_quality"] == pytest.approx(265 / 3)


def test_crm_quality_uses_configured_weights():
    weights = {"completeness": 3.0, "validity": 1.0, "consistency": 7.0, "uniqueness": 1.0, "accuracy": 5.0}
    rep = report(settings=Settings(quality_weights=weights), **CRM_ROWS)
    # consistency and accuracy have no value, so their weights drop out: (3 x 90 + 75 + 100) / 5 = 89
    assert rep.scores["crm_quality"] == pytest.approx(89.0)


def test_crm_quality_none_when_weights_of_valued_scores_sum_to_zero():
    weights = {"completeness": 0.0, "validity": 0.0, "consistency": 1.0, "uniqueness": 0.0, "accuracy": 1.0}
    rep = report(settings=Settings(quality_weights=weights), **CRM_ROWS)
    assert rep.scores["crm_quality"] is None
    assert "crm_quality" in rep.unavailable


# --------------------------------------------------------------------------- failing records


def test_failing_records_keys_of_tables_without_an_id():
    rows = dict(
        opportunity_history=[
            {"opportunity_id": "o1", "stage": "prospecting", "amount": -2.5, "changed_at": "2024-01-01"},
        ],
        usage=[{"customer_id": "c9", "date": "2024-07-01", "active_users": 1}],
        expenses=[
            {"date": "2024-01-01", "department": "marketing", "amount": 1.0},
            {"date": "2024-01-01", "department": "marketing", "amount": -4.0},
            {"date": None, "department": "sales", "amount": -1.0},
        ],
    )
    assert records(**rows) == [
        ("opportunity_history", "o1@2024-01-01", "amount", ">= 0", "-2.5"),
        ("expenses", "2024-01-01/marketing/row 2", "amount", ">= 0", "-4.0"),
        ("expenses", "null/sales/row 3", "amount", ">= 0", "-1.0"),
        ("usage", "c9@2024-07-01", "date", "not after as-of day", "2024-07-01"),
    ]


def test_failing_records_nulls_and_filters():
    rows = dict(customers=[cust("c1", email=None, region=None), cust("c2", email="x@y")])
    assert records(score="completeness", **rows) == [
        ("customers", "c1", "email", "not null", "null"),
        ("customers", "c1", "region", "not null", "null"),
    ]
    assert records(rule="e-mail pattern", **rows) == [("customers", "c2", "email", "e-mail pattern", "x@y")]
    assert records(table="leads", **rows) == []  # table not loaded: no rows, still the schema
    assert records(score="nonsense", **rows) == []


def test_failing_records_match_the_report_counts():
    rows = {**CONSISTENCY_ROWS, **ACCURACY_ROWS}
    rows["customers"] = UNIQUENESS_ROWS["customers"] + [cust("c4", email="bad")]
    rep = report(**rows)
    df = failing_records(frames(**rows), Settings(), AS_OF).collect()
    per_check = df.group_by("score", "table", "column", "rule").len()
    got = {(r["score"], r["table"], r["column"], r["rule"]): r["len"] for r in per_check.iter_rows(named=True)}
    assert got == {(c.score, c.table, c.column, c.rule): c.failed for c in rep.checks if c.failed}


# --------------------------------------------------------------------------- missing tables, broken tables


def test_no_tables_gives_no_values_and_reasons():
    problems = {name: f"table {name} not found in data/" for name in TABLES}
    rep = quality_report({}, Settings(), AS_OF, problems=problems)
    assert rep.checks == [] and rep.freshness == {}
    assert all(v is None for v in rep.scores.values())
    assert set(rep.scores) == {f"dq_{s}" for s in SCORES} | {"dq_freshness", "crm_quality"}
    # the reason text of the first missing table (the engine adds every table's problem itself)
    assert rep.unavailable["dq_accuracy"] == "table opportunities not found in data/"
    assert failing_records({}, Settings(), AS_OF).collect().height == 0


def test_a_missing_table_only_removes_its_checks():
    rep = report(leads=[{"lead_id": "l1", "created_at": "2024-01-01", "channel": "web", "email": "a@b.io"}])
    assert {c.table for c in rep.checks} == {"leads"}
    assert rep.scores["dq_completeness"] == 100.0 and rep.scores["dq_validity"] == 100.0
    assert rep.scores["dq_consistency"] is None  # leads have no consistency rule
    assert rep.unavailable["dq_accuracy"] == "table opportunities not available"  # no problems text given


def test_a_table_that_fails_to_read_blanks_only_its_scores():
    def boom(df: pl.DataFrame) -> pl.DataFrame:
        raise ValueError("corrupt page")

    f = frames(customers=[cust("c1", email="a@b.io")],
               leads=[{"lead_id": "l1", "created_at": "2024-01-01", "channel": "web", "email": None}])
    f["subscriptions"] = frame("subscriptions", [sub("s1")]).map_batches(boom, validate_output_schema=False)
    rep = quality_report(f, Settings(), AS_OF)
    # subscriptions feed validity, consistency and uniqueness (and freshness): those have no value
    for dq in ("dq_validity", "dq_consistency", "dq_uniqueness", "dq_freshness"):
        assert rep.scores[dq] is None and "corrupt page" in rep.unavailable[dq], dq
    # completeness reads customers and leads only: 5 + 2 values, 1 null -> 6 / 7
    assert rep.scores["dq_completeness"] == pytest.approx(6 / 7 * 100)


def test_check_records_are_plain_data():
    rep = report(customers=[cust("c1", email="a@b.io")])
    assert all(isinstance(c, Check) and c.score in SCORES for c in rep.checks)
    assert all(c.checked >= c.failed >= 0 for c in rep.checks)
