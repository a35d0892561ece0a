"""The one write path: every action changes the ticket, writes exactly one event, and can be undone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from deskterm import actions
from deskterm.actions.outbox import reply_target
from deskterm.domain import Status
from deskterm.store import Store, drafts

AGENT = "agent:bob"


@pytest.fixture
def ticket(store: Store, make_message, deliver) -> int:
    deliver(make_message())
    return store.conn.execute("SELECT id FROM tickets").fetchone()[0]


def event_count(store: Store) -> int:
    return store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def column(store: Store, ticket: int, name: str):
    return store.conn.execute(f"SELECT {name} FROM tickets WHERE id = ?", (ticket,)).fetchone()[0]


def last_event(store: Store) -> tuple[str, str, dict]:
    kind, actor, data = store.conn.execute(
        "SELECT kind, actor, data FROM events ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return kind, actor, json.loads(data)


@pytest.mark.parametrize(
    ("call", "col", "expected", "kind"),
    [
        (
            lambda s, t, n: actions.set_status(s, t, "pending", actor=AGENT, at=n),
            "status",
            "pending",
            "status",
        ),
        (lambda s, t, n: actions.resolve(s, t, actor=AGENT, at=n), "status", "solved", "status"),
        (
            lambda s, t, n: actions.set_priority(s, t, "urgent", actor=AGENT, at=n),
            "priority",
            "urgent",
            "priority",
        ),
        (
            lambda s, t, n: actions.assign(s, t, "chloe", actor=AGENT, at=n),
            "assignee",
            "chloe",
            "assign",
        ),
        (
            lambda s, t, n: actions.escalate(s, t, "chargeback", actor=AGENT, at=n),
            "escalation",
            1,
            "escalate",
        ),
        (
            lambda s, t, n: actions.snooze(s, t, n + timedelta(hours=4), actor=AGENT, at=n),
            "snoozed_until",
            "2026-11-20T16:00:00Z",
            "snooze",
        ),
    ],
)
def test_each_field_action_writes_one_event_and_undo_restores_the_field(
    store: Store, ticket: int, now, call, col, expected, kind
) -> None:
    before_value = column(store, ticket, col)
    before_events = event_count(store)

    call(store, ticket, now)

    assert column(store, ticket, col) == expected
    assert event_count(store) == before_events + 1
    assert last_event(store)[:2] == (kind, AGENT)

    actions.undo(store, actor=AGENT, at=now)
    assert column(store, ticket, col) == before_value
    assert last_event(store)[0] == "undo"


def test_reply_queues_one_outbox_item_with_threading_headers(
    store: Store, ticket: int, now
) -> None:
    done = actions.reply(store, ticket, "It ships today.", actor=AGENT, at=now)

    payload = json.loads(
        store.conn.execute("SELECT payload FROM outbox WHERE id = ?", (done.outbox_id,)).fetchone()[
            0
        ]
    )
    assert payload["to"] == {"kind": "email", "value": "anna@example.com"}
    assert payload["in_reply_to"] == "<m1@example.com>"
    assert payload["references"] == ["<m1@example.com>"]
    assert payload["subject"] == f"Re: Where is my order? [#{ticket}]"
    assert payload["message_id"].startswith("<") and payload["message_id"].endswith(">")
    stored = store.conn.execute(
        "SELECT direction, text, message_id FROM messages WHERE id = ?", (done.message_id,)
    ).fetchone()
    assert stored == ("out", "It ships today.", payload["message_id"])
    assert last_event(store)[0] == "reply"


def test_a_reply_carries_its_cc_and_refuses_what_is_not_an_address(
    store: Store, ticket: int, now
) -> None:
    done = actions.reply(
        store, ticket, "Copying our depot", actor=AGENT, at=now, cc=["d@x.example"]
    )
    payload = store.conn.execute(
        "SELECT payload FROM outbox WHERE id = ?", (done.outbox_id,)
    ).fetchone()[0]
    assert json.loads(payload)["cc"] == ["d@x.example"]
    with pytest.raises(actions.ActionError, match="Cc 'depot' is not an email address"):
        actions.reply(store, ticket, "Again", actor=AGENT, at=now, cc=["depot"])
    target = reply_target(store, ticket)
    assert (target.kind, target.takes_cc) == ("email", True)


def test_undo_of_a_queued_reply_removes_it_and_cancels_the_send(
    store: Store, ticket: int, now
) -> None:
    done = actions.reply(store, ticket, "Oops, wrong ticket", actor=AGENT, at=now)

    actions.undo(store, actor=AGENT, at=now)

    assert store.conn.execute(
        "SELECT status FROM outbox WHERE id = ?", (done.outbox_id,)
    ).fetchone() == ("cancelled",)
    assert store.conn.execute(
        "SELECT COUNT(*) FROM messages WHERE id = ?", (done.message_id,)
    ).fetchone() == (0,)
    assert column(store, ticket, "status") == "new"


def test_undoing_a_queued_reply_puts_its_text_back_into_the_draft(
    store: Store, ticket: int, now
) -> None:
    actions.reply(store, ticket, "It ships today.", actor=AGENT, at=now)
    drafts.save(store, ticket, "reply", "PS:", now)  # begun meanwhile: kept, first

    actions.undo(store, actor=AGENT, at=now)

    assert drafts.load(store, ticket, "reply") == "PS:\n\nIt ships today."
    actions.note(store, ticket, "Call the carrier", actor=AGENT, at=now)
    actions.undo(store, actor=AGENT, at=now)
    assert drafts.load(store, ticket, "note") == "Call the carrier"


def test_a_reply_that_has_left_cannot_be_undone(store: Store, ticket: int, now) -> None:
    done = actions.reply(store, ticket, "Sent already", actor=AGENT, at=now)
    with store.tx() as conn:
        conn.execute("UPDATE outbox SET status = 'sent' WHERE id = ?", (done.outbox_id,))

    with pytest.raises(actions.ActionError, match="already left"):
        actions.undo(store, actor=AGENT, at=now)
    assert store.conn.execute("SELECT COUNT(*) FROM messages").fetchone() == (2,)


def test_note_is_internal_and_undo_deletes_it(store: Store, ticket: int, now) -> None:
    done = actions.note(store, ticket, "VIP, be nice", actor=AGENT, at=now)

    assert store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
    assert store.conn.execute(
        "SELECT direction FROM messages WHERE id = ?", (done.message_id,)
    ).fetchone() == ("note",)
    actions.undo(store, actor=AGENT, at=now)
    assert store.conn.execute(
        "SELECT COUNT(*) FROM messages WHERE id = ?", (done.message_id,)
    ).fetchone() == (0,)


def test_tags_are_normalised_and_undo_removes_them(store: Store, ticket: int, now) -> None:
    actions.tag(store, ticket, "WISMO", actor=AGENT, at=now)
    assert store.conn.execute("SELECT tag FROM ticket_tags").fetchall() == [("wismo",)]
    with pytest.raises(actions.ActionError, match="already tagged"):
        actions.tag(store, ticket, "wismo", actor=AGENT, at=now)

    actions.untag(store, ticket, "wismo", actor=AGENT, at=now)
    assert store.conn.execute("SELECT COUNT(*) FROM ticket_tags").fetchone() == (0,)
    actions.undo(store, actor=AGENT, at=now)
    assert store.conn.execute("SELECT tag FROM ticket_tags").fetchall() == [("wismo",)]


def test_undo_only_reverts_the_actors_own_last_action(store: Store, ticket: int, now) -> None:
    actions.set_priority(store, ticket, "high", actor=AGENT, at=now)
    actions.assign(store, ticket, "dana", actor="agent:dana", at=now)

    actions.undo(store, actor=AGENT, at=now)

    assert column(store, ticket, "priority") == "normal"
    assert column(store, ticket, "assignee") == "dana"
    with pytest.raises(actions.ActionError, match="nothing to undo"):
        actions.undo(store, actor=AGENT, at=now)


def test_invalid_transition_is_refused_with_a_clear_message_and_no_event(
    store: Store, ticket: int, now
) -> None:
    actions.resolve(store, ticket, actor=AGENT, at=now)
    actions.set_status(store, ticket, "closed", actor=AGENT, at=now)
    before = event_count(store)

    with pytest.raises(actions.ActionError, match="is closed; it can move to nothing"):
        actions.reopen(store, ticket, actor=AGENT, at=now)
    with pytest.raises(actions.ActionError, match="unknown status"):
        actions.set_status(store, ticket, "done", actor=AGENT, at=now)
    assert event_count(store) == before


def test_escalation_needs_a_reason_and_stops_at_the_top_level(
    store: Store, ticket: int, now
) -> None:
    with pytest.raises(actions.ActionError, match="needs a reason"):
        actions.escalate(store, ticket, "  ", actor=AGENT, at=now)
    actions.escalate(store, ticket, "refund over limit", actor=AGENT, at=now)
    assert last_event(store)[2]["level"] == "tier 2"
    actions.escalate(store, ticket, "angry", actor=AGENT, at=now)
    with pytest.raises(actions.ActionError, match="top level"):
        actions.escalate(store, ticket, "again", actor=AGENT, at=now)


def test_snooze_must_be_in_the_future(store: Store, ticket: int, now) -> None:
    with pytest.raises(actions.ActionError, match="not in the future"):
        actions.snooze(store, ticket, now - timedelta(minutes=1), actor=AGENT, at=now)


def test_merge_moves_messages_closes_the_source_and_undo_splits_them_again(
    store: Store, make_message, deliver, now
) -> None:
    deliver(make_message(subject="Order 1"), make_message(subject="Order 2, different thread"))
    first, second = (r[0] for r in store.conn.execute("SELECT id FROM tickets ORDER BY id"))

    actions.merge(store, second, first, actor=AGENT, at=now)

    assert store.conn.execute(
        "SELECT COUNT(*) FROM messages WHERE ticket_id = ?", (first,)
    ).fetchone() == (2,)
    assert store.conn.execute(
        "SELECT status, merged_into FROM tickets WHERE id = ?", (second,)
    ).fetchone() == ("closed", first)
    with pytest.raises(actions.ActionError, match="merged into"):
        actions.note(store, second, "hello", actor=AGENT, at=now)

    actions.undo(store, actor=AGENT, at=now)
    assert store.conn.execute(
        "SELECT status, merged_into FROM tickets WHERE id = ?", (second,)
    ).fetchone() == ("new", None)
    assert store.conn.execute(
        "SELECT COUNT(*) FROM messages WHERE ticket_id = ?", (second,)
    ).fetchone() == (1,)


def test_merge_refuses_tickets_of_different_customers(
    store: Store, make_message, deliver, now
) -> None:
    from deskterm.domain import Identity

    deliver(make_message(), make_message(sender=Identity("email", "zed@example.com"), subject="x"))
    first, second = (r[0] for r in store.conn.execute("SELECT id FROM tickets ORDER BY id"))
    with pytest.raises(actions.ActionError, match="different customers"):
        actions.merge(store, second, first, actor=AGENT, at=now)


def test_actor_must_name_its_kind(store: Store, ticket: int, now) -> None:
    with pytest.raises(actions.ActionError, match="actor"):
        actions.resolve(store, ticket, actor="bob", at=now)


def test_a_failing_action_leaves_nothing_behind(store: Store, ticket: int, now) -> None:
    before = event_count(store)
    with pytest.raises(actions.ActionError):
        actions.reply(store, ticket, "   ", actor=AGENT, at=now)
    with pytest.raises(actions.ActionError):
        actions.assign(store, 999, "x", actor=AGENT, at=now)
    assert event_count(store) == before
    assert Status(column(store, ticket, "status")) is Status.NEW
