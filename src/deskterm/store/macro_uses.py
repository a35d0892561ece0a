"""Where macros were used: for each ticket a macro was applied to, the customer's words it
answered, indexed for bm25 (FTS5), so a ticket's last customer message finds the macros that
answered ones like it (deskterm.triage.suggest). The index follows the events: `pending` gives the
applications written since it was last brought up to date, whoever wrote them (a person, a
replica, an older version)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

# One application per ticket and macro (its first event), with the customer's last message
# written before it: what the macro answered.
_PENDING = """
SELECT u.event, u.ticket_id, u.macro, (SELECT intent FROM tickets WHERE id = u.ticket_id),
COALESCE(
  (SELECT m.subject || char(10) || m.text FROM messages m WHERE m.ticket_id = u.ticket_id
     AND m.direction = 'in' AND m.automatic = 0 AND m.created_at <= u.at
   ORDER BY m.id DESC LIMIT 1),
  (SELECT m.subject || char(10) || m.text FROM messages m WHERE m.ticket_id = u.ticket_id
     AND m.direction = 'in' AND m.automatic = 0 ORDER BY m.id LIMIT 1))
FROM (SELECT min(e.id) AS event, e.ticket_id, substr(e.actor, 7) AS macro, min(e.at) AS at
      FROM events e WHERE e.actor >= 'macro:' AND e.actor < 'macro;' AND e.id > ?
        AND e.id <= ? AND e.kind != 'undo'
      GROUP BY e.ticket_id, e.actor) u
WHERE NOT EXISTS (SELECT 1 FROM macro_uses x WHERE x.ticket_id = u.ticket_id AND x.macro = u.macro)
"""

# FTS5 ranks and cuts first (ORDER BY rank LIMIT is its fast path); only the best are joined.
# An undone application or the ticket itself may drop out after the cut: it asks for a few more.
_SIMILAR = """
SELECT u.macro, u.ticket_id, u.words, hit.rank, u.intent
FROM (SELECT rowid, rank FROM macro_uses_fts WHERE macro_uses_fts MATCH :query
      ORDER BY rank LIMIT :limit + 10) hit
JOIN macro_uses u ON u.id = hit.rowid JOIN events e ON e.id = u.id
WHERE e.undone_by IS NULL AND u.ticket_id != :ticket
ORDER BY hit.rank LIMIT :limit
"""


@dataclass(frozen=True, slots=True)
class Use:
    """A ticket a macro was used on, how like the ticket asked about it is, and its intent."""

    macro: str
    ticket_id: int
    words: str
    likeness: float
    intent: str | None


Pending = tuple[int, list[tuple[int, int, str, str | None, str | None]]]


def pending(conn: sqlite3.Connection) -> Pending | None:
    """None when the index has seen every event; else the last event there is, and the macro
    applications up to it not indexed yet: (first event id, ticket id, macro, the ticket's
    intent, the subject and text of the customer's message it answered)."""
    last = conn.execute("SELECT COALESCE(max(id), 0) FROM events").fetchone()[0]
    seen = conn.execute("SELECT last_event FROM macro_uses_state").fetchone()[0]
    if last <= seen:
        return None
    return last, conn.execute(_PENDING, (seen, last)).fetchall()


def index(
    conn: sqlite3.Connection, last: int, uses: Iterable[tuple[int, int, str, str | None, str]]
) -> None:
    """Index `uses` (first event id, ticket id, macro, intent, words); remember `last` as seen."""
    conn.executemany(
        "INSERT OR IGNORE INTO macro_uses (id, ticket_id, macro, intent, words)"
        " VALUES (?, ?, ?, ?, ?)",
        uses,
    )
    conn.execute("UPDATE macro_uses_state SET last_event = max(last_event, ?)", (last,))


def similar(conn: sqlite3.Connection, query: str, ticket_id: int, limit: int) -> list[Use]:
    """The `limit` uses on other tickets most like the FTS5 `query` (bm25), best first."""
    return [
        Use(macro, ticket, words, -score, intent)
        for macro, ticket, words, score, intent in conn.execute(
            _SIMILAR, {"query": query, "ticket": ticket_id, "limit": limit}
        )
    ]


def used_for(conn: sqlite3.Connection, intent: str, exclude: int) -> list[tuple[str, int]]:
    """Each macro used (and not undone) on other tickets about `intent`: its name and on how
    many tickets, most used first."""
    return conn.execute(
        "SELECT u.macro, count(*) FROM macro_uses u JOIN events e ON e.id = u.id"
        " WHERE u.intent = ? AND u.ticket_id != ? AND e.undone_by IS NULL"
        " GROUP BY u.macro ORDER BY 2 DESC, 1",
        (intent, exclude),
    ).fetchall()


def spread(conn: sqlite3.Connection, words: list[str]) -> tuple[int, dict[str, int]]:
    """How many uses are indexed, and on how many of them each of `words` is (those on none
    left out)."""
    total = conn.execute("SELECT count(*) FROM macro_uses").fetchone()[0]
    found = conn.execute(
        "SELECT term, doc FROM macro_uses_vocab WHERE term IN (SELECT value FROM json_each(?))",
        (json.dumps(words),),
    )
    return total, dict(found.fetchall())


def last_customer_message(conn: sqlite3.Connection, ticket_id: int) -> tuple[str, str] | None:
    """The subject and text of the ticket's latest message from its customer (not automatic)."""
    return conn.execute(
        "SELECT subject, text FROM messages WHERE ticket_id = ? AND direction = 'in'"
        " AND automatic = 0 ORDER BY id DESC LIMIT 1",
        (ticket_id,),
    ).fetchone()
