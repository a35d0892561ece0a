"""`rules explain` says why a time rule has not fired yet: it waits for the next pass (and when
the last one ran), it waits to be re-armed, or an age it tests has not grown enough (and when)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm import actions, automation
from deskterm.store import Store
from tests.unit.test_automation import rules_of

REMIND = """
name = "remind"
when = "schedule"
then = [{ tag = "reminded" }]
if.all = [
  { field = "status", is = "pending" },
  { field = "hours_since_status_change", gte = 72 },
  { field = "tags", lacks = "reminded" },
]
"""


def note(store: Store, ticket: int, now) -> str:
    engine = automation.Engine(store, rules_of(REMIND), notify=lambda kind, text: None)
    [(_, _, said)] = engine.explain(ticket, now)
    return said


@pytest.fixture
def pending(store: Store, make_message, deliver, now) -> int:
    """A ticket an agent set pending at `now`."""
    deliver(make_message(), at=now)
    actions.set_status(store, 1, "pending", actor="agent:sam", at=now)
    return 1


def test_a_time_rule_waiting_for_an_age_says_when_it_will_match(store: Store, pending, now) -> None:
    said = note(store, 1, now + timedelta(hours=10))

    assert said.endswith(
        "; would match in about 2d 14h (when hours_since_status_change reaches 72),"
        " if nothing else changes"
    )


def test_a_time_rule_that_matches_says_it_waits_for_the_next_pass_and_when_the_last_ran(
    store: Store, pending, now
) -> None:
    later = now + timedelta(hours=73)
    assert "matches now: no time pass has run on this database yet" in note(store, 1, later)

    empty = automation.Engine(store, rules_of(REMIND.replace("72", "700")))
    empty.on_schedule(later)

    assert "fires at the next time pass (the last ran at 2026-11-23 13:00:00Z" in note(
        store, 1, later
    )


def test_a_time_rule_that_fired_says_it_waits_to_be_re_armed(store: Store, pending, now) -> None:
    later = now + timedelta(hours=73)
    automation.Engine(store, rules_of(REMIND), notify=lambda kind, text: None).on_schedule(later)

    said = note(store, 1, later)

    assert "waits for a change to re-arm" in said
    assert "matches now" not in said and "would match" not in said


def test_a_time_rule_missing_more_than_time_says_nothing_of_when(
    store: Store, make_message, deliver, now
) -> None:
    deliver(make_message(), at=now)
    said = note(store, 1, now + timedelta(hours=10))
    assert said == "has not acted on this ticket"
