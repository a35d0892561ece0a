"""SLA settings from the [sla] section of the config file: business calendars and policies.

The shipped defaults are the TOML text below, parsed by the same code as the user's file, so
they obey the same rules. A user's calendars are added to (or replace, by name) the shipped ones;
a user's [[sla.policies]] list replaces the shipped list as a whole, because order decides.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskterm.config import ConfigError, Section, read_settings_file
from deskterm.domain import Priority
from deskterm.durations import DurationError, parse_duration
from deskterm.sla.rules import WEEKDAYS, Calendar, Policy

DEFAULTS_TOML = """
# Mon-Fri 09:00-17:00 in London, closed on bank holidays in England.
[calendars.business]
timezone = "Europe/London"
country = "GB"
subdivision = "ENG"

[calendars.business.hours]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]

# Marketplaces judge sellers in calendar hours, weekends included.
[calendars."24/7"]
always_open = true

[[policies]]
name = "amazon"
channels = ["amazon"]
calendar = "24/7"
first_reply = "24h"
next_reply = "24h"
resolution = "72h"
priority_scale = { urgent = 0.5 }

[[policies]]
name = "ebay"
channels = ["ebay"]
calendar = "24/7"
first_reply = "24h"
next_reply = "24h"
resolution = "72h"
priority_scale = { urgent = 0.5 }

[[policies]]
name = "walmart"
channels = ["walmart"]
calendar = "24/7"
first_reply = "48h"
next_reply = "48h"
resolution = "96h"
priority_scale = { urgent = 0.5 }

[[policies]]
name = "social"
channels = ["social", "facebook", "instagram", "x", "twitter", "whatsapp", "tiktok"]
calendar = "business"
first_reply = "1h"
next_reply = "1h"
resolution = "16h"
priority_scale = { urgent = 0.5 }

# Everything else, email first: 2h first reply, 4h next reply, 3 business days (of 8h) to solve.
[[policies]]
name = "email"
calendar = "business"
first_reply = "2h"
next_reply = "4h"
resolution = "24h"
priority_scale = { urgent = 0.5 }
"""

SPAN_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
CALENDAR_KEYS = {"timezone", "hours", "holidays", "country", "subdivision", "always_open"}
POLICY_KEYS = {
    "name",
    "calendar",
    "channels",
    "priorities",
    "tags",
    "accounts",
    "first_reply",
    "next_reply",
    "resolution",
    "warning",
    "priority_scale",
}
SECTION_KEYS = {"calendars", "policies"}


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """Every calendar by name and the policies in match order."""

    calendars: dict[str, Calendar]
    policies: tuple[Policy, ...]
    path: Path | None = None
    # Changes whenever the settings (or the shipped defaults) change; stored tickets remember
    # the fingerprint they were computed with, so a change can trigger a recompute.
    fingerprint: str = ""
    # The [sla] table as written (empty: the shipped defaults), which a team shares (as_shared).
    section: dict = field(default_factory=dict, compare=False)

    @property
    def uses_tags(self) -> bool:
        """True when some policy matches on tags, so the store must read a ticket's tags."""
        return any(p.tags for p in self.policies)


