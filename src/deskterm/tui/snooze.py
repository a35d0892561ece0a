"""When a snooze ends, from the picker's choices or typed text (pure; the caller gives now and zone)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from deskterm.store.filters import FilterError, parse_duration

MORNING = time(9, 0)

CHOICES: list[tuple[str, str]] = [
    ("1 hour", "1h"),
    ("4 hours", "4h"),
    ("Tomorrow 9:00", "tomorrow"),
    ("Next week (Monday 9:00)", "next week"),
    ("Custom…", "custom"),
]


def snooze_until(choice: str, now: datetime, zone: tzinfo) -> datetime:
    """'1h', '3d', 'tomorrow', 'next week', '2026-12-01' or '2026-12-01 14:30' -> an aware moment."""
    text = choice.strip().lower()
    local = now.astimezone(zone)
    if text == "tomorrow":
        return datetime.combine(local.date() + timedelta(days=1), MORNING, zone)
    if text == "next week":
        days = 7 - local.weekday()
        return datetime.combine(local.date() + timedelta(days=days), MORNING, zone)
    try:
        return now + parse_duration(text)
    except FilterError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{choice!r} is not a time; write 2h, 3d, tomorrow, next week or 2026-12-01 14:30"
        ) from None
    if len(text) <= 10:
        moment = datetime.combine(moment.date(), MORNING)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
