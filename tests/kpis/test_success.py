"""Customer Success KPIs on tiny hand-built tables."""

import pytest

from tests.builders import run, series, sub


def ticket(tid, cid, created, resolved=None, priority="normal", csat=None):
    return {"ticket_id": tid, "customer_id": cid, "created_at": created[:10], "created_at_ts": created,
            "resolved_at": resolved[:10] if resolved else None, "resolved_at_ts": resolved,
            "priority": priority, "csat": csat}


def test_support_tickets_and_resolution_hours():
    # as of 2024-02-15, Jan..Feb
    # Jan created: t1, t2 (orphan customer: still a ticket, rule 3), t4 (open) -> 3
    # Jan resolved: t1 26 h, t2 6 h, t3 28 h (created in Dec, resolved Jan 1: rule 18) -> median 26
    # Feb created: t5, t6 -> 2; resolved: 24 h and 12 h -> even count, mean of the middle two = 18
    # t7 is created after the as-of day (ignored)
    tickets = [
        ticket("t1", "c1", "2024-01-02T10:00:00", "2024-01-03T12:00:00"),
        ticket("t2", "zz", "2024-01-05T00:00:00", "2024-01-05T06:00:00"),
        ticket("t3", "c1", "2023-12-30T22:00:00", "2024-01-01T02:00:00"),
        ticket("t4", "c1", "2024-01-20T09:00:00"),
        ticket("t5", "c1", "2024-02-01T08:00:00", "2024-02-02T08:00:00"),
        ticket("t6", "c1", "2024-02-03T00:00:00", "2024-02-03T12:00:00"),
        ticket("t7", "c1", "2024-02-20T00:00:00"),
    ]
    r = run("2024-02-15", months=2, tickets=tickets)
    assert series(r, "support_tickets") == {"2024-01": 3, "2024-02": 2}
    assert series(r, "resolution_hours") == {"2024-01": 26.0, "2024-02": 18.0}


def test_resolution_hours_no_value_without_resolved_tickets():
    r = run("2024-02-15", months=1, tickets=[ticket("t1", "c1", "2024-02-01T00:00:00")])
    assert r["resolution_hours"].value is None


def test_nps():
    # Jan: 10, 9 promoters; 7 passive; 3 detractor; 11 out of range stays in the denominator (rule 3)
    #      (2 - 1) / 5 = +20. Feb: one 0 -> -100. The Feb 20 answer is after the as-of day.
    def resp(i, day, score):
        return {"response_id": f"r{i}", "customer_id": "c1", "responded_at": day, "score": score}
    r = run("2024-02-15", months=2, nps_responses=[
        resp(1, "2024-01-02", 10), resp(2, "2024-01-03", 9), resp(3, "2024-01-04", 7), resp(4, "2024-01-05", 3),
        resp(5, "2024-01-06", 11), resp(6, "2024-02-01", 0), resp(7, "2024-02-20", 10)])
    assert series(r, "nps") == {"2024-01": 20.0, "2024-02": -100.0}


def test_product_adoption():
    # active at E(Jan) and E(Feb 15): c1, c2. c3 was active only Jan 10..25; c4 has no subscription.
    # Jan: c1 used the product (Jan 5); c2's weekly row (Monday Jan 29) has 0 active users (rule 17) -> 1/2
    # Feb: c1 (Feb 10) and c2 (weekly row dated Monday Feb 5) -> 2/2
    subs = [sub("c1", 100, "2023-01-01"), sub("c2", 100, "2023-01-01"), sub("c3", 100, "2024-01-10", "2024-01-25")]
    usage = [
        {"customer_id": "c1", "date": "2024-01-05", "active_users": 3},
        {"customer_id": "c2", "date": "2024-01-29", "active_users": 0, "seats": 10},
        {"customer_id": "c3", "date": "2024-01-12", "active_users": 2},
        {"customer_id": "c4", "date": "2024-01-10", "active_users": 9},
        {"customer_id": "c2", "date": "2024-02-05", "active_users": 5, "seats": 10},
        {"customer_id": "c1", "date": "2024-02-10", "active_users": 1},
    ]
    r = run("2024-02-15", months=2, subscriptions=subs, usage=usage)
    assert series(r, "product_adoption") == {"2024-01": 50.0, "2024-02": 100.0}


def test_product_adoption_no_value_without_customers():
    r = run("2024-02-15", months=1, subscriptions=[sub("c1", 0, "2024-01-01")],
            usage=[{"customer_id": "c1", "date": "2024-02-01", "active_users": 1}])
    assert r["product_adoption"].value is None