class _Reader:
    """Validates one [sla] table; every error names the file, the key and the problem."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, not {_kind(value)}")
        return value

    def known(self, table: dict[str, Any], allowed: set[str], key: str) -> None:
        for name in table:
            if name not in allowed:
                raise self.fail(
                    f"{key}.{name}", f"unknown setting; known: {', '.join(sorted(allowed))}"
                )

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be non-empty text, not {_kind(value)}")
        return value.strip()

    def names(self, value: Any, key: str, lower: bool = True) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
            raise self.fail(key, 'must be a list of names, like ["email", "ebay"]')
        return frozenset(x.strip().lower() if lower else x.strip() for x in value)

    def duration(self, value: Any, key: str) -> timedelta:
        if not isinstance(value, str):
            raise self.fail(
                key, f'must be a duration like "2h", "1h30m", "3d" or "45m", not {value!r}'
            )
        try:
            return parse_duration(value)
        except DurationError as exc:
            raise self.fail(key, f"must be a duration: {exc}") from None

    def calendar(self, name: str, raw: Any) -> Calendar:
        key = f"sla.calendars.{name}"
        table = self.table(raw, key)
        self.known(table, CALENDAR_KEYS, key)
        if table.get("always_open", False) is True:
            extra = set(table) - {"always_open"}
            if extra:
                raise self.fail(f"{key}.{min(extra)}", "means nothing on an always-open calendar")
            return Calendar(name=name, always_open=True)
        if "always_open" in table and table["always_open"] is not False:
            raise self.fail(f"{key}.always_open", "must be true or false")
        zone = self.text(table.get("timezone", "UTC"), f"{key}.timezone")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(
                f"{key}.timezone", f'unknown time zone {zone!r}; use a name like "Europe/London"'
            ) from None
        hours = self.table(table.get("hours", {}), f"{key}.hours")
        self.known(hours, set(WEEKDAYS), f"{key}.hours")
        week = tuple(self.day(hours.get(day, []), f"{key}.hours.{day}") for day in WEEKDAYS)
        if not any(week):
            raise self.fail(f"{key}.hours", "has no open hours on any day")
        country = table.get("country")
        subdivision = table.get("subdivision")
        if subdivision is not None and country is None:
            raise self.fail(f"{key}.subdivision", "needs a country")
        if country is not None:
            country = self.text(country, f"{key}.country").upper()
            if subdivision is not None:
                subdivision = self.text(subdivision, f"{key}.subdivision").upper()
            self.country(country, subdivision, key)
        return Calendar(
            name=name,
            timezone=zone,
            week=week,
            holidays=self.holidays(table.get("holidays", []), f"{key}.holidays"),
            country=country,
            subdivision=subdivision,
        )

    def day(self, spans: Any, key: str) -> tuple[tuple[int, int], ...]:
        if not isinstance(spans, list):
            raise self.fail(key, 'must be a list of spans, like ["09:00-12:00", "13:00-17:00"]')
        result = []
        for index, span in enumerate(spans):
            match = SPAN_RE.match(span) if isinstance(span, str) else None
            if not match:
                raise self.fail(f"{key}[{index}]", f'must look like "09:00-17:00", not {span!r}')
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440:
                raise self.fail(f"{key}[{index}]", f"{span!r} is not a time of day")
            if end <= start:
                raise self.fail(f"{key}[{index}]", f"{span!r} ends before it starts")
            result.append((start, end))
        result.sort()
        for (_, end), (start, _) in itertools.pairwise(result):
            if start < end:
                raise self.fail(key, "has spans that overlap")
        return tuple(result)

    def holidays(self, value: Any, key: str) -> frozenset[date]:
        if not isinstance(value, list):
            raise self.fail(key, 'must be a list of dates, like ["2026-12-24"]')
        days = set()
        for index, item in enumerate(value):
            if isinstance(item, date):
                days.add(item)
                continue
            try:
                days.add(date.fromisoformat(item))
            except (TypeError, ValueError):
                raise self.fail(
                    f"{key}[{index}]", f"must be a date like 2026-12-24, not {item!r}"
                ) from None
        return frozenset(days)

    def country(self, country: str, subdivision: str | None, key: str) -> None:
        import holidays  # heavy; only loaded when a calendar names a country

        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError as exc:
            which = "subdivision" if subdivision and "subdivision" in str(exc) else "country"
            raise self.fail(f"{key}.{which}", f"holidays are not known for it: {exc}") from None

    def policy(self, index: int, raw: Any, calendars: dict[str, Calendar]) -> Policy:
        key = f"sla.policies[{index}]"
        table = self.table(raw, key)
        self.known(table, POLICY_KEYS, key)
        name = self.text(table.get("name", ""), f"{key}.name")
        calendar_name = self.text(table.get("calendar", "business"), f"{key}.calendar")
        if calendar_name not in calendars:
            raise self.fail(
                f"{key}.calendar",
                f"no calendar named {calendar_name!r}; known: {', '.join(sorted(calendars))}",
            )
        targets = {
            kind: self.duration(table[kind], f"{key}.{kind}")
            for kind in ("first_reply", "next_reply", "resolution")
            if kind in table
        }
        if not targets:
            raise self.fail(key, "needs at least one of first_reply, next_reply, resolution")
        priorities = self.names(table.get("priorities", []), f"{key}.priorities")
        known = {p.value for p in Priority}
        for priority in priorities - known:
            raise self.fail(
                f"{key}.priorities", f"unknown priority {priority!r}; one of {', '.join(known)}"
            )
        scale = self.table(table.get("priority_scale", {}), f"{key}.priority_scale")
        for priority, factor in scale.items():
            if priority not in known:
                raise self.fail(f"{key}.priority_scale.{priority}", "is not a priority")
            if isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0:
                raise self.fail(
                    f"{key}.priority_scale.{priority}", "must be a number above zero, like 0.5"
                )
        fraction, before = self.warning(table.get("warning", "25%"), f"{key}.warning")
        return Policy(
            name=name,
            calendar=calendars[calendar_name],
            first_reply=targets.get("first_reply"),
            next_reply=targets.get("next_reply"),
            resolution=targets.get("resolution"),
            warn_fraction=fraction,
            warn_before=before,
            channels=self.names(table.get("channels", []), f"{key}.channels"),
            priorities=priorities,
            tags=self.names(table.get("tags", []), f"{key}.tags"),
            accounts=self.names(table.get("accounts", []), f"{key}.accounts", lower=False),
            priority_scale=tuple(sorted((p, float(f)) for p, f in scale.items())),
        )

    def warning(self, value: Any, key: str) -> tuple[float | None, timedelta | None]:
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                percent = float(value.strip()[:-1])
            except ValueError:
                percent = -1.0
            if not 0 <= percent < 100:
                raise self.fail(key, f"must be a share from 0% to 99%, not {value!r}")
            return percent / 100, None
        return None, self.duration(value, key)


def _kind(value: Any) -> str:
    return f"{value!r}" if isinstance(value, str) else type(value).__name__


def parse_sla(section: Any, path: Path | None = None) -> SlaSettings:
    """Validate an [sla] table (None for no section) and merge it over the shipped defaults."""
    defaults = tomllib.loads(DEFAULTS_TOML)
    reader = _Reader(path)
    raw = reader.table(section if section is not None else {}, "sla")
    reader.known(raw, SECTION_KEYS, "sla")
    calendar_tables = {**defaults["calendars"]}
    calendar_tables.update(reader.table(raw.get("calendars", {}), "sla.calendars"))
    calendars = {name: reader.calendar(name, table) for name, table in calendar_tables.items()}
    policy_list = raw.get("policies", defaults["policies"])
    if not isinstance(policy_list, list) or not policy_list:
        raise reader.fail("sla.policies", "must be a non-empty list, written as [[sla.policies]]")
    policies = tuple(reader.policy(i, p, calendars) for i, p in enumerate(policy_list))
    seen: set[str] = set()
    for index, policy in enumerate(policies):
        if policy.name in seen:
            raise reader.fail(f"sla.policies[{index}].name", f"{policy.name!r} is used twice")
        seen.add(policy.name)
    canonical = json.dumps([DEFAULTS_TOML, raw], sort_keys=True, default=str)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return SlaSettings(
        calendars=calendars, policies=policies, path=path, fingerprint=fingerprint, section=raw
    )


SLA = Section("sla", lambda raw, config: parse_sla(raw, config.path))


def as_shared(settings: SlaSettings) -> str:
    """The settings' [sla] table as TOML text, as a team shares it (from_shared reads it back
    with the same fingerprint)."""
    import tomlkit

    return tomlkit.dumps({"sla": settings.section})


def from_shared(text: str) -> SlaSettings:
    """The settings a team shares (as_shared's text)."""
    return parse_sla(tomllib.loads(text).get("sla"))


def load_sla(path: Path | str | None = None) -> SlaSettings:
    """The SLA settings from the config file ($DESKTERM_CONFIG or the user config folder).

    Only the [sla] section is read and checked, so a slip elsewhere in the file does not stop
    deadlines from being computed; `deskterm sla check` reports on this section alone.
    """
    resolved, data = read_settings_file(path)
    return parse_sla(data.get("sla"), resolved)
