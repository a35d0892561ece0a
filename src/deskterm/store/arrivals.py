"""The rows deskterm.ingest reads and writes as a batch arrives, on the connection of the batch's
open transaction: customers by identity, the ticket a message continues, the stored copies of a
message, the new ticket and message rows, and the orders a ticket is linked to.

Only the SQL lives here; which customer, thread and order a message belongs to, and in what order
the rows are written, is decided in deskterm.ingest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict

from deskterm.domain import Direction, Identity, InboundMessage
from deskterm.store import inserted_id

ThreadRow = tuple[int, int | None, str]
"""A ticket's (id, merged_into, status): where a conversation is, or was before a merge."""


def customer_of(conn: sqlite3.Connection, identity: Identity) -> tuple[int, str | None] | None:
    """(id, name) of the customer who owns `identity`, or None."""
    found: tuple[int, str | None] | None = conn.execute(
        "SELECT i.customer_id, c.name FROM identities i JOIN customers c"
        " ON c.id = i.customer_id WHERE i.kind = ? AND i.value = ?",
        (identity.kind, identity.value),
    ).fetchone()
    return found


def insert_customer(conn: sqlite3.Connection, name: str, at: str) -> int:
    cur = conn.execute("INSERT INTO customers (name, created_at) VALUES (?, ?)", (name, at))
    return inserted_id(cur)


def name_customer(conn: sqlite3.Connection, customer_id: int, name: str) -> None:
    conn.execute("UPDATE customers SET name = ? WHERE id = ?", (name, customer_id))


def link_identities(
    conn: sqlite3.Connection, customer_id: int, identities: Sequence[Identity]
) -> None:
    """Give the customer each of `identities` that no customer has yet."""
    conn.executemany(
        "INSERT OR IGNORE INTO identities (customer_id, kind, value) VALUES (?, ?, ?)",
        [(customer_id, i.kind, i.value) for i in identities],
    )


def thread_of_ticket(conn: sqlite3.Connection, ticket_id: int) -> ThreadRow | None:
    found: ThreadRow | None = conn.execute(
        "SELECT id, merged_into, status FROM tickets WHERE id = ?", (ticket_id,)
    ).fetchone()
    return found


def thread_of_conversation(
    conn: sqlite3.Connection, account: str, conversation_id: str
) -> ThreadRow | None:
    """The account's latest ticket for the channel's own conversation id."""
    found: ThreadRow | None = conn.execute(
        "SELECT id, merged_into, status FROM tickets WHERE account = ? AND conversation_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (account, conversation_id),
    ).fetchone()
    return found


def thread_of_message_id(conn: sqlite3.Connection, message_id: str) -> ThreadRow | None:
    """The ticket holding a stored message with this Message-ID."""
    found: ThreadRow | None = conn.execute(
        "SELECT t.id, t.merged_into, t.status FROM messages m JOIN tickets t"
        " ON t.id = m.ticket_id WHERE m.message_id = ? LIMIT 1",
        (message_id,),
    ).fetchone()
    return found


def thread_of_customer(
    conn: sqlite3.Connection, ticket_id: int, customer_id: int
) -> ThreadRow | None:
    """The ticket `ticket_id` when it is the customer's."""
    found: ThreadRow | None = conn.execute(
        "SELECT id, merged_into, status FROM tickets WHERE id = ? AND customer_id = ?",
        (ticket_id, customer_id),
    ).fetchone()
    return found


def content_hashes(
    conn: sqlite3.Connection, account: str, external_id: str, message_id: str | None
) -> list[str | None]:
    """The content hashes of the account's stored copies of a message: by the channel's external
    id, then by Message-ID."""
    rows = conn.execute(
        "SELECT content_hash FROM messages WHERE account = ? AND external_id = ?"
        " UNION ALL SELECT content_hash FROM messages WHERE message_id = ? AND account = ?",
        (account, external_id, message_id, account),
    ).fetchall()
    return [found for (found,) in rows]


def insert_ticket(
    conn: sqlite3.Connection,
    customer_id: int,
    msg: InboundMessage,
    status: str,
    moments: tuple[str, str],
    triage: tuple[str | None, str | None, str | None],
) -> int:
    """The ticket the conversation `msg` starts; `moments` is (sent, stored), `triage` the
    ticket's (lang, intent, mood)."""
    sent_at, at = moments
    cur = conn.execute(
        "INSERT INTO tickets (customer_id, account, channel, subject, status, conversation_id,"
        " created_at, updated_at, last_message_at, lang, intent, mood)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            customer_id,
            msg.account,
            msg.channel,
            msg.subject,
            status,
            msg.conversation_id,
            sent_at,
            at,
            sent_at,
            *triage,
        ),
    )
    return inserted_id(cur)


