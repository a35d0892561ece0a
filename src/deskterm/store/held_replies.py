"""A reply the team server held (Traffic Cop), worded for whoever reads it: the server words its
reason for the reply's writer; the others read whose reply it is, and "you" for their own part.
"""

from __future__ import annotations

import sqlite3

from deskterm.store.team import TEAM_AGENT, held_error, held_reason, meta_get

# The server words a held reply's reason for the reply's writer (team/schema.py, news_since):
# "ben added a note after you started your reply", "the customer wrote again after you ...".
HELD_AFTER = " after you started your reply"


def held_for(reason: str, writer: str | None, reader: str | None) -> str:
    """A held reply's reason as `reader` (this replica's agent) reads it: its writer reads the
    server's words; anyone else reads whose reply it is, and "you" for their own part in it
    ("you added a note after ben started this reply")."""
    if writer is None or reader is None or writer == reader or not reason.endswith(HELD_AFTER):
        return reason
    cause = reason.removesuffix(HELD_AFTER)
    who, added, what = cause.partition(" added a ")
    if added and who == reader:
        cause = f"you added a {what}"
    return f"{cause} after {writer} started this reply"


def reply_writer(conn: sqlite3.Connection, ticket_id: int, outbox_id: int) -> str | None:
    """The agent who wrote reply `outbox_id`: the agent of its event, or the one who applied the
    macro that wrote it; None when no agent did (a rule's reply)."""
    found = conn.execute(
        "SELECT actor, json_extract(data, '$.agent') FROM events WHERE ticket_id = ?"
        " AND kind = 'reply' AND json_extract(data, '$.outbox') = ? ORDER BY id LIMIT 1",
        (ticket_id, outbox_id),
    ).fetchone()
    if found is None:
        return None
    actor, applier = found
    kind, _, name = str(actor).partition(":")
    return name if kind == "agent" else applier


def held_cause(conn: sqlite3.Connection, ticket_id: int, outbox_id: int) -> str | None:
    """Why the team server held reply `outbox_id`, in its words, from what this replica holds:
    the first customer message, or reply or note by another role, after what the reply's writer
    saw, named by the agent who wrote it (the server names a macro's by the macro); None when
    this replica does not hold it (yet)."""
    found = conn.execute(
        "SELECT later.kind, later.actor, json_extract(later.data, '$.agent') FROM events reply"
        " JOIN events later ON later.ticket_id = reply.ticket_id"
        " AND later.seq > json_extract(reply.data, '$.seen') AND later.seq < reply.seq"
        " AND later.kind IN ('message_in', 'reply', 'note')"
        " AND (later.kind = 'message_in' OR later.author IS NOT reply.author)"
        " WHERE reply.ticket_id = ? AND reply.kind = 'reply'"
        " AND json_extract(reply.data, '$.outbox') = ? ORDER BY later.seq LIMIT 1",
        (ticket_id, outbox_id),
    ).fetchone()
    if found is None:
        return None
    kind, actor, applier = found
    if kind == "message_in":
        return "the customer wrote again" + HELD_AFTER
    who, _, name = str(actor).partition(":")
    return f"{name if who == 'agent' or not applier else applier} added a {kind}{HELD_AFTER}"


def held_error_for_reader(
    conn: sqlite3.Connection, ticket_id: int, outbox_id: int, error: str | None
) -> str | None:
    """A reply's outbox error as this replica's agent reads it (`held_for`), the cause named as
    this replica holds it; any other error, or none, as it is."""
    reason = held_reason(error)
    if reason is None:
        return error
    reason = held_cause(conn, ticket_id, outbox_id) or reason
    reader = meta_get(conn, TEAM_AGENT)
    return held_error(held_for(reason, reply_writer(conn, ticket_id, outbox_id), reader))
