"""Keeps an account's own mailbox in step with the desk: mail an agent read is marked seen, and a
solved conversation is moved to an archive folder. Both are opt-in per account, with the settings
`mark_seen` (true) and `archive_folder` (a folder name).

Opening or answering a ticket queues a `seen` change per message; solving it queues `archive`, in
the same transaction as the status change, and reopening before the next sync takes that back.
The sync engine hands queued changes to the account's connector after the outbox and marks each
done once the server has it. Applying one twice is harmless (a flag set again, a message already
moved), so a crash between the server and the bookkeeping repeats a change but never loses one.
Reading is not a change to the ticket: it writes no event and does not touch the SLA clocks.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from deskterm.domain import MailboxChange, to_iso, utcnow
from deskterm.store import Store

SEEN = MailboxChange.SEEN
ARCHIVE = MailboxChange.ARCHIVE
# The account setting that turns each change on.
SETTING = {SEEN: "$.mark_seen", ARCHIVE: "$.archive_folder"}

# The ticket's customer messages that an account wants `change` for and that have none yet.
_WANTED = """
SELECT m.id, m.account FROM messages m JOIN accounts a ON a.name = m.account
WHERE m.ticket_id = ? AND m.direction = 'in' AND m.raw_path IS NOT NULL
  AND COALESCE(json_extract(a.settings, ?), 0) NOT IN (0, '')
  AND NOT EXISTS (
      SELECT 1 FROM mailbox_changes c
      WHERE c.message_row = m.id AND c.change = ? AND c.status != 'cancelled'
  )
"""


def _queue(conn: sqlite3.Connection, ticket_id: int, change: str, at: datetime) -> int:
    rows = conn.execute(_WANTED, (ticket_id, SETTING[change], change)).fetchall()
    conn.executemany(
        "INSERT INTO mailbox_changes (account, message_row, change, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (message_row, change)"
        " DO UPDATE SET status = 'queued', created_at = excluded.created_at",
        [(account, message_row, change, to_iso(at)) for message_row, account in rows],
    )
    return len(rows)


def mark_read(store: Store, ticket_id: int, at: datetime | None = None) -> int:
    """An agent read the ticket: queue `seen` for its unread mail; returns how many were queued.

    Looks before it writes, so opening a ticket again (or one from an account without
    `mark_seen`) takes no write lock from a busy sync.
    """
    if not store.conn.execute(_WANTED, (ticket_id, SETTING[SEEN], SEEN)).fetchone():
        return 0
    with store.tx() as conn:
        return _queue(conn, ticket_id, SEEN, at or utcnow())


def queue_seen(conn: sqlite3.Connection, ticket_id: int, at: datetime) -> int:
    """mark_read() inside the caller's transaction (an agent answering has read the ticket)."""
    return _queue(conn, ticket_id, SEEN, at)


def status_changed(conn: sqlite3.Connection, ticket_id: int, finished: bool, at: datetime) -> None:
    """The ticket was solved or closed (`finished`), or opened again: queue or take back archiving.

    A move the server has already made stays made; mail the customer sends later arrives in the
    inbox as usual.
    """
    if finished:
        _queue(conn, ticket_id, ARCHIVE, at)
        return
    conn.execute(
        "UPDATE mailbox_changes SET status = 'cancelled' WHERE change = ? AND status = 'queued'"
        " AND message_row IN (SELECT id FROM messages WHERE ticket_id = ?)",
        (ARCHIVE, ticket_id),
    )


def pending(store: Store, account: str) -> list[MailboxChange]:
    """The account's queued changes, oldest first."""
    rows = store.conn.execute(
        "SELECT c.id, c.change, m.raw_path, m.message_id FROM mailbox_changes c"
        " JOIN messages m ON m.id = c.message_row"
        " WHERE c.account = ? AND c.status = 'queued' ORDER BY c.id",
        (account,),
    ).fetchall()
    return [MailboxChange(*row) for row in rows]


def applied(store: Store, change_ids: Iterable[int], at: datetime) -> None:
    ids = list(change_ids)
    if not ids:
        return
    with store.tx() as conn:
        conn.execute(
            "UPDATE mailbox_changes SET status = 'done', done_at = ?"
            " WHERE id IN (SELECT value FROM json_each(?)) AND status = 'queued'",
            (to_iso(at), json.dumps(ids)),
        )
