"""The one grammar for durations and moments: as people type them, and the same in snooze,
macros, SLA settings and the search language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskterm import macros
from deskterm.config import ConfigError
from deskterm.domain import to_iso
from deskterm.durations import WEEKDAYS, DurationError, WhenError, parse_duration, parse_when
from deskterm.sla.settings import parse_sla
from deskterm.store.filters import FilterError, parse

THURSDAY = datetime(2026, 11, 19, 22, 30, tzinfo=UTC)
BERLIN_WINTER = timezone(timedelta(hours=1))


def test_durations_count_from_now() -> None:
    assert parse_when("4h", THURSDAY, BERLIN_WINTER) == THURSDAY + timedelta(hours=4)
    assert parse_when("90m", THURSDAY, UTC) == THURSDAY + timedelta(minutes=90)
    assert parse_when("2d", THURSDAY, UTC) == THURSDAY + timedelta(days=2)


def test_days_mean_nine_in_the_morning_where_the_agent_is() -> None:
    # 23:30 in Berlin on Thursday: tomorrow is Friday 9:00 there, not in UTC.
    assert parse_when("tomorrow", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 11, 20, 9, 0, tzinfo=BERLIN_WINTER
    )
    assert parse_when("next week", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 11, 23, 9, 0, tzinfo=BERLIN_WINTER
    )
    assert parse_when("Monday", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 11, 23, 9, 0, tzinfo=BERLIN_WINTER
    )
    # Naming today's weekday (Thursday in Berlin) means next week's, never a moment gone by.
    assert parse_when("thursday", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 11, 26, 9, 0, tzinfo=BERLIN_WINTER
    )


def test_dates_and_times() -> None:
    assert parse_when("2026-12-01", THURSDAY, UTC) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert parse_when("2026-12-01 14:30", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 12, 1, 14, 30, tzinfo=BERLIN_WINTER
    )
    assert parse_when("2026-12-01T14:30:00Z", THURSDAY, BERLIN_WINTER) == datetime(
        2026, 12, 1, 14, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["soon", "", "next month", "25:00"])
def test_anything_else_says_what_it_can_read(text: str) -> None:
    with pytest.raises(WhenError, match="tomorrow"):
        parse_when(text, THURSDAY, UTC)


# --- the one grammar, everywhere -------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
# Thursday 19 November 2026, 23:30 in Berlin.
NOW = THURSDAY


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("90s", timedelta(seconds=90)),
        ("45m", timedelta(minutes=45)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("1 hour 30 minutes", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("2 days", timedelta(days=2)),
        ("1w2d", timedelta(days=9)),
        ("1wk", timedelta(weeks=1)),
        ("3 hrs", timedelta(hours=3)),
        ("  4H  ", timedelta(hours=4)),
    ],
)
def test_durations_read_the_same_in_every_form(text: str, length: timedelta) -> None:
    assert parse_duration(text) == length


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "'soon' is not a duration; write it like 90s"),
        ("1m30", "'1m30' is not a duration"),
        ("2 fortnights", "'2 fortnights' is not a duration"),
        ("0m", "'0m' is zero"),
        ("-5m", "'-5m' is not a duration"),
        ("[bold]1h[/]", "'[bold]1h[/]' is not a duration"),
        ("99999999999999w", "'99999999999999w' is longer than deskterm can count"),
    ],
)
def test_a_duration_that_cannot_be_read_is_quoted_as_typed(text: str, message: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("1h30m", NOW + timedelta(minutes=90)),
        ("90s", NOW + timedelta(seconds=90)),
        ("tomorrow 10:00", datetime(2026, 11, 20, 10, 0, tzinfo=BERLIN)),
        ("friday 14:00", datetime(2026, 11, 20, 14, 0, tzinfo=BERLIN)),
        ("fri 2pm", datetime(2026, 11, 20, 14, 0, tzinfo=BERLIN)),
        ("thursday 23:45", datetime(2026, 11, 19, 23, 45, tzinfo=BERLIN)),
        ("thursday 23:00", datetime(2026, 11, 26, 23, 0, tzinfo=BERLIN)),
        ("2026-12-01 09:00", datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)),
        ("2026-12-01 9:30am", datetime(2026, 12, 1, 9, 30, tzinfo=BERLIN)),
        ("2026-12-01", datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)),
        ("next week 08:15", datetime(2026, 11, 23, 8, 15, tzinfo=BERLIN)),
        ("23:45", datetime(2026, 11, 19, 23, 45, tzinfo=BERLIN)),
        ("7:00", datetime(2026, 11, 20, 7, 0, tzinfo=BERLIN)),
        ("today 23:59", datetime(2026, 11, 19, 23, 59, tzinfo=BERLIN)),
        ("12am", datetime(2026, 11, 20, 0, 0, tzinfo=BERLIN)),
    ],
)
def test_moments_as_people_type_them(text: str, moment: datetime) -> None:
    assert parse_when(text, NOW, BERLIN) == moment


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("friday 25:00", "'friday 25:00': 25:00 is not a time of day; use a duration"),
        ("13pm", "'13pm': 13pm is not a time of day"),
        ("someday 10:00", "cannot read 'someday 10:00'; use a duration"),
        ("[red]soon[/]", "cannot read '[red]soon[/]'"),
        ("2026-02-30", "cannot read '2026-02-30'"),
    ],
)
def test_a_moment_that_cannot_be_read_is_quoted_as_typed(text: str, message: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, BERLIN)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("text", ["1h30m", "90s", "2d", "1w"])
def test_a_duration_means_the_same_in_snooze_macros_sla_settings_and_search(text: str) -> None:
    length = parse_duration(text)
    assert parse_when(text, NOW, BERLIN) == NOW + length
    assert macros.snooze_until(text, NOW, BERLIN) == NOW + length
    policy = parse_sla({"policies": [{"name": "p", "first_reply": text}]}).policies[0]
    assert policy.first_reply == length
    _, args = parse(f"older:{text}").where(NOW)
    assert args[-1] == to_iso(NOW - length)


@pytest.mark.parametrize("text", ["tomorrow 10:00", "friday 14:00", "2026-12-01 09:00"])
def test_a_moment_means_the_same_in_snooze_and_macros(text: str) -> None:
    assert macros.snooze_until(text, NOW, BERLIN) == parse_when(text, NOW, BERLIN)


def test_the_search_language_and_sla_settings_quote_a_bad_duration() -> None:
    with pytest.raises(FilterError, match="idle: 'soon' is not a duration"):
        parse("idle:soon").where(NOW)
    with pytest.raises(ConfigError, match="first_reply: must be a duration: 'soon' is not"):
        parse_sla({"policies": [{"name": "p", "first_reply": "soon"}]})


UNIT_FORMS = {
    "s": ["s", "sec", "seconds"],
    "m": ["m", "min", "minutes"],
    "h": ["h", "hr", "hours"],
    "d": ["d", "day", "days"],
    "w": ["w", "wk", "weeks"],
}
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.sampled_from(sorted(UNIT_FORMS)), st.integers(0, 2)),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["", " "]),
)
def test_any_sum_of_parts_in_any_spelling_is_their_total(parts, gap) -> None:
    text = gap.join(f"{n}{gap}{UNIT_FORMS[unit][form]}" for n, unit, form in parts)
    total = sum(n * SECONDS[unit] for n, unit, _ in parts)
    if total == 0:
        with pytest.raises(DurationError, match="is zero"):
            parse_duration(text)
    else:
        assert parse_duration(text) == timedelta(seconds=total)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(WEEKDAYS),
    st.integers(0, 23),
    st.integers(0, 59),
)
def test_a_weekday_with_a_time_is_the_next_such_moment_still_ahead(now, day, hour, minute) -> None:
    moment = parse_when(f"{day} {hour}:{minute:02d}", now, UTC)
    assert now < moment <= now + timedelta(days=7)
    assert (WEEKDAYS[moment.weekday()], moment.hour, moment.minute) == (day, hour, minute)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(0, 23),
    st.integers(0, 59),
)
def test_a_time_alone_is_the_next_time_the_clock_shows_it(now, hour, minute) -> None:
    moment = parse_when(f"{hour}:{minute:02d}", now, UTC)
    assert now < moment <= now + timedelta(days=1)
    assert (moment.hour, moment.minute) == (hour, minute)
