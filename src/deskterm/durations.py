"""The one grammar for the durations and moments people type. Snoozes (CLI, TUI, macros), SLA
settings and the search language (older:, newer:, idle:) all read through here, so "1h30m",
"90s", "tomorrow 10:00", "friday 14:00" and "2026-12-01 09:00" mean the same everywhere.

Durations are whole numbers with units, summed: 90s, 45m, 1h30m, 2d, 1w, "1h 30m", "2 days".
Units: s, m, h, d, w, or their names (sec, min, hour, hr, day, week, wk; plurals too).

Moments are read in the agent's time zone, from `now`:

- a duration: that long from now;
- today, tomorrow, a weekday (friday or fri), next week (its Monday) or a date (2026-12-01),
  each with an optional time (10:00, 9:30am, 2pm); a day without a time means 09:00;
- a time alone (14:00): the next time the clock shows it;
- an ISO 8601 moment (2026-12-01T09:00:00Z); without an offset it is local time.

A weekday means the next one still ahead: "friday" said on a Friday afternoon is next week's.

Pure and standard library only. No library fits: dateparser reads all of this but takes about
0.4 s to import and as long again for its first parse; pytimeparse takes 25-55 ms to import and
reads "10:00" as ten minutes; dateutil's parser has no "tomorrow" and guesses at anything.
(`python -X importtime -c "import dateparser"`; bench/bench_durations.py times this module.)
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

MORNING = time(9, 0)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
UNIT_NAMES = {
    "s": ("s", "sec", "secs", "second", "seconds"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "d": ("d", "day", "days"),
    "w": ("w", "wk", "wks", "week", "weeks"),
}
UNITS = {name: unit for unit, names in UNIT_NAMES.items() for name in names}
DURATION_RE = re.compile(r"^(?:\d+ ?[a-z]+ ?)+$")
PART_RE = re.compile(r"(\d+) ?([a-z]+)")
CLOCK_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))? ?(am|pm)?$")
DURATION_HINT = "write it like 90s, 45m, 1h30m, 2d or 1w"
WHEN_HINT = (
    "use a duration (4h, 1h30m), tomorrow, friday 14:00, next week, 16:30 "
    "or a date like 2026-12-01 09:00"
)


class DurationError(ValueError):
    """The text is not a duration; the message quotes it and shows what is."""


class WhenError(ValueError):
    """The text is not a moment deskterm can read; the message quotes it and shows what is."""


def parse_duration(text: str) -> timedelta:
    """The length `text` names: "90s", "45m", "1h30m", "2 days"; never zero."""
    words = " ".join(text.lower().split())
    parts = PART_RE.findall(words) if DURATION_RE.match(words) else []
    if not parts or any(unit not in UNITS for _, unit in parts):
        raise DurationError(f"{text.strip()!r} is not a duration; {DURATION_HINT}")
    seconds = sum(int(amount) * UNIT_SECONDS[UNITS[unit]] for amount, unit in parts)
    if not seconds:
        raise DurationError(f"{text.strip()!r} is zero; a duration must be longer")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise DurationError(f"{text.strip()!r} is longer than deskterm can count") from None


def parse_when(text: str, now: datetime, zone: tzinfo) -> datetime:
    """The moment `text` names, as an aware datetime (see the module doc for the grammar)."""
    words = " ".join(text.lower().split())
    if not words:
        raise WhenError(f"say when: {WHEN_HINT}")
    try:
        return now + parse_duration(words)
    except DurationError:
        pass
    moment = _iso(text.strip(), zone)
    if moment is not None:
        return moment
    day_words, clock = _split_clock(words, text)
    local = now.astimezone(zone)
    day = _day(day_words, local, clock, text)
    return datetime.combine(day, clock or MORNING, tzinfo=zone)


def _iso(text: str, zone: tzinfo) -> datetime | None:
    """An ISO 8601 date or moment; a date alone means 09:00, no offset means local time."""
    try:
        return datetime.combine(date.fromisoformat(text), MORNING, tzinfo=zone)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _split_clock(words: str, text: str) -> tuple[str, time | None]:
    """`words` as its day part and the time of day it ends with, if any."""
    head, _, last = words.rpartition(" ")
    for day_words, clock_words in ((head, last), ("", words)):
        match = CLOCK_RE.match(clock_words)
        if match and (match.group(2) or match.group(3)):
            return day_words, _clock(match, text)
    return words, None


def _clock(match: re.Match[str], text: str) -> time:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3):
        if not 1 <= hour <= 12:
            raise WhenError(f"{text.strip()!r}: {match.group(0)} is not a time of day; {WHEN_HINT}")
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
    if hour > 23 or minute > 59:
        raise WhenError(f"{text.strip()!r}: {match.group(0)} is not a time of day; {WHEN_HINT}")
    return time(hour, minute)


def _weekday(word: str) -> int | None:
    for index, name in enumerate(WEEKDAYS):
        if word in (name, name[:3]):
            return index
    return None


def _day(words: str, local: datetime, clock: time | None, text: str) -> date:
    """The local day `words` names; a weekday or a bare time is the next one after `local`."""
    today = local.date()
    passed = datetime.combine(today, clock or MORNING, tzinfo=local.tzinfo) <= local
    if words == "" and clock is not None:
        return today + timedelta(days=1 if passed else 0)
    if words == "today":
        return today
    if words == "tomorrow":
        return today + timedelta(days=1)
    if words in ("next week", "next-week"):
        return today + timedelta(days=7 - today.weekday())
    weekday = _weekday(words)
    if weekday is not None:
        ahead = (weekday - today.weekday()) % 7
        return today + timedelta(days=7 if ahead == 0 and passed else ahead)
    try:
        return date.fromisoformat(words)
    except ValueError:
        raise WhenError(f"cannot read {text.strip()!r}; {WHEN_HINT}") from None
