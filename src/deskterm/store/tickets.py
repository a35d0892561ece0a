"""A ticket's rows as deskterm.actions reads and changes them, on the connection of the action's
open transaction: the ticket, its events, its messages, its tags and its replies' outbox items.

Only the SQL lives here; what may change and which event says so is decided in deskterm.actions.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any

from deskterm.domain import Status
from deskterm.store import index_messages, inserted_id


def ticket_row(conn: sqlite3.Connection, ticket_id: int) -> sqlite3.Row | None:
    """The ticket's row by column name (the actions read it so), or None."""
    conn.row_factory = sqlite3.Row
    try:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM tickets WHERE id = ?", (ticket_id,)
        ).fetchone()
    finally:
        conn.row_factory = None
    return row


def merged_into(conn: sqlite3.Connection, ticket_id: int) -> tuple[int | None] | None:
    """(the ticket it was merged into, or None), or None when there is no such ticket."""
    found: tuple[int | None] | None = conn.execute(
        "SELECT merged_into FROM tickets WHERE id = ?", (ticket_id,)
    ).fetchone()
    return found


def insert_event(
    conn: sqlite3.Connection,
    ticket_id: int,
    at: str,
    actor: str,
    kind: str,
    data: str,
    replicated: tuple[str, int, str, str | None] | None = None,
) -> int:
    """Append one event row; `replicated` is (uid, seq, author, overrode) of a team's event."""
    if replicated is None:
        cur = conn.execute(
            "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (?, ?, ?, ?, ?)",
            (ticket_id, at, actor, kind, data),
        )
    else:
        cur = conn.execute(
            "INSERT INTO events (ticket_id, at, actor, kind, data, uid, seq, author, overrode)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ticket_id, at, actor, kind, data, *replicated),
        )
    return inserted_id(cur)


def touch(conn: sqlite3.Connection, ticket_id: int, at: str) -> None:
    conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (at, ticket_id))


def open_if_new(conn: sqlite3.Connection, ticket_id: int) -> None:
    """Open the ticket if it is new (whoever answers a new ticket opens it)."""
    conn.execute(
        "UPDATE tickets SET status = ? WHERE id = ? AND status = ?",
        (Status.OPEN.value, ticket_id, Status.NEW.value),
    )


def set_column(conn: sqlite3.Connection, ticket_id: int, column: str, value: object) -> None:
    """Set one of the ticket's own fields; `column` comes from the actions' table of fields."""
    conn.execute(f"UPDATE tickets SET {column} = ? WHERE id = ?", (value, ticket_id))


def change_tag(conn: sqlite3.Connection, ticket_id: int, tag: str, add: bool) -> bool:
    """Add or remove one tag; False when the ticket already had it so."""
    sql = (
        "INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)"
        if add
        else "DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?"
    )
    return bool(conn.execute(sql, (ticket_id, tag)).rowcount)


def insert_message(
    conn: sqlite3.Connection,
    ticket: sqlite3.Row,
    direction: str,
    author_name: str,
    subject: str,
    body: str,
    message_id: str | None,
    in_reply_to: str | None,
    references: tuple[str, ...],
    at: str,
) -> int:
    """A message written here (a note or a reply) on the ticket, indexed for search; it is the
    ticket's latest."""
    cur = conn.execute(
        "INSERT INTO messages (ticket_id, account, external_id, direction, author_name, subject,"
        " text, message_id, in_reply_to, refs, sent_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket["id"],
            ticket["account"],
            f"local:{uuid.uuid4()}",
            direction,
            author_name,
            subject,
            body,
            message_id,
            in_reply_to,
            " ".join(references),
            at,
            at,
        ),
    )
    conn.execute("UPDATE tickets SET last_message_at = ? WHERE id = ?", (at, ticket["id"]))
    row = inserted_id(cur)
    index_messages(conn, [row])
    return row


def set_attachments(conn: sqlite3.Connection, message: int, files: list[dict]) -> None:
    conn.execute("UPDATE messages SET attachments = ? WHERE id = ?", (json.dumps(files), message))


def all_ids(conn: sqlite3.Connection) -> list[int]:
    """Every ticket's id."""
    return [r[0] for r in conn.execute("SELECT id FROM tickets")]


def ticket_of_message(conn: sqlite3.Connection, account: str, external_id: str) -> int | None:
    """The ticket holding the message `external_id` of `account`, or None when none is stored."""
    row = conn.execute(
        "SELECT ticket_id FROM messages WHERE account = ? AND external_id = ?",
        (account, external_id),
    ).fetchone()
    return None if row is None else int(row[0])


def message_header_id(conn: sqlite3.Connection, message: int) -> str | None:
    """The Message-ID a stored message carries (what a reply to it names), if any."""
    row = conn.execute("SELECT message_id FROM messages WHERE id = ?", (message,)).fetchone()
    return None if row is None else row[0]


