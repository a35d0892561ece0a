"""Actions that add or move messages: an internal note, merging one ticket into another, and
splitting a message off into a ticket of its own."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from deskterm.actions.common import (
    ActionError,
    Done,
    Origin,
    check_actor,
    finish,
    refresh_clocks,
    set_off_rules,
    ticket_row,
    write_event,
)
from deskterm.domain import Direction, to_iso, utcnow
from deskterm.store import Store, splits, tickets


def _agent_name(actor: str) -> str:
    return actor.partition(":")[2]


def note(
    store: Store, ticket_id: int, body: str, *, actor: str, at: datetime | None = None
) -> Done:
    """Add an internal note: visible to agents only, never sent."""
    check_actor(actor)
    if not body.strip():
        raise ActionError("a note cannot be empty")
    at = at or utcnow()
    with store.tx() as conn:
        ticket = ticket_row(conn, ticket_id)
        message = insert_message(conn, ticket, Direction.NOTE, body, actor, at, None, ())
        event = write_event(conn, ticket_id, "note", actor, at, {"message": message})
        finish(conn, ticket_id, at)
        set_off_rules(store, ticket_id, "note", actor, at)
    return Done(event, message_id=message)


def insert_message(
    conn: sqlite3.Connection,
    ticket: sqlite3.Row,
    direction: Direction,
    body: str,
    actor: str,
    at: datetime,
    message_id: str | None,
    references: tuple[str, ...],
    in_reply_to: str | None = None,
    subject: str = "",
) -> int:
    return tickets.insert_message(
        conn,
        ticket,
        direction.value,
        _agent_name(actor),
        subject,
        body,
        message_id,
        in_reply_to,
        references,
        to_iso(at),
    )


def merge(
    store: Store, source_id: int, target_id: int, *, actor: str, at: datetime | None = None
) -> Done:
    """Move every message of `source` into `target` (same customer) and close `source`."""
    check_actor(actor)
    if source_id == target_id:
        raise ActionError("a ticket cannot be merged into itself")
    at = at or utcnow()
    with store.tx() as conn:
        source = ticket_row(conn, source_id)
        target = ticket_row(conn, target_id)
        if source["customer_id"] != target["customer_id"]:
            raise ActionError(
                f"tickets #{source_id} and #{target_id} belong to different customers; "
                "only one customer's tickets can be merged"
            )
        moved = tickets.message_ids(conn, source_id)
        event = write_merge(conn, source_id, target_id, moved, source["status"], actor, at)
    return Done(event)


def write_merge(
    conn: sqlite3.Connection,
    source_id: int,
    target_id: int,
    moved: list[int],
    source_status: str,
    actor: str,
    at: datetime,
    origin: Origin | None = None,
) -> int:
    """Move the messages `moved` from `source` to `target`, close `source` and write the event."""
    tickets.move_messages(conn, moved, target_id)
    tickets.close_merged(conn, source_id, target_id, to_iso(at))
    tickets.set_last_message_at(conn, target_id, tickets.last_sent(conn, target_id))
    data = {"source": source_id, "messages": moved, "source_status": source_status}
    event = write_event(conn, target_id, "merge", actor, at, data, origin)
    refresh_clocks(conn, [source_id], at)
    finish(conn, target_id, at)
    return event


def split(store: Store, message_id: int, *, actor: str, at: datetime | None = None) -> Done:
    """Move one customer message out of its ticket into a new ticket of its own (same customer,
    account and channel, its clocks from when the message was sent); the event is on the new
    ticket."""
    check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        found = splits.message_place(conn, message_id)
        if found is None:
            raise ActionError(f"there is no message {message_id}")
        source_id, direction, subject, sent_at = found
        source = ticket_row(conn, source_id)
        if direction != Direction.IN.value:
            raise ActionError("only a customer's message can be split into a ticket of its own")
        if len(tickets.message_ids(conn, source_id)) < 2:
            raise ActionError(f"it is the only message of ticket #{source_id}; nothing to split")
        new = splits.insert_split_ticket(
            conn, source, subject or source["subject"], sent_at, to_iso(at)
        )
        event = write_split(conn, source_id, new, message_id, actor, at)
    return Done(event)


def write_split(
    conn: sqlite3.Connection,
    source_id: int,
    target_id: int,
    message_id: int,
    actor: str,
    at: datetime,
    origin: Origin | None = None,
) -> int:
    """Move message `message_id` from `source` to the new ticket `target`; write the event."""
    tickets.move_messages(conn, [message_id], target_id)
    tickets.set_last_message_at(conn, source_id, tickets.last_sent(conn, source_id))
    data = {"source": source_id, "message": message_id}
    event = write_event(conn, target_id, "split", actor, at, data, origin)
    refresh_clocks(conn, [source_id], at)
    finish(conn, target_id, at)
    return event
