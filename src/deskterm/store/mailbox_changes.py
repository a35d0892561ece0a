"""The changes queued for accounts' own mailboxes (mailbox_changes): a message to mark seen or to
move to the archive folder. Writes take the caller's open transaction; deskterm.mailbox decides
when a change is queued, taken back or done.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from deskterm.domain import MailboxChange

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


def wanted(
    conn: sqlite3.Connection, ticket_id: int, setting: str, change: str
) -> list[tuple[int, str]]:
    """(message row, account) of the ticket's customer messages whose account turns `change` on
    (its `setting`, a JSON path into the account's settings) and that have no such change yet."""
    return conn.execute(_WANTED, (ticket_id, setting, change)).fetchall()


def wanted_message(
    conn: sqlite3.Connection, account: str, external_id: str, setting: str, change: str
) -> list[tuple[int, str]]:
    """wanted() for the one message the channel knows as `external_id` in `account`."""
    return conn.execute(
        _WANTED.replace("m.ticket_id = ?", "m.account = ? AND m.external_id = ?"),
        (account, external_id, setting, change),
    ).fetchall()


def queue_seen_for_replies(conn: sqlite3.Connection, setting: str) -> int:
    """Queue `seen` for every customer message a reply here answered (stored before it in its
    ticket) that its account wants seen and that has none yet; how many. A replica that folded
    the replies before it held the accounts (a join) catches up with this."""
    return conn.execute(
        "INSERT INTO mailbox_changes (account, message_row, change, created_at)"
        " SELECT m.account, m.id, 'seen', MIN(e.at) FROM events e"
        " JOIN messages m ON m.ticket_id = e.ticket_id"
        "  AND m.id < json_extract(e.data, '$.message')"
        " JOIN accounts a ON a.name = m.account"
        " WHERE e.kind = 'reply' AND m.direction = 'in' AND m.raw_path IS NOT NULL"
        "  AND COALESCE(json_extract(a.settings, ?), 0) NOT IN (0, '')"
        "  AND NOT EXISTS (SELECT 1 FROM mailbox_changes c"
        "   WHERE c.message_row = m.id AND c.change = 'seen')"
        " GROUP BY m.id",
        (setting,),
    ).rowcount


def any_wanted(conn: sqlite3.Connection, ticket_id: int, setting: str, change: str) -> bool:
    """Whether wanted() finds a message, read without taking the write lock."""
    return conn.execute(_WANTED, (ticket_id, setting, change)).fetchone() is not None


def queue(conn: sqlite3.Connection, rows: Sequence[tuple[int, str]], change: str, at: str) -> None:
    """Queue `change` for each (message row, account), again for one taken back before."""
    conn.executemany(
        "INSERT INTO mailbox_changes (account, message_row, change, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (message_row, change)"
        " DO UPDATE SET status = 'queued', created_at = excluded.created_at",
        [(account, message_row, change, at) for message_row, account in rows],
    )


def cancel_queued(conn: sqlite3.Connection, ticket_id: int, change: str) -> None:
    """Take back the ticket's queued `change`s that no connector has applied yet."""
    conn.execute(
        "UPDATE mailbox_changes SET status = 'cancelled' WHERE change = ? AND status = 'queued'"
        " AND message_row IN (SELECT id FROM messages WHERE ticket_id = ?)",
        (change, ticket_id),
    )


def pending(conn: sqlite3.Connection, account: str) -> list[MailboxChange]:
    """The account's queued changes, oldest first."""
    rows = conn.execute(
        "SELECT c.id, c.change, m.raw_path, m.message_id FROM mailbox_changes c"
        " JOIN messages m ON m.id = c.message_row"
        " WHERE c.account = ? AND c.status = 'queued' ORDER BY c.id",
        (account,),
    ).fetchall()
    return [MailboxChange(*row) for row in rows]


def mark_done(conn: sqlite3.Connection, change_ids: list[int], at: str) -> None:
    """The server has these changes; one taken back meanwhile stays cancelled."""
    conn.execute(
        "UPDATE mailbox_changes SET status = 'done', done_at = ?"
        " WHERE id IN (SELECT value FROM json_each(?)) AND status = 'queued'",
        (at, json.dumps(change_ids)),
    )
