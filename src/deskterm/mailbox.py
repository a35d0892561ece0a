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

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from deskterm.domain import MailboxChange, to_iso, utcnow
from deskterm.store import Store, mailbox_changes, team_records

SEEN = MailboxChange.SEEN
ARCHIVE = MailboxChange.ARCHIVE
# The account setting that turns each change on.
SETTING = {SEEN: "$.mark_seen", ARCHIVE: "$.archive_folder"}


def _queue(conn: sqlite3.Connection, ticket_id: int, change: str, at: datetime) -> list[int]:
    rows = mailbox_changes.wanted(conn, ticket_id, SETTING[change], change)
    mailbox_changes.queue(conn, rows, change, to_iso(at))
    return [message_row for message_row, _ in rows]


def mark_read(store: Store, ticket_id: int, at: datetime | None = None) -> int:
    """An agent read the ticket: queue `seen` for its unread mail; returns how many were queued.

    Looks before it writes, so opening a ticket again (or one from an account without
    `mark_seen`) takes no write lock from a busy sync. In a team replica each message read is
    noted once for the team (deskterm.team.records): the worker holding the account flags it,
    and no other replica counts it unread.
    """
    if not mailbox_changes.any_wanted(store.conn, ticket_id, SETTING[SEEN], SEEN):
        return 0
    with store.tx() as conn:
        read = _queue(conn, ticket_id, SEEN, at or utcnow())
        team_records.note_read(conn, read)
        return len(read)


def read_elsewhere(conn: sqlite3.Connection, account: str, external_id: str, at: datetime) -> int:
    """An agent of the team read this message on another replica: queue `seen` for it as
    mark_read does (no second note for the team); returns 1 when queued, 0 when the message is
    not here, was read here already or its account does not want `seen`."""
    rows = mailbox_changes.wanted_message(conn, account, external_id, SETTING[SEEN], SEEN)
    mailbox_changes.queue(conn, rows, SEEN, to_iso(at))
    return len(rows)


def queue_seen(conn: sqlite3.Connection, ticket_id: int, at: datetime) -> int:
    """mark_read() inside the caller's transaction (an agent answering has read the ticket; in a
    team, every replica folds the reply, so nothing is noted for the team)."""
    return len(_queue(conn, ticket_id, SEEN, at))


def seen_for_replies(store: Store) -> int:
    """Queue `seen` for all mail the stored replies answered (deskterm.team: a replica that
    joined folded the team's replies before it held their accounts); how many were queued."""
    with store.tx() as conn:
        return mailbox_changes.queue_seen_for_replies(conn, SETTING[SEEN])


def status_changed(conn: sqlite3.Connection, ticket_id: int, finished: bool, at: datetime) -> None:
    """The ticket was solved or closed (`finished`), or opened again: queue or take back archiving.

    A move the server has already made stays made; mail the customer sends later arrives in the
    inbox as usual.
    """
    if finished:
        _queue(conn, ticket_id, ARCHIVE, at)
        return
    mailbox_changes.cancel_queued(conn, ticket_id, ARCHIVE)


def pending(store: Store, account: str) -> list[MailboxChange]:
    """The account's queued changes, oldest first."""
    return mailbox_changes.pending(store.conn, account)


def applied(store: Store, change_ids: Iterable[int], at: datetime) -> None:
    ids = list(change_ids)
    if not ids:
        return
    with store.tx() as conn:
        mailbox_changes.mark_done(conn, ids, to_iso(at))
