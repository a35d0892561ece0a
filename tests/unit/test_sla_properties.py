"""Property tests of business-time arithmetic and the clock rules, DST changes included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.sla.rules import Calendar, History, Policy, compute_clocks

WEEKDAYS_9_5 = (((9 * 60, 17 * 60),),) * 5 + ((), ())
ALWAYS_OPEN = Calendar(name="24/7", always_open=True)
CALENDARS = [
    Calendar(name="london", timezone="Europe/London", week=WEEKDAYS_9_5, country="GB"),
    Calendar(
        name="new-york-split",
        timezone="America/New_York",
        week=(((8 * 60, 12 * 60), (13 * 60, 17 * 60 + 30)),) * 6 + ((),),
        holidays=frozenset({date(2026, 11, 26), date(2026, 12, 25)}),
    ),
    # Night shifts that touch the hours clocks jump over (01:00-02:00 London, 02:00-03:00 NY).
    Calendar(name="london-nights", timezone="Europe/London", week=(((0, 180), (1320, 1440)),) * 7),
    Calendar(name="new-york-nights", timezone="America/New_York", week=(((60, 240),),) * 7),
    Calendar(name="sydney", timezone="Australia/Sydney", week=WEEKDAYS_9_5),
    ALWAYS_OPEN,
]

# Moments near the 2026 DST changes of London, New York and Sydney, plus any moment at all.
DST_CHANGES = [
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 16, 0, tzinfo=UTC),
    datetime(2026, 10, 3, 16, 0, tzinfo=UTC),
]
near_dst = st.builds(
    lambda change, offset: change + timedelta(seconds=offset),
    st.sampled_from(DST_CHANGES),
    st.integers(-4 * 86400, 4 * 86400),
)
anywhere = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=0))
moments = st.one_of(near_dst, anywhere)
durations = st.integers(0, 200 * 3600).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(CALENDARS)


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations)
def test_measuring_an_added_business_duration_gives_it_back(calendar, start, duration):
    assert calendar.between(start, calendar.add(start, duration)) == duration


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations.filter(lambda d: d > timedelta(0)))
def test_a_deadline_never_lands_outside_business_hours(calendar, start, duration):
    assert calendar.is_open(calendar.add(start, duration))


@settings(max_examples=200, deadline=None)
@given(calendars, moments, durations, durations)
def test_more_business_time_never_gives_an_earlier_deadline(calendar, start, one, two):
    shorter, longer = sorted((one, two))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@settings(max_examples=200, deadline=None)
@given(calendars, moments, moments)
def test_business_time_is_never_more_than_wall_time(calendar, one, two):
    start, end = sorted((one, two))
    assert timedelta(0) <= calendar.between(start, end) <= end - start


@settings(max_examples=300, deadline=None)
@given(
    calendars,
    moments,
    st.integers(1, 48 * 3600),
    st.integers(0, 72 * 3600),
    st.sampled_from(["pending", "on_hold", "snooze"]),
)
def test_pausing_never_makes_a_deadline_earlier(calendar, start, pause_at, pause_for, how):
    rules = Policy(
        name="p",
        calendar=calendar,
        first_reply=timedelta(hours=2),
        next_reply=timedelta(hours=4),
        resolution=timedelta(hours=30),
    )
    pause_start = start + timedelta(seconds=pause_at)
    pause_end = pause_start + timedelta(seconds=pause_for)
    now = pause_end + timedelta(minutes=1)
    plain = History(created=start, customer_messages=(start,))
    if how == "snooze":
        paused = History(
            created=start, customer_messages=(start,), snoozes=((pause_start, pause_end),)
        )
    else:
        paused = History(
            created=start,
            customer_messages=(start,),
            statuses=((pause_start, how), (pause_end, "open")),
        )
    before = compute_clocks(plain, rules, "normal", now)
    after = compute_clocks(paused, rules, "normal", now)
    for without, with_pause in zip(before, after, strict=True):
        assert with_pause.elapsed <= without.elapsed
        if without.due is not None and with_pause.due is not None:
            assert with_pause.due >= without.due
