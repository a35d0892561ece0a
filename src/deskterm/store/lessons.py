"""What triage learned from tagged tickets: the tickets a person tagged with an intent's name, the
features each taught (so untagging takes back exactly what it added), and the counts per feature
and intent that make the model (deskterm.triage.learning)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence

# A ticket teaches its intent when it carries exactly one tag named for an intent and a person
# gave it (directly or with a macro): a rule's tag says what the cues already said.
_LABELLED = """
SELECT tt.ticket_id, min(tt.tag) FROM ticket_tags tt
WHERE tt.tag IN (SELECT value FROM json_each(:intents)) {only}
  AND COALESCE((SELECT e.actor FROM events e WHERE e.ticket_id = tt.ticket_id AND e.kind = 'tag'
    AND json_extract(e.data, '$.tag') = tt.tag ORDER BY e.id DESC LIMIT 1), '') NOT LIKE 'rule:%'
GROUP BY tt.ticket_id HAVING count(*) = 1
"""
_ONLY = "AND tt.ticket_id IN (SELECT value FROM json_each(:tickets))"


def labelled(
    conn: sqlite3.Connection, intents: Collection[str], tickets: Sequence[int] | None = None
) -> dict[int, str]:
    """Ticket id -> intent, for the tickets a person tagged with one of `intents` (all, or those
    of `tickets`)."""
    sql = _LABELLED.format(only=_ONLY if tickets is not None else "")
    args = {"intents": json.dumps(sorted(intents)), "tickets": json.dumps(list(tickets or ()))}
    return dict(conn.execute(sql, args).fetchall())


def taught(
    conn: sqlite3.Connection, tickets: Sequence[int] | None = None
) -> dict[int, tuple[str, list[str]]]:
    """Ticket id -> (intent, features) for the tickets learned from (all, or of `tickets`)."""
    sql = "SELECT ticket_id, intent, features FROM triage_lessons"
    args: tuple = ()
    if tickets is not None:
        sql += " WHERE ticket_id IN (SELECT value FROM json_each(?))"
        args = (json.dumps(list(tickets)),)
    return {t: (intent, json.loads(f)) for t, intent, f in conn.execute(sql, args)}


def first_words(conn: sqlite3.Connection, ticket_id: int) -> tuple[str, str] | None:
    """The subject and text of the ticket's first message from its customer (not automatic)."""
    return conn.execute(
        "SELECT subject, text FROM messages WHERE ticket_id = ? AND direction = 'in'"
        " AND automatic = 0 ORDER BY id LIMIT 1",
        (ticket_id,),
    ).fetchone()


def learn(conn: sqlite3.Connection, ticket_id: int, intent: str, features: list[str]) -> None:
    """Count the ticket's features under `intent`."""
    conn.execute(
        "INSERT INTO triage_lessons (ticket_id, intent, features) VALUES (?, ?, ?)",
        (ticket_id, intent, json.dumps(features)),
    )
    conn.executemany(
        "INSERT INTO triage_words (feature, intent, n) VALUES (?, ?, 1)"
        " ON CONFLICT (feature, intent) DO UPDATE SET n = n + 1",
        [(f, intent) for f in features],
    )


def unlearn(conn: sqlite3.Connection, ticket_id: int, intent: str, features: list[str]) -> None:
    """Take back what `learn` counted for the ticket."""
    conn.execute("DELETE FROM triage_lessons WHERE ticket_id = ?", (ticket_id,))
    pairs = [(f, intent) for f in features]
    conn.executemany("UPDATE triage_words SET n = n - 1 WHERE feature = ? AND intent = ?", pairs)
    conn.executemany("DELETE FROM triage_words WHERE feature = ? AND intent = ? AND n <= 0", pairs)


def forget(conn: sqlite3.Connection) -> None:
    """Everything learned, gone (a rebuild starts from nothing)."""
    conn.execute("DELETE FROM triage_lessons")
    conn.execute("DELETE FROM triage_words")


def changed(conn: sqlite3.Connection) -> None:
    """Mark the model changed, so a reader holding an older copy loads it again (a random
    version: a workspace built again in the same file never repeats an old one)."""
    conn.execute("UPDATE triage_model SET version = abs(random())")


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT version FROM triage_model").fetchone()[0]


def tickets_per_intent(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT intent, count(*) FROM triage_lessons GROUP BY intent"))


def words(conn: sqlite3.Connection) -> Iterator[tuple[str, str, int]]:
    """(feature, intent, count) for every feature learned."""
    return conn.execute("SELECT feature, intent, n FROM triage_words")
