"""Splitting a customer's message off into a ticket of its own, and undoing it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from deskterm import actions
from deskterm.cli.main import app
from deskterm.store import Store, queries

AGENT = "agent:bob"


@pytest.fixture
def ticket(store: Store, make_message, deliver, now) -> int:
    first = make_message(subject="Where is my order?")
    deliver(first)
    later = make_message(
        subject="Re: Where is my order?",
        text="Also, can I change my address for the other order?",
        in_reply_to=first.message_id,
        sent_at=now - timedelta(minutes=5),
    )
    deliver(later)
    return store.conn.execute("SELECT id FROM tickets").fetchone()[0]


def ticket_of(store: Store, message_id: int) -> int:
    return store.conn.execute(
        "SELECT ticket_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()[0]


def test_a_split_message_becomes_a_new_ticket_and_undo_puts_it_back(
    store: Store, ticket: int, now
) -> None:
    first, second = (m.id for m in queries.messages(store, ticket))

    done = actions.split(store, second, actor=AGENT, at=now)

    new = queries.event_ticket(store, done.event_id)
    assert new != ticket
    assert ticket_of(store, second) == new and ticket_of(store, first) == ticket
    split_off = queries.ticket(store, new)
    assert split_off is not None
    source = queries.ticket(store, ticket)
    assert source is not None
    assert (split_off.status, split_off.customer_id) == ("new", source.customer_id)
    assert split_off.created_at == queries.messages(store, new)[0].sent_at

    actions.undo(store, actor=AGENT, at=now)
    assert ticket_of(store, second) == ticket
    assert store.conn.execute(
        "SELECT status, merged_into FROM tickets WHERE id = ?", (new,)
    ).fetchone() == ("closed", ticket)


def test_only_a_customer_message_of_a_longer_thread_is_split(
    store: Store, ticket: int, make_message, deliver, now
) -> None:
    note = actions.note(store, ticket, "checked the carrier", actor=AGENT, at=now)
    with pytest.raises(actions.ActionError, match="only a customer's message"):
        actions.split(store, note.message_id, actor=AGENT, at=now)
    deliver(make_message(subject="A new question", message_id="<alone@example.com>"))
    alone = store.conn.execute(
        "SELECT id FROM messages WHERE message_id = '<alone@example.com>'"
    ).fetchone()[0]
    with pytest.raises(actions.ActionError, match="only message"):
        actions.split(store, alone, actor=AGENT, at=now)


def test_deskterm_split_names_the_new_ticket(store: Store, ticket: int, db_path) -> None:
    store.close()
    result = CliRunner().invoke(app, ["split", str(ticket), "2", "--db", str(db_path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"message 2 of #{ticket} is now ticket #")
    bad = CliRunner().invoke(app, ["split", str(ticket), "9", "--db", str(db_path)])
    assert bad.exit_code == 2
    assert "no message 9 on ticket" in bad.stderr
