"""People's changes set off event rules in the same transaction: `reply_sent` after a reply,
`ticket_updated` after any other change, with the rule as actor on what it does."""

from __future__ import annotations

import pytest

from deskterm import actions, automation
from deskterm.store import Store
from tests.unit.test_automation import ingest, rules_of

WAITING = """
name = "waiting-tag"
when = ["ticket_updated"]
then = [{ tag = "waiting" }]
if.all = [{ field = "status", is = "pending" }, { field = "tags", lacks = "waiting" }]
"""
AFTER_REPLY = """
name = "pending-after-reply"
when = ["reply_sent"]
then = [{ status = "pending" }]
if.all = [{ field = "status", is = "open" }, { field = "channel", is = "email" }]
"""
PERSON = "agent:anna"


def events(store: Store, ticket_id: int) -> list[tuple[str, str]]:
    """What people and rules did to the ticket (the SLA clock's own events left out)."""
    return store.conn.execute(
        "SELECT actor, kind FROM events WHERE ticket_id = ? AND actor NOT LIKE 'system:%'"
        " ORDER BY id",
        (ticket_id,),
    ).fetchall()


@pytest.fixture
def ticket(store: Store, make_message) -> int:
    return ingest(store, automation.RuleSet(), make_message())


def test_a_person_setting_a_status_sets_off_ticket_updated_rules(store: Store, ticket) -> None:
    with actions.rules_in_force(rules_of(WAITING)):
        actions.set_status(store, ticket, "pending", actor=PERSON)

    assert events(store, ticket)[-2:] == [(PERSON, "status"), ("rule:waiting-tag", "tag")]


def test_a_reply_sets_off_reply_sent_rules_and_what_they_change_cascades(
    store: Store, ticket
) -> None:
    with actions.rules_in_force(rules_of(WAITING, AFTER_REPLY)):
        actions.reply(store, ticket, "It left our warehouse today.", actor=PERSON)

    assert events(store, ticket)[-3:] == [
        (PERSON, "reply"),
        ("rule:pending-after-reply", "status"),
        ("rule:waiting-tag", "tag"),
    ]


def test_a_macro_a_person_applies_sets_off_rules_but_a_rules_own_change_only_cascades(
    store: Store, ticket
) -> None:
    with actions.rules_in_force(rules_of(WAITING)):
        actions.set_status(store, ticket, "pending", actor="rule:other")
        assert events(store, ticket)[-1] == ("rule:other", "status")
        actions.set_status(store, ticket, "open", actor="macro:follow-up")
        actions.set_status(store, ticket, "pending", actor="macro:follow-up")

    assert events(store, ticket)[-2:] == [
        ("macro:follow-up", "status"),
        ("rule:waiting-tag", "tag"),
    ]


def test_a_rule_that_cannot_act_leaves_the_persons_change_standing(store: Store, ticket) -> None:
    back_to_new = """
name = "back-to-new"
when = ["ticket_updated"]
then = [{ status = "new" }]
if.all = [{ field = "status", is = "pending" }]
"""
    with actions.rules_in_force(rules_of(back_to_new)):
        actions.set_status(store, ticket, "pending", actor=PERSON)

    status = store.conn.execute("SELECT status FROM tickets WHERE id = ?", (ticket,)).fetchone()
    assert status == ("pending",)
    assert events(store, ticket)[-1] == (PERSON, "status")


def test_the_users_rules_folder_is_read_when_nothing_else_is_in_force(
    store: Store, ticket, tmp_path, monkeypatch
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "waiting-tag.toml").write_text(WAITING)
    monkeypatch.setenv("DESKTERM_RULES", str(folder))

    actions.set_status(store, ticket, "pending", actor=PERSON)

    assert events(store, ticket)[-1] == ("rule:waiting-tag", "tag")
