"""The KPIs' per-day totals: medians and p90s read from the duration buckets are within
buckets.BOUND (2%) of the exact ones; the triggers keep kpi_days equal to the sum of what each
cached span counts as, through fills, changes and drops; a report read from the totals is the
computed one (within the bound) when tickets arrive and change after the cache was filled,
re-contacts of a one-touch solve included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.domain import to_iso
from deskterm.metrics import buckets, daily, stats, summed
from deskterm.metrics.figures import Period
from deskterm.store import kpi_cache, open_store
from tests.unit import test_metrics_cache as history
from tests.unit.test_metrics_cache import (
    COSTS,
    SLA,
    START,
    ZONE,
    histories,
    insert,
    uncached,
)

# Durations in seconds: whole ones as stored, and fractions down to a microsecond.
durations = st.lists(
    st.one_of(st.integers(0, 10**8), st.just(0.0), st.floats(1e-6, 10**8)), min_size=1
)


def histogram(values: list[float]) -> dict[int, tuple[int, float]]:
    return buckets.merged((buckets.bucket(v), 1, v) for v in values)


@given(durations)
def test_a_median_and_p90_from_the_buckets_are_within_two_percent(values):
    median, p90 = buckets.median_p90(histogram(values))
    assert abs(median - stats.median(values)) <= 0.02 * stats.median(values) + 1e-9
    exact = stats.percentile(values, 0.9)
    assert abs(p90 - exact) <= 0.02 * exact + 1e-9


@given(st.integers(1, 10**7), st.integers(1, 50))
def test_a_bucket_of_equal_values_gives_them_exactly(value, times):
    assert buckets.median_p90(histogram([value] * times)) == (value, value)


@given(durations)
def test_buckets_sort_as_their_values_do(values):
    ordered = sorted(values)
    numbers = [buckets.bucket(v) for v in ordered]
    assert numbers == sorted(numbers)


def test_two_values_a_bucket_apart_are_not_mixed():
    assert buckets.bucket(100) != buckets.bucket(100 * 1.0201)
    assert buckets.median_p90(histogram([100, 103, 106])) == (103, 106)


def summed_parts(conn, length: int) -> list[tuple]:
    """What kpi_days (day: `length` 10) or kpi_months (7) must hold: every cached span's
    parts, summed."""
    return conn.execute(
        "SELECT substr(day, 1, ?), kind, lab, col, bucket, SUM(1), SUM(total) FROM kpi_parts"
        " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
        (length,),
    ).fetchall()


def kept(conn, table: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5").fetchall()


def with_customers():
    """A store in memory with the two customers the generated tickets belong to."""
    store = open_store(memory=True)
    with store.tx() as conn:
        conn.executemany(
            "INSERT INTO customers (id, name, created_at) VALUES (?, 'c', ?)",
            [(1, to_iso(START)), (2, to_iso(START))],
        )
    return store


@settings(max_examples=40, deadline=None)
@given(histories, st.integers(1, 7), st.integers(0, 40))
def test_totals_follow_tickets_that_arrive_and_change_after_the_fill(generated, first, hours):
    first = min(first, len(generated))
    store = with_customers()
    conn = store.conn
    with store.tx():
        for n, (channel, steps) in enumerate(generated[:first], start=1):
            insert(conn, n, channel, steps)
    now = START + timedelta(days=2, hours=hours)
    for later in range(2):
        period = Period(now - timedelta(days=1, hours=7), now)
        fast = summed.build(store, period, SLA, now, COSTS, ZONE)
        assert daily.differences(fast, uncached(store, period, now, None)) == []
        assert kept(conn, "kpi_days") == summed_parts(conn, 10)
        assert kept(conn, "kpi_months") == summed_parts(conn, 7)
        # Then the other tickets arrive (re-contacts of the first ones' customers), and the
        # first ticket gets a reply: the totals must follow.
        with store.tx():
            for n, (channel, steps) in enumerate(generated[first:], start=first + 1):
                if not later:
                    insert(conn, n, channel, steps)
            conn.execute(
                "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (1, ?, ?, ?, ?)",
                (to_iso(now), "agent:anna", "status", json.dumps({"before": "x", "after": "x"})),
            )
        now += timedelta(days=3)
    store.close()


def test_a_new_ticket_of_the_customer_undoes_a_first_contact_resolution(store):
    """A one-touch solve counts as first-contact until the customer opens another ticket on the
    channel within three days; the cached ticket is computed again when that ticket arrives."""
    conn = store.conn
    with store.tx():
        conn.execute("INSERT INTO customers (id, name, created_at) VALUES (2, 'c', ?)", ("x",))
        insert(conn, 1, "email", [(30, "reply:agent:anna"), (5, "solved")])
    now = START + timedelta(days=1)
    period = Period(now - timedelta(days=2), now)

    def rate() -> float | None:
        fast = summed.build(store, period, SLA, now, COSTS, ZONE)
        assert daily.differences(fast, uncached(store, period, now, None)) == []
        return fast.groups[0].current["first_contact_rate"]

    assert rate() == 1.0
    with store.tx():
        insert(conn, 3, "email", [])
    assert rate() == 0.0


def test_a_period_is_cut_in_whole_months_whole_days_and_its_ends():
    period = Period(datetime(2026, 9, 20, 17, tzinfo=UTC), datetime(2026, 12, 3, 9, tzinfo=UTC))
    cut = daily.split(period, ZONE)
    # London is on summer time until 25 October: its midnight is 23:00 UTC the day before.
    assert cut.months == ("2026-10", "2026-12")
    assert cut.days == [("2026-09-21", "2026-10-01"), ("2026-12-01", "2026-12-03")]
    assert cut.edges == [
        ("2026-09-20T17:00:00Z", "2026-09-20T23:00:00Z"),
        ("2026-12-03T00:00:00Z", "2026-12-03T09:00:00Z"),
    ]
    within = daily.split(Period(period.start, period.start + timedelta(hours=3)), ZONE)
    assert (within.months, within.days) == (None, [])
    assert daily.split(period, ZONE, months=False).days == [("2026-09-21", "2026-12-03")]


@settings(max_examples=25, deadline=None)
@given(histories, st.lists(st.integers(0, 150), min_size=8, max_size=8), st.integers(20, 120))
def test_long_periods_read_from_months_are_the_computed_ones(generated, offsets, days):
    store = with_customers()
    conn = store.conn
    with store.tx():
        for n, ((channel, steps), offset) in enumerate(
            zip(generated, offsets, strict=False), start=1
        ):
            history.START = START - timedelta(days=offset)
            try:
                insert(conn, n, channel, steps)
            finally:
                history.START = START
    now = START + timedelta(days=20, hours=5)
    period = Period(now - timedelta(days=days), now)
    fast = summed.build(store, period, SLA, now, COSTS, ZONE)
    assert daily.differences(fast, uncached(store, period, now, None)) == []
    assert kept(conn, "kpi_months") == summed_parts(conn, 7)
    store.close()


def test_a_ticket_merged_away_leaves_the_totals():
    """Its cached spans stay until the next report, which takes them out of the totals."""
    store = with_customers()
    conn = store.conn
    with store.tx():
        insert(conn, 1, "email", [(30, "reply:agent:anna"), (5, "solved")])
        insert(conn, 2, "email", [(20, "reply:agent:bob")])
    now = START + timedelta(days=1)
    period = Period(now - timedelta(days=2), now)
    assert summed.build(store, period, SLA, now, COSTS, ZONE).groups[0].current["created"] == 2
    with store.tx():
        conn.execute("UPDATE tickets SET merged_into = 2 WHERE id = 1")
    assert conn.execute("SELECT COUNT(*) FROM kpi_spans WHERE ticket_id = 1").fetchone()[0]
    fast = summed.build(store, period, SLA, now, COSTS, ZONE)
    assert daily.differences(fast, uncached(store, period, now, None)) == []
    assert fast.groups[0].current["created"] == 1
    assert conn.execute("SELECT COUNT(*) FROM kpi_spans WHERE ticket_id = 1").fetchone()[0] == 0
    assert kept(conn, "kpi_days") == summed_parts(conn, 10)


def test_a_new_ticket_given_a_deleted_tickets_id_is_marked_to_compute():
    store = with_customers()
    conn = store.conn

    def ticket(number: int) -> None:
        conn.execute(
            "INSERT INTO tickets (id, customer_id, account, channel, status, created_at,"
            " updated_at, last_message_at) VALUES (?, 1, 'shop', 'email', 'new', ?, ?, ?)",
            (number, *[to_iso(START)] * 3),
        )

    def marked() -> list[int]:
        kpi_cache.note_new(conn)
        kpi_cache.forget_gone(conn)
        return [r[0] for r in conn.execute("SELECT ticket_id FROM kpi_dirty ORDER BY 1")]

    with store.tx():
        ticket(1)
        ticket(2)
        assert marked() == [1, 2]
        # As a team replica drops a ticket the server never took (store.team).
        conn.execute("DELETE FROM tickets WHERE id = 2")
        assert marked() == [1]
        ticket(2)
        assert marked() == [1, 2]
