"""What triage writes and reads: each customer message's language, intent and mood, the ticket's
roll-up of them, the messages still to read, and intent volumes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from deskterm.domain import to_iso

# message id, ticket id, language, intent, mood, sentiment score (None where no lexicon reads it)
Reading = tuple[int, int, str, str, str, float | None]

# The ticket keeps the customer's language (unless undetermined), the mood of their latest
# message, and its intent unless the new one says little ("other"; "thanks" after a real request).
# A backfill reads old messages after newer ones: only the latest message read sets the mood.
_TICKET = """
UPDATE tickets SET
  lang = CASE WHEN :lang = 'und' THEN COALESCE(lang, :lang) ELSE :lang END,
  mood = CASE WHEN :message >= (SELECT max(m.id) FROM messages m WHERE m.ticket_id = :ticket
    AND m.direction = 'in' AND m.mood IS NOT NULL) THEN :mood ELSE mood END,
  intent = CASE
    WHEN intent IS NULL OR intent = 'other' THEN :intent
    WHEN :intent = 'other' THEN intent
    WHEN :intent = 'thanks' AND intent != 'thanks' THEN intent
    ELSE :intent END
WHERE id = :ticket
"""


def save(conn: sqlite3.Connection, readings: Sequence[Reading]) -> None:
    """Store the readings of messages stored earlier, oldest first, and roll them up into their
    tickets (ingest stores a new message's reading with it and calls `roll_up`)."""
    conn.executemany(
        "UPDATE messages SET lang = ?, intent = ?, mood = ?, sentiment = ? WHERE id = ?",
        [
            (lang, intent, mood, score, message)
            for message, _t, lang, intent, mood, score in readings
        ],
    )
    for message, ticket, lang, intent, mood, _score in readings:
        roll_up(conn, ticket, message, lang, intent, mood)


def roll_up(
    conn: sqlite3.Connection, ticket: int, message: int, lang: str, intent: str, mood: str
) -> None:
    """Fold a customer message's reading, already stored, into its ticket."""
    conn.execute(
        _TICKET,
        {"message": message, "ticket": ticket, "lang": lang, "intent": intent, "mood": mood},
    )


def unread(conn: sqlite3.Connection, after: int, limit: int) -> list[tuple[int, int, str, str]]:
    """Customer messages (not automatic mail) triage has not read, after message id `after`:
    id, ticket id, subject, text, oldest first."""
    return conn.execute(
        "SELECT id, ticket_id, subject, text FROM messages WHERE id > ? AND direction = 'in'"
        " AND automatic = 0 AND lang IS NULL ORDER BY id LIMIT ?",
        (after, limit),
    ).fetchall()


def unread_count(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM messages WHERE direction = 'in' AND automatic = 0 AND lang IS NULL"
    ).fetchone()[0]


def intent_volume(
    conn: sqlite3.Connection, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    """How many tickets opened in [start, end) are about each intent, most first; tickets not
    read yet count under ''."""
    return conn.execute(
        "SELECT COALESCE(intent, ''), count(*) FROM tickets WHERE created_at >= ?"
        " AND created_at < ? AND merged_into IS NULL GROUP BY 1 ORDER BY 2 DESC, 1",
        (to_iso(start), to_iso(end)),
    ).fetchall()
