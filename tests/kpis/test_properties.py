"""Property tests: on random subscription histories the movements add up, and MRR matches a
plain day-by-day computation straight from the data contract's definition."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revops_tui.kpis.calendar import Calendar
from tests.builders import run

AS_OF = dt.date(2024, 6, 14)
BASE = dt.date(2023, 1, 1)
DAYS = (AS_OF - BASE).days + 60  # rows may start or end after the as-of day

row = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from([0.0, 10.0, 25.5, 40.0, 99.99, 100.0]),
    st.integers(0, DAYS),
    st.one_of(st.none(), st.integers(0, DAYS)),
)


def mrr_on(rows, day):
    """MRR per customer on `day`, straight from data-contract.md."""
    out = {}
    for cid, mrr, start, end in rows:
        if start <= day and (end is None or day < end):
            out[cid] = out.get(cid, 0.0) + mrr
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=14))
def test_movements_add_up_and_mrr_matches_day_by_day(raw):
    rows = [(cid, mrr, BASE + dt.timedelta(s), None if e is None else BASE + dt.timedelta(e)) for cid, mrr, s, e in raw]
    subs = [{"subscription_id": f"s{i}", "customer_id": cid, "plan": "p", "mrr": mrr, "start_date": s, "end_date": e}
            for i, (cid, mrr, s, e) in enumerate(rows)]
    r = run(AS_OF.isoformat(), months=6, subscriptions=subs)
    cal = Calendar(AS_OF, 6)
    mrr = dict(r["mrr"].series)
    previous_end = cal.ends[cal.first_shown - 1]
    for k in range(cal.first_shown, cal.size):
        month, end = cal.label(k), cal.ends[k]
        expected = sum(v for v in mrr_on(rows, end).values())
        assert abs(mrr[month] - expected) < 1e-6
        previous = sum(mrr_on(rows, previous_end).values())
        moves = {m: dict(r[f"mrr_{m}"].series)[month]
                 for m in ("new", "reactivation", "expansion", "contraction", "churn")}
        net = moves["new"] + moves["reactivation"] + moves["expansion"] - moves["contraction"] - moves["churn"]
        assert abs(net - (expected - previous)) < 1e-6
        # new vs reactivation from the definition: was the customer active on any day before M?
        a_map, b_map = mrr_on(rows, previous_end), mrr_on(rows, end)
        start = cal.starts[k]
        new = react = 0.0
        for cid, b in b_map.items():
            if b > 0 and a_map.get(cid, 0) == 0:
                before = any(mrr_on(rows, BASE + dt.timedelta(i)).get(cid, 0) > 0 for i in range((start - BASE).days))
                react, new = (react + b, new) if before else (react, new + b)
        assert abs(moves["new"] - new) < 1e-6 and abs(moves["reactivation"] - react) < 1e-6
        # logo churn from the definition: active at E(M-1) and not at E(M)
        before = {c for c, v in mrr_on(rows, previous_end).items() if v > 0}
        now = {c for c, v in mrr_on(rows, end).items() if v > 0}
        churn = dict(r["logo_churn_rate"].series)[month]
        if before:
            assert abs(churn - len(before - now) / len(before) * 100) < 1e-9
        else:
            assert churn is None
        previous_end = end
