"""Snooze times as people type them: durations, local mornings, weekdays and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from deskterm.durations import WhenError, parse_when

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
