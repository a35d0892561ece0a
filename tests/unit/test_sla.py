"""The SLA rules as pure functions: business time, clock rules over a history, states, countdowns."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from deskterm.sla import rules
from deskterm.sla.rules import Calendar, History, Policy

NINE_TO_FIVE = ((9 * 60, 17 * 60),)
WEEKDAYS_9_5 = (NINE_TO_FIVE,) * 5 + ((), ())
LONDON = Calendar(name="london", timezone="Europe/London", week=WEEKDAYS_9_5)
LONDON_ENG = Calendar(
    name="london-eng",
    timezone="Europe/London",
    week=WEEKDAYS_9_5,
    country="GB",
    subdivision="ENG",
)
SPLIT = Calendar(
    name="split",
    timezone="America/New_York",
    week=(((8 * 60, 12 * 60), (13 * 60, 17 * 60 + 30)),) * 6 + ((),),
    holidays=frozenset({date(2026, 11, 26)}),
)
LONDON_ALL_DAY = Calendar(name="allday", timezone="Europe/London", week=(((0, 1440),),) * 7)
NEW_YORK_ALL_DAY = Calendar(name="ny", timezone="America/New_York", week=(((0, 1440),),) * 7)
NEW_YORK = Calendar(name="ny-office", timezone="America/New_York", week=WEEKDAYS_9_5)

ALWAYS_OPEN = Calendar(name="24/7", always_open=True)

# Wednesday 18 November 2026, 10:00 in London (GMT, so UTC too).
WED_10 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def policy(**fields) -> Policy:
    values = {
        "name": "email",
        "calendar": LONDON,
        "first_reply": timedelta(hours=2),
        "next_reply": timedelta(hours=4),
        "resolution": timedelta(hours=24),
    }
    values.update(fields)
    return Policy(**values)


def clock(clocks: list[rules.Clock], kind: str, index: int = -1) -> rules.Clock:
    return [c for c in clocks if c.kind == kind][index]


# -- business time ---------------------------------------------------------------------------


def test_two_business_hours_late_on_friday_fall_due_on_monday_morning():
    friday_1630 = utc(2026, 11, 20, 16, 30)
    assert LONDON.add(friday_1630, timedelta(hours=2)) == utc(2026, 11, 23, 10, 30)


def test_time_outside_business_hours_does_not_count():
    saturday = utc(2026, 11, 21, 12, 0)
    assert LONDON.between(saturday, utc(2026, 11, 23, 9, 0)) == timedelta(0)
    assert LONDON.between(utc(2026, 11, 20, 16, 0), utc(2026, 11, 23, 10, 0)) == timedelta(hours=2)


def test_a_deadline_starting_before_opening_counts_from_opening():
    assert LONDON.add(utc(2026, 11, 18, 6, 0), timedelta(minutes=30)) == utc(2026, 11, 18, 9, 30)


def test_split_shift_skips_the_lunch_break():
    # 11:30 New York (EST, UTC-5): 30 minutes before lunch, then 30 after it.
    start = utc(2026, 11, 18, 16, 30)
    assert SPLIT.add(start, timedelta(hours=1)) == utc(2026, 11, 18, 18, 30)
    assert SPLIT.between(utc(2026, 11, 18, 17, 0), utc(2026, 11, 18, 18, 0)) == timedelta(0)


def test_split_shift_saturday_is_open_and_sunday_closed():
    saturday_17 = utc(2026, 11, 21, 22, 0)  # 17:00 EST, 30 minutes before closing
    assert SPLIT.add(saturday_17, timedelta(hours=1)) == utc(2026, 11, 23, 13, 30)


def test_a_listed_holiday_is_skipped():
    wednesday_17 = utc(2026, 11, 25, 22, 0)  # 17:00 EST; Thanksgiving follows
    assert SPLIT.add(wednesday_17, timedelta(hours=1)) == utc(2026, 11, 27, 13, 30)


def test_country_holidays_from_the_holidays_package_are_skipped():
    # Christmas Eve 2026 is a Thursday; 25th and 28th (Boxing Day substitute) are bank holidays.
    thursday_1630 = utc(2026, 12, 24, 16, 30)
    assert LONDON_ENG.add(thursday_1630, timedelta(hours=1)) == utc(2026, 12, 29, 9, 30)
    assert LONDON.add(thursday_1630, timedelta(hours=1)) == utc(2026, 12, 25, 9, 30)


def test_always_open_counts_every_hour():
    assert ALWAYS_OPEN.add(utc(2026, 11, 21, 23, 0), timedelta(hours=24)) == utc(
        2026, 11, 22, 23, 0
    )


@pytest.mark.parametrize(
    ("calendar", "saturday", "hours"),
    [
        (LONDON_ALL_DAY, date(2026, 3, 28), 47),  # clocks go forward on Sunday 29 March
        (LONDON_ALL_DAY, date(2026, 10, 24), 49),  # and back on Sunday 25 October
        (NEW_YORK_ALL_DAY, date(2026, 3, 7), 47),  # forward on Sunday 8 March
        (NEW_YORK_ALL_DAY, date(2026, 10, 31), 49),  # back on Sunday 1 November
    ],
)
def test_a_weekend_with_a_dst_change_has_one_hour_more_or_less(calendar, saturday, hours):
    zone = calendar.zone
    start = datetime.combine(saturday, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(saturday + timedelta(days=2), datetime.min.time(), tzinfo=zone)
    assert calendar.between(start, end) == timedelta(hours=hours)
    assert calendar.add(start, timedelta(hours=hours)) == end


def test_office_hours_keep_their_wall_clock_across_the_dst_change():
    # Friday 16:00 EST (21:00 UTC) plus 2h: Monday 10:00 EDT, which is 14:00 UTC.
    assert NEW_YORK.add(utc(2026, 3, 6, 21, 0), timedelta(hours=2)) == utc(2026, 3, 9, 14, 0)
    # Friday 16:00 BST (15:00 UTC) before London falls back: Monday 10:00 GMT.
    assert LONDON.add(utc(2026, 10, 23, 15, 0), timedelta(hours=2)) == utc(2026, 10, 26, 10, 0)


def test_a_calendar_that_never_opens_says_so():
    closed = Calendar(name="closed", timezone="UTC", week=((),) * 7)
    with pytest.raises(rules.CalendarError, match="closed"):
        closed.add(WED_10, timedelta(hours=1))


# -- policies ------------------------------------------------------------------------------


def test_the_first_matching_policy_wins_and_empty_criteria_match_anything():
    vip = policy(name="vip", tags=frozenset({"vip"}))
    ebay = policy(name="ebay", channels=frozenset({"ebay"}))
    fallback = policy(name="fallback")
    chosen = [
        rules.choose_policy((vip, ebay, fallback), ch, "normal", frozenset(tags), "shop").name
        for ch, tags in (("ebay", {"vip"}), ("ebay", set()), ("email", set()))
    ]
    assert chosen == ["vip", "ebay", "fallback"]


def test_no_policy_matches_when_every_one_is_restricted():
    only_ebay = policy(channels=frozenset({"ebay"}), accounts=frozenset({"ebay-uk"}))
    assert rules.choose_policy([only_ebay], "ebay", "normal", frozenset(), "ebay-us") is None


def test_urgent_priority_halves_the_targets():
    urgent = policy(priority_scale=(("urgent", 0.5),))
    assert urgent.target(rules.FIRST_REPLY, "urgent") == timedelta(hours=1)
    assert urgent.target(rules.FIRST_REPLY, "normal") == timedelta(hours=2)


# -- clock rules ----------------------------------------------------------------------------


def test_first_reply_runs_from_the_first_customer_message_to_the_first_agent_reply():
    history = History(
        created=WED_10,
        customer_messages=(WED_10, WED_10 + timedelta(minutes=30)),
        agent_replies=(WED_10 + timedelta(minutes=90),),
    )
    first = clock(
        rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(hours=3)),
        rules.FIRST_REPLY,
    )
    assert (first.state, first.started, first.stopped) == (
        rules.MET,
        WED_10,
        WED_10 + timedelta(minutes=90),
    )
    assert first.elapsed == timedelta(minutes=90)


def test_a_late_first_reply_is_breached_at_the_deadline():
    history = History(
        created=WED_10, customer_messages=(WED_10,), agent_replies=(WED_10 + timedelta(hours=3),)
    )
    first = clock(
        rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(hours=5)),
        rules.FIRST_REPLY,
    )
    assert first.state == rules.BREACHED
    assert first.due == WED_10 + timedelta(hours=2)
    assert [s.what for s in first.steps] == ["started", "breached", "stopped"]


def test_next_reply_restarts_at_the_customer_message_after_a_reply():
    history = History(
        created=WED_10,
        customer_messages=(WED_10, WED_10 + timedelta(hours=1), WED_10 + timedelta(hours=2)),
        agent_replies=(WED_10 + timedelta(minutes=30),),
    )
    now = WED_10 + timedelta(hours=3)
    clocks = rules.compute_clocks(history, policy(), "normal", now)
    following = clock(clocks, rules.NEXT_REPLY)
    # The 12:00 message does not restart the clock: the customer is waiting since 11:00.
    assert len([c for c in clocks if c.kind == rules.NEXT_REPLY]) == 1
    assert following.started == WED_10 + timedelta(hours=1)
    assert following.due == WED_10 + timedelta(hours=5)
    assert following.state == rules.RUNNING


def test_each_exchange_gets_its_own_next_reply_clock():
    history = History(
        created=WED_10,
        customer_messages=(WED_10, WED_10 + timedelta(hours=1), WED_10 + timedelta(hours=3)),
        agent_replies=(WED_10 + timedelta(minutes=30), WED_10 + timedelta(hours=2)),
    )
    clocks = rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(hours=4))
    assert [(c.kind, c.state) for c in clocks] == [
        (rules.FIRST_REPLY, rules.MET),
        (rules.NEXT_REPLY, rules.MET),
        (rules.NEXT_REPLY, rules.RUNNING),
        (rules.RESOLUTION, rules.RUNNING),
    ]


def test_pending_pauses_every_running_clock_and_open_resumes_it():
    history = History(
        created=WED_10,
        customer_messages=(WED_10,),
        statuses=(
            (WED_10 + timedelta(hours=1), "pending"),
            (WED_10 + timedelta(hours=5), "open"),
        ),
    )
    during = rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(hours=2))
    assert {c.state for c in during} == {rules.PAUSED}
    assert all(c.due is None for c in during)
    after = rules.compute_clocks(
        history, policy(), "normal", WED_10 + timedelta(hours=5, minutes=1)
    )
    first = clock(after, rules.FIRST_REPLY)
    # One hour counted before the pause, one left after it.
    assert first.due == WED_10 + timedelta(hours=6)
    assert [s.what for s in first.steps] == ["started", "paused", "resumed", "due"]
    assert first.steps[1].why == "pending"


def test_on_hold_and_snooze_pause_the_clock_too():
    history = History(
        created=WED_10,
        customer_messages=(WED_10,),
        statuses=(
            (WED_10 + timedelta(minutes=30), "on_hold"),
            (WED_10 + timedelta(hours=1), "open"),
        ),
        snoozes=((WED_10 + timedelta(hours=2), WED_10 + timedelta(hours=4)),),
    )
    first = clock(
        rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(hours=5)),
        rules.FIRST_REPLY,
    )
    # Counted: 10:00-10:30, 11:00-12:00, then 30 minutes from 14:00.
    assert first.due == WED_10 + timedelta(hours=4, minutes=30)
    assert [s.why for s in first.steps if s.what == "paused"] == ["on hold", "snoozed"]


def test_waking_a_snooze_early_resumes_the_clock_then():
    history = History(
        created=WED_10,
        customer_messages=(WED_10,),
        snoozes=(
            (WED_10 + timedelta(hours=1), WED_10 + timedelta(days=3)),
            (WED_10 + timedelta(hours=2), None),
        ),
    )
    first = clock(
        rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(hours=2)),
        rules.FIRST_REPLY,
    )
    assert first.state == rules.RUNNING
    assert first.due == WED_10 + timedelta(hours=3)


def test_a_reopened_ticket_resumes_its_resolution_clock():
    solved = WED_10 + timedelta(hours=3)
    reopened = utc(2026, 11, 19, 10, 0)
    history = History(
        created=WED_10,
        customer_messages=(WED_10, reopened),
        agent_replies=(WED_10 + timedelta(hours=1),),
        statuses=((solved, "solved"), (reopened, "open")),
    )
    at_solve = clock(rules.compute_clocks(history, policy(), "normal", solved), rules.RESOLUTION)
    assert (at_solve.state, at_solve.stopped) == (rules.MET, solved)
    later = clock(
        rules.compute_clocks(history, policy(), "normal", reopened + timedelta(hours=1)),
        rules.RESOLUTION,
    )
    assert later.state == rules.RUNNING
    # Three hours before it was solved, one since the reopen.
    assert later.elapsed == timedelta(hours=4)
    # 24h target, 3h used when solved: 21 business hours from Thursday 10:00 is Monday 15:00.
    assert later.due == utc(2026, 11, 23, 15, 0)
    assert [s.what for s in later.steps] == ["started", "stopped", "resumed", "due"]


def test_solving_the_ticket_stops_a_waiting_reply_clock():
    history = History(
        created=WED_10,
        customer_messages=(WED_10,),
        statuses=((WED_10 + timedelta(hours=1), "solved"),),
    )
    clocks = rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(hours=4))
    assert [(c.kind, c.state) for c in clocks] == [
        (rules.FIRST_REPLY, rules.MET),
        (rules.RESOLUTION, rules.MET),
    ]


def test_the_clock_turns_to_warning_when_a_quarter_of_the_target_remains():
    history = History(created=WED_10, customer_messages=(WED_10,))
    states = [
        clock(rules.compute_clocks(history, policy(), "normal", WED_10 + after), rules.FIRST_REPLY)
        for after in (timedelta(minutes=89), timedelta(minutes=90), timedelta(hours=2, seconds=1))
    ]
    assert [c.state for c in states] == [rules.RUNNING, rules.WARNING, rules.BREACHED]
    assert states[0].warn_at == WED_10 + timedelta(minutes=90)


def test_a_fixed_warning_duration_can_replace_the_share():
    history = History(created=WED_10, customer_messages=(WED_10,))
    ten_minutes = policy(warn_fraction=None, warn_before=timedelta(minutes=10))
    first = clock(rules.compute_clocks(history, ten_minutes, "normal", WED_10), rules.FIRST_REPLY)
    assert first.warn_at == WED_10 + timedelta(minutes=110)


def test_the_deadline_is_exact_to_the_second():
    start = WED_10 + timedelta(seconds=17)
    history = History(created=start, customer_messages=(start,))
    odd = policy(first_reply=timedelta(hours=1, seconds=3))
    first = clock(rules.compute_clocks(history, odd, "normal", start), rules.FIRST_REPLY)
    assert first.due == utc(2026, 11, 18, 11, 0, 20)


def test_messages_after_now_do_not_count_yet():
    history = History(
        created=WED_10, customer_messages=(WED_10,), agent_replies=(WED_10 + timedelta(hours=1),)
    )
    first = clock(
        rules.compute_clocks(history, policy(), "normal", WED_10 + timedelta(minutes=5)),
        rules.FIRST_REPLY,
    )
    assert first.state == rules.RUNNING


# -- what the ticket row stores ----------------------------------------------------------------


def test_the_ticket_shows_its_nearest_active_deadline():
    history = History(created=WED_10, customer_messages=(WED_10,))
    now = WED_10 + timedelta(minutes=10)
    summary = rules.summarize(rules.compute_clocks(history, policy(), "normal", now), None, now)
    assert (summary.deadline, summary.state) == (WED_10 + timedelta(hours=2), rules.RUNNING)
    assert summary.recheck_at == summary.warn_at == WED_10 + timedelta(minutes=90)


def test_a_paused_ticket_has_no_deadline_and_rechecks_when_the_snooze_ends():
    until = WED_10 + timedelta(days=1)
    history = History(created=WED_10, customer_messages=(WED_10,), snoozes=((WED_10, until),))
    now = WED_10 + timedelta(hours=1)
    summary = rules.summarize(rules.compute_clocks(history, policy(), "normal", now), until, now)
    assert summary == rules.Summary(None, None, rules.PAUSED, until)


def test_a_solved_ticket_reports_whether_its_clocks_were_met():
    history = History(
        created=WED_10,
        customer_messages=(WED_10,),
        agent_replies=(WED_10 + timedelta(hours=3),),
        statuses=((WED_10 + timedelta(hours=3), "solved"),),
    )
    now = WED_10 + timedelta(hours=4)
    summary = rules.summarize(rules.compute_clocks(history, policy(), "normal", now), None, now)
    assert summary == rules.Summary(None, None, rules.BREACHED, None)


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(hours=1, minutes=12, seconds=40), "1h 12m"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=3, seconds=5), "3m 5s"),
        (timedelta(days=2, hours=5, minutes=1), "2d 5h"),
        (timedelta(0), "0s"),
        (-timedelta(hours=1, minutes=12), "overdue 1h 12m"),
        (-timedelta(seconds=9), "overdue 9s"),
    ],
)
def test_countdown_reads_like_a_person_would_say_it(left, text):
    assert rules.countdown(WED_10 + left, WED_10) == text


def test_clocks_without_explain_agree_on_everything_but_the_elapsed_time():
    history = History(
        created=WED_10,
        customer_messages=(WED_10, WED_10 + timedelta(hours=1), WED_10 + timedelta(hours=26)),
        agent_replies=(WED_10 + timedelta(minutes=30),),
        statuses=((WED_10 + timedelta(hours=2), "pending"), (WED_10 + timedelta(hours=26), "open")),
    )
    now = WED_10 + timedelta(days=3)
    explained = rules.compute_clocks(history, policy(), "normal", now)
    quick = rules.compute_clocks(history, policy(), "normal", now, explain=False)
    assert len(explained) == len(quick) >= 3
    for full, lean in zip(explained, quick, strict=True):
        assert full.elapsed is not None and lean.elapsed is None
        assert dataclasses.replace(full, elapsed=None) == lean
