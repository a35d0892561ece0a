"""Reads the moments people type for snoozes: "45m", "4h", "tomorrow", "monday", "next week",
"2026-12-01 09:00". Pure: the caller gives `now` and the agent's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from deskterm.store.filters import FilterError, parse_duration

MORNING = time(9, 0)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class WhenError(ValueError):
    """The text is not a moment deskterm can read; the message shows what it can."""


def _at_morning(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=zone)


def parse_when(text: str, now: datetime, zone: tzinfo) -> datetime:
    """The moment `text` names, as an aware datetime; days without a time mean 09:00 local."""
    words = " ".join(text.lower().split())
    local = now.astimezone(zone)
    if not words:
        raise WhenError("say when, e.g. 4h, tomorrow, monday, next week or 2026-12-01 09:00")
    try:
        return now + parse_duration(words.replace(" ", ""))
    except FilterError:
        pass
    if words == "tomorrow":
        return _at_morning(local.date() + timedelta(days=1), zone)
    if words in ("next week", "next-week"):
        return _at_morning(local.date() + timedelta(days=7 - local.weekday()), zone)
    if words in WEEKDAYS:
        ahead = (WEEKDAYS.index(words) - local.weekday() - 1) % 7 + 1
        return _at_morning(local.date() + timedelta(days=ahead), zone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise WhenError(
            f"cannot read {text!r}; use 30m, 4h, 2d, tomorrow, monday, next week "
            "or a date like 2026-12-01 09:00"
        ) from None
    if moment.tzinfo is None:
        if len(text.strip()) == 10:
            return _at_morning(moment.date(), zone)
        moment = moment.replace(tzinfo=zone)
    return moment
