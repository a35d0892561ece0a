"""In a team replica, rules read their calendars from the team's SLA policy, as its deadlines do,
not from the machine's own settings file."""

from __future__ import annotations

import pytest

from deskterm import automation
from deskterm.automation.model import RuleError
from deskterm.sla.settings import as_shared, parse_sla
from deskterm.store import Store
from deskterm.store import clocks as sla_rows
from tests.unit.test_automation import rules_of

AFTER_HOURS = """
name = "after-hours"
when = "ticket_created"
calendar = "shop"
then = [{ tag = "after-hours" }]
if.all = [{ field = "business_hours", is = false }]
"""


def test_a_rule_uses_the_calendar_of_the_teams_policy(store: Store) -> None:
    rule = rules_of(AFTER_HOURS).rules["after-hours"]
    with pytest.raises(RuleError, match="unknown calendar 'shop'"):
        automation.Engine(store, rules_of(AFTER_HOURS)).calendar(rule)

    team = parse_sla(
        {"calendars": {"shop": {"timezone": "Asia/Tokyo", "hours": {"mon": ["09:00-17:00"]}}}}
    )
    with store.tx() as conn:
        sla_rows.save_team_policy(
            conn,
            {"toml": as_shared(team), "fingerprint": team.fingerprint, "by": "anna", "at": ""},
        )
    calendar = automation.Engine(store, rules_of(AFTER_HOURS)).calendar(rule)
    assert calendar.timezone == "Asia/Tokyo"