def _json_list(items: list) -> str:
    # Most messages have neither attachments nor warnings; skip the encoder for them.
    return json.dumps(items) if items else "[]"


def insert_message(
    conn: sqlite3.Connection,
    ticket_id: int,
    msg: InboundMessage,
    author: tuple[str, str],
    stamps: tuple[str, str, str],
    triage: tuple[str | None, str | None, str | None, float | None],
) -> int:
    """The message's row: `author` is (name, address), `stamps` (content hash, sent, stored) and
    `triage` the message's (lang, intent, mood, sentiment)."""
    digest, sent_at, at = stamps
    cur = conn.execute(
        "INSERT INTO messages (ticket_id, account, external_id, direction, author_name,"
        " author_addr, subject, text, html, message_id, in_reply_to, refs, automatic,"
        " attachments, warnings, raw_path, sent_at, created_at, content_hash,"
        " lang, intent, mood, sentiment)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id,
            msg.account,
            msg.external_id,
            Direction(msg.direction).value,
            *author,
            msg.subject,
            msg.text,
            msg.html,
            msg.message_id,
            msg.in_reply_to,
            " ".join(msg.references),
            int(msg.automatic),
            _json_list([asdict(a) for a in msg.attachments]),
            _json_list(list(msg.warnings)),
            msg.raw_path,
            sent_at,
            at,
            digest,
            *triage,
        ),
    )
    return inserted_id(cur)


def message_arrived(conn: sqlite3.Connection, ticket_id: int, sent_at: str, at: str) -> None:
    """A message sent at `sent_at` joined the ticket at `at`."""
    conn.execute(
        "UPDATE tickets SET last_message_at = MAX(last_message_at, ?), updated_at = ? WHERE id = ?",
        (sent_at, at, ticket_id),
    )


def order_of_number(conn: sqlite3.Connection, number: str) -> int | None:
    """The order numbered `number` ("#1361" or "1361"), when exactly one is: a number two shops'
    orders share, or no order has, names none."""
    bare = number.strip().lstrip("#")
    rows = conn.execute(
        "SELECT id FROM orders WHERE number IN (?, ?) LIMIT 2", (bare, f"#{bare}")
    ).fetchall()
    return rows[0][0] if len(rows) == 1 else None


# The customer's latest order of a marketplace listing (items carry it as "listing").
_ORDER_OF_LISTING = """
SELECT o.id FROM orders o, json_each(o.items) AS item
WHERE o.customer_id = ? AND json_extract(item.value, '$.listing') = ?
ORDER BY o.placed_at DESC LIMIT 1
"""


def order_of_listing(conn: sqlite3.Connection, customer_id: int, listing: str) -> int | None:
    row = conn.execute(_ORDER_OF_LISTING, (customer_id, listing)).fetchone()
    return row[0] if row else None


def link_order(conn: sqlite3.Connection, ticket_id: int, order_id: int) -> None:
    """Link the ticket to the order, unless it is linked to one already."""
    conn.execute(
        "UPDATE tickets SET order_id = ? WHERE id = ? AND order_id IS NULL",
        (order_id, ticket_id),
    )


def tickets_without_order(conn: sqlite3.Connection, customer_id: int) -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT id FROM tickets WHERE customer_id = ? AND order_id IS NULL", (customer_id,)
        )
    ]


def link_tickets_naming(
    conn: sqlite3.Connection, order_id: int, number: str, column: str, ticket_ids: list[int]
) -> None:
    """Link those of `ticket_ids` whose messages name the order `number` in `column` (subject or
    text) to the order."""
    phrase = f'{column} : "' + number.lstrip("#").replace('"', '""') + '"'
    conn.execute(
        "UPDATE tickets SET order_id = ? WHERE id IN (SELECT m.ticket_id FROM messages_fts f"
        " JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?"
        " AND m.ticket_id IN (SELECT value FROM json_each(?)))",
        (order_id, phrase, json.dumps(ticket_ids)),
    )