def message_ids(conn: sqlite3.Connection, ticket_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM messages WHERE ticket_id = ?", (ticket_id,))]


def message_text(conn: sqlite3.Connection, message: int) -> str | None:
    row = conn.execute("SELECT text FROM messages WHERE id = ?", (message,)).fetchone()
    return row[0] if row else None


def delete_message(conn: sqlite3.Connection, message: int) -> None:
    conn.execute("DELETE FROM messages WHERE id = ?", (message,))


def drop_reply(conn: sqlite3.Connection, ticket_id: int, message: int) -> None:
    """A reply that will not leave (cancelled) goes from the thread; the ticket's last message
    is the one before it again."""
    delete_message(conn, message)
    if last := last_sent(conn, ticket_id):
        set_last_message_at(conn, ticket_id, last)


def move_messages(conn: sqlite3.Connection, messages: Sequence[int], ticket_id: int) -> None:
    conn.executemany(
        "UPDATE messages SET ticket_id = ? WHERE id = ?", [(ticket_id, m) for m in messages]
    )


def last_sent(conn: sqlite3.Connection, ticket_id: int) -> str | None:
    """When the ticket's latest message was sent, or None without messages."""
    found: str | None = conn.execute(
        "SELECT MAX(sent_at) FROM messages WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()[0]
    return found


def set_last_message_at(conn: sqlite3.Connection, ticket_id: int, at: str | None) -> None:
    conn.execute("UPDATE tickets SET last_message_at = ? WHERE id = ?", (at, ticket_id))


def close_merged(conn: sqlite3.Connection, source_id: int, target_id: int, at: str) -> None:
    conn.execute(
        "UPDATE tickets SET status = 'closed', merged_into = ?, updated_at = ? WHERE id = ?",
        (target_id, at, source_id),
    )


def unmerge(conn: sqlite3.Connection, source_id: int, status: str) -> None:
    conn.execute(
        "UPDATE tickets SET status = ?, merged_into = NULL WHERE id = ?", (status, source_id)
    )


def last_undoable(conn: sqlite3.Connection, actor: str) -> tuple[int, int, str, dict] | None:
    """(event id, ticket id, kind, data) of the actor's latest event not undone yet, or None."""
    row = conn.execute(
        "SELECT id, ticket_id, kind, data FROM events WHERE actor = ? AND undone_by IS NULL"
        " AND kind NOT IN ('undo', 'handled', 'rating') ORDER BY id DESC LIMIT 1",
        (actor,),
    ).fetchone()
    return (row[0], row[1], row[2], json.loads(row[3])) if row else None


def mark_undone(conn: sqlite3.Connection, event_id: int, undo_event: int) -> None:
    conn.execute("UPDATE events SET undone_by = ? WHERE id = ?", (undo_event, event_id))


def last_seq(conn: sqlite3.Connection, ticket_id: int) -> int | None:
    """How far into a team's shared log the ticket's events go here (None: not shared)."""
    found: int | None = conn.execute(
        "SELECT MAX(seq) FROM events WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()[0]
    return found


def reply_to(conn: sqlite3.Connection, ticket: sqlite3.Row) -> tuple[Any, ...] | None:
    """(author address, Message-ID, References) of the customer's latest message, or None."""
    found: tuple[Any, ...] | None = conn.execute(
        "SELECT author_addr, message_id, refs FROM messages WHERE ticket_id = ? AND direction = 'in'"
        " ORDER BY sent_at DESC, id DESC LIMIT 1",
        (ticket["id"],),
    ).fetchone()
    return found


def first_identity(
    conn: sqlite3.Connection, customer_id: int, kind_first: str
) -> tuple[str, str] | None:
    """(kind, value) of the customer's first identity, one of `kind_first` before any other."""
    found: tuple[str, str] | None = conn.execute(
        "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY kind = ? DESC, id"
        " LIMIT 1",
        (customer_id, kind_first),
    ).fetchone()
    return found


def sending_account(conn: sqlite3.Connection, account: str) -> tuple[str, str] | None:
    """(address, connector) of the account, or None when it is gone."""
    found: tuple[str, str] | None = conn.execute(
        "SELECT address, connector FROM accounts WHERE name = ?", (account,)
    ).fetchone()
    return found


def order_to_open(
    conn: sqlite3.Connection, order_id: int, account: str
) -> tuple[int, str, str, int] | None:
    """(buyer, number, the account's channel, whether a ticket is linked) of an order to open a
    ticket for on `account`, or None when the order, its buyer or the account is unknown."""
    found: tuple[int | None, str, str, int] | None = conn.execute(
        "SELECT o.customer_id, o.number, a.channel, EXISTS (SELECT 1 FROM tickets t"
        " WHERE t.order_id = o.id) FROM orders o, accounts a WHERE o.id = ? AND a.name = ?",
        (order_id, account),
    ).fetchone()
    if found is None or found[0] is None:
        return None
    return found[0], found[1], found[2], found[3]


def insert_ticket(
    conn: sqlite3.Connection,
    customer_id: int,
    account: str,
    channel: str,
    subject: str,
    order_id: int,
    at: str,
) -> int:
    """A new ticket linked to an order, with no message yet."""
    cur = conn.execute(
        "INSERT INTO tickets (customer_id, account, channel, subject, status, order_id,"
        " created_at, updated_at, last_message_at) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?)",
        (customer_id, account, channel, subject, order_id, at, at, at),
    )
    return inserted_id(cur)
