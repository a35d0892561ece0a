"""SLA settings: shipped defaults, the user's [sla] section, and errors that point at the mistake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deskterm.config import ConfigError
from deskterm.sla.settings import load_sla, parse_sla


def policies_by_name(settings):
    return {p.name: p for p in settings.policies}


def test_shipped_defaults_cover_the_channels_from_the_issue():
    defaults = policies_by_name(parse_sla(None))
    assert defaults["email"].first_reply == timedelta(hours=2)
    assert defaults["email"].next_reply == timedelta(hours=4)
    assert defaults["email"].calendar.timezone == "Europe/London"
    assert defaults["social"].first_reply == timedelta(hours=1)
    assert defaults["amazon"].first_reply == timedelta(hours=24)
    assert defaults["amazon"].calendar.always_open
    assert defaults["walmart"].first_reply == timedelta(hours=48)
    assert defaults["email"].target("first_reply", "urgent") == timedelta(hours=1)


def test_the_default_business_calendar_closes_on_english_bank_holidays():
    business = parse_sla(None).calendars["business"]
    christmas_morning = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert not business.is_open(christmas_morning)
    assert business.is_open(christmas_morning - timedelta(days=1))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_config_adds_calendars_and_replaces_the_policy_list(tmp_path):
    path = write(
        tmp_path,
        """
[sla.calendars.shifts]
timezone = "America/New_York"
holidays = ["2026-11-26", 2026-12-25]
hours = { mon = ["08:00-12:00", "13:00-17:30"], sat = ["10:00-14:00"] }

[[sla.policies]]
name = "vip"
tags = ["VIP"]
calendar = "shifts"
first_reply = "30m"
warning = "10m"

[[sla.policies]]
name = "rest"
calendar = "24/7"
resolution = "2d12h"
""",
    )
    settings = load_sla(path)
    assert [p.name for p in settings.policies] == ["vip", "rest"]
    vip = settings.policies[0]
    assert vip.tags == frozenset({"vip"})
    assert vip.warn_before == timedelta(minutes=10)
    assert vip.calendar.week[0] == ((480, 720), (780, 1050))
    assert len(vip.calendar.holidays) == 2
    assert settings.policies[1].resolution == timedelta(hours=60)
    assert "business" in settings.calendars
    assert settings.uses_tags


def test_the_config_file_comes_from_deskterm_config(tmp_path, monkeypatch):
    path = write(
        tmp_path, '[[sla.policies]]\nname = "only"\ncalendar = "24/7"\nfirst_reply = "5m"\n'
    )
    monkeypatch.setenv("DESKTERM_CONFIG", str(path))
    assert [p.name for p in load_sla().policies] == ["only"]


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            '[sla.calendars.x]\ntimezone = "Mars/Olympus"\nhours = { mon = ["09:00-17:00"] }',
            "sla.calendars.x.timezone",
            "unknown time zone",
        ),
        (
            '[sla.calendars.x]\nhours = { mon = ["09:00-12:00", "11:00-17:00"] }',
            "sla.calendars.x.hours.mon",
            "overlap",
        ),
        (
            '[sla.calendars.x]\nhours = { mon = ["17:00-09:00"] }',
            "sla.calendars.x.hours.mon[0]",
            "ends before it starts",
        ),
        (
            '[sla.calendars.x]\nhours = { funday = ["09:00-17:00"] }',
            "sla.calendars.x.hours.funday",
            "unknown setting",
        ),
        ("[sla.calendars.x]\nhours = {}", "sla.calendars.x.hours", "no open hours"),
        (
            '[sla.calendars.x]\ncountry = "XX"\nhours = { mon = ["09:00-17:00"] }',
            "sla.calendars.x.country",
            "holidays are not known",
        ),
        (
            '[sla.calendars.x]\nholidays = ["Christmas"]\nhours = { mon = ["09:00-17:00"] }',
            "sla.calendars.x.holidays[0]",
            "must be a date",
        ),
        (
            '[[sla.policies]]\nname = "a"\nfirst_reply = "two hours"',
            "sla.policies[0].first_reply",
            "must be a duration",
        ),
        (
            '[[sla.policies]]\nname = "a"\nfirst_reply = "2h"\ncalendar = "nope"',
            "sla.policies[0].calendar",
            "no calendar named 'nope'",
        ),
        ('[[sla.policies]]\nname = "a"', "sla.policies[0]", "needs at least one"),
        (
            '[[sla.policies]]\nname = "a"\nfirst_reply = "2h"\nfirst_replay = "1h"',
            "sla.policies[0].first_replay",
            "unknown setting",
        ),
        (
            '[[sla.policies]]\nname = "a"\nfirst_reply = "2h"\npriorities = ["asap"]',
            "sla.policies[0].priorities",
            "unknown priority",
        ),
        (
            '[[sla.policies]]\nname = "a"\nfirst_reply = "2h"\nwarning = "120%"',
            "sla.policies[0].warning",
            "share from 0% to 99%",
        ),
        (
            '[[sla.policies]]\nname = "a"\nfirst_reply = "2h"\npriority_scale = { urgent = 0 }',
            "sla.policies[0].priority_scale.urgent",
            "above zero",
        ),
        (
            '[[sla.policies]]\nname = "a"\nfirst_reply = "2h"\n'
            '[[sla.policies]]\nname = "a"\nfirst_reply = "1h"',
            "sla.policies[1].name",
            "used twice",
        ),
        ("[sla]\npolicy = []", "sla.policy", "unknown setting"),
    ],
)
def test_invalid_config_names_the_file_the_key_and_the_problem(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_sla(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message


def test_a_broken_toml_file_is_reported_with_its_path(tmp_path):
    path = write(tmp_path, "[sla\n")
    with pytest.raises(ConfigError, match=r"config\.toml: \(syntax\): "):
        load_sla(path)


def test_a_missing_file_asked_for_by_name_is_an_error_but_no_file_means_defaults(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_sla(tmp_path / "missing.toml")
    assert [p.name for p in load_sla().policies][-1] == "email"
