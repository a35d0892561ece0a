"""Ticket numbers in a team: the server's, the same on every replica (docs/team.md).

A ticket's number is its local id. A ticket that reaches a replica from the team is inserted
under the number the server gave it; one created here (pulled mail, offline work) keeps the
next free id as a provisional number until the server's answer to its push says which number
it got, and takes that one. Whatever provisional ticket sits on a number the team hands out
moves on to a free one, so nothing is ever overwritten; each move is written in the ticket's
timeline ("renumbered"), a local event that is never pushed.
"""

from __future__ import annotations

import sqlite3

from deskterm.domain import canonical_json, to_iso, utcnow

# The timeline kind of a move, and who writes it.
RENUMBERED = "renumbered"
ACTOR = "sync:team"


def _ticket_columns(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, column) of every column that holds a ticket's id, by the schema's foreign keys."""
    found = []
    for (table,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall():
        for key in conn.execute(f"PRAGMA foreign_key_list('{table}')").fetchall():
            if key[2] == "tickets":
                found.append((table, key[3]))
    return found


def _move(conn: sqlite3.Connection, old: int, new: int) -> None:
    """Give ticket `old` the id `new` (free), everywhere its id is held."""
    conn.execute("PRAGMA defer_foreign_keys = ON")  # until the end of this transaction
    conn.execute("UPDATE tickets SET id = ? WHERE id = ?", (new, old))
    for table, column in _ticket_columns(conn):
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (new, old))
    # A merge's event names the ticket merged away by its id.
    conn.execute(
        "UPDATE events SET data = json_set(data, '$.source', ?)"
        " WHERE kind = 'merge' AND json_extract(data, '$.source') = ?",
        (new, old),
    )
    conn.execute(
        "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (?, ?, ?, ?, ?)",
        (new, to_iso(utcnow()), ACTOR, RENUMBERED, canonical_json({"was": old, "now": new})),
    )


def free(conn: sqlite3.Connection, number: int) -> None:
    """Make `number` free for a ticket of the team's: a provisional ticket there moves on."""
    if conn.execute("SELECT 1 FROM tickets WHERE id = ?", (number,)).fetchone():
        spare = conn.execute("SELECT MAX(id) + 1 FROM tickets").fetchone()[0]
        _move(conn, number, spare)


def take(conn: sqlite3.Connection, ticket_id: int, number: int) -> None:
    """Give the ticket created here as `ticket_id` the number the server gave it."""
    if ticket_id == number:
        return
    free(conn, number)
    _move(conn, ticket_id, number)
