"""The reads and writes of a split (a message moved into a ticket of its own) and of undoing a
bulk change (deskterm.actions.bulk), inside the action's transaction."""

from __future__ import annotations

import json
import sqlite3

from deskterm.store import inserted_id

# The batch id a bulk change's events carry in their data; V24 indexes it.
BATCH = "json_extract(data, '$.batch')"


def message_place(conn: sqlite3.Connection, message_id: int) -> tuple[int, str, str, str] | None:
    """(ticket id, direction, subject, sent at) of a message, or None."""
    row = conn.execute(
        "SELECT ticket_id, direction, subject, sent_at FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


def insert_split_ticket(
    conn: sqlite3.Connection, source: sqlite3.Row, subject: str, sent_at: str, at: str
) -> int:
    """A new ticket of the `source` ticket's customer, account and channel, from `sent_at`."""
    cur = conn.execute(
        "INSERT INTO tickets (customer_id, account, channel, subject, status, created_at,"
        " updated_at, last_message_at) VALUES (?, ?, ?, ?, 'new', ?, ?, ?)",
        (
            source["customer_id"],
            source["account"],
            source["channel"],
            subject,
            sent_at,
            at,
            sent_at,
        ),
    )
    return inserted_id(cur)


def batch_events(conn: sqlite3.Connection, batch_id: str) -> list[tuple[int, int, str, dict]]:
    """(event id, ticket id, kind, data) of a batch's changes not undone yet, newest first."""
    rows = conn.execute(
        f"SELECT id, ticket_id, kind, data FROM events WHERE {BATCH} = ? AND {BATCH} IS NOT NULL"
        " AND undone_by IS NULL AND kind NOT IN ('undo', 'handled', 'rating') ORDER BY id DESC",
        (batch_id,),
    ).fetchall()
    return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


def batch_tickets(conn: sqlite3.Connection, batch_id: str) -> int:
    """How many tickets a batch changed."""
    found: int = conn.execute(
        f"SELECT COUNT(DISTINCT ticket_id) FROM events WHERE {BATCH} = ? AND {BATCH} IS NOT NULL"
        " AND kind != 'undo'",
        (batch_id,),
    ).fetchone()[0]
    return found
