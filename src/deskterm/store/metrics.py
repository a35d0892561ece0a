"""What the KPIs read: the tickets a period touches with their tags, messages and events, the
tickets customers opened (for re-contacts), stage counts with the oldest ticket in each.
Read-only; the records the KPIs add (handle time, ratings) are written through deskterm.actions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# What the SLA history reads (as the clocks read it), then the KPIs' own columns.
from deskterm.store.clocks import EVENT_COLUMNS, HISTORY_TICKET_COLUMNS, MESSAGE_COLUMNS, grouped

TICKET_COLUMNS = f"{HISTORY_TICKET_COLUMNS}, customer_id, assignee, intent"
RECORD_KINDS = ("handled", "rating")
# Tickets read per round: each round's rows go to the caller before the next round is read.
CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class TicketRows:
    """One ticket as the KPIs read it."""

    ticket: Sequence
    tags: frozenset[str]
    messages: list[Sequence]
    events: list[Sequence]


def touched_ids(conn: sqlite3.Connection, start: str, end: str) -> list[int]:
    """Tickets (not merged away) created before `end` that are still open, changed since `start`,
    or got a record (handle time, a rating) in [start, end)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT id FROM tickets WHERE created_at < ? AND merged_into IS NULL"
            " AND (status NOT IN ('solved', 'closed') OR updated_at >= ?)"
            " UNION SELECT e.ticket_id FROM events e JOIN tickets t ON t.id = e.ticket_id"
            " WHERE e.kind IN ('handled', 'rating') AND e.at >= ? AND e.at < ?"
            " AND t.merged_into IS NULL ORDER BY 1",
            (end, start, start, end),
        )
    ]


def ticket_rows(conn: sqlite3.Connection, ids: list[int]) -> Iterator[TicketRows]:
    """The rows of `ids`, in id order, read a chunk of tickets at a time."""
    for first in range(0, len(ids), CHUNK):
        yield from _chunk(conn, ids[first : first + CHUNK])


def _chunk(conn: sqlite3.Connection, ids: list[int]) -> Iterator[TicketRows]:
    wanted = json.dumps(ids)
    inside = "ticket_id IN (SELECT value FROM json_each(?))"
    tickets = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN (SELECT value FROM json_each(?))"
        " ORDER BY id",
        (wanted,),
    ).fetchall()
    messages = dict(
        grouped(
            conn.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {inside} ORDER BY ticket_id",
                (wanted,),
            )
        )
    )
    events = dict(
        grouped(
            conn.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE {inside} ORDER BY ticket_id, id",
                (wanted,),
            )
        )
    )
    tags: dict[int, set[str]] = {}
    for ticket_id, tag in conn.execute(
        f"SELECT ticket_id, tag FROM ticket_tags WHERE {inside}", (wanted,)
    ):
        tags.setdefault(ticket_id, set()).add(tag)
    for row in tickets:
        yield TicketRows(
            row,
            frozenset(tags.get(row[0], ())),
            messages.get(row[0], []),
            events.get(row[0], []),
        )


def opened(conn: sqlite3.Connection, start: str, end: str) -> list[tuple[int, str, str]]:
    """(customer id, channel, created) of the tickets (merged ones too) created in [start, end)."""
    return conn.execute(
        "SELECT customer_id, channel, created_at FROM tickets WHERE created_at >= ?"
        " AND created_at < ? ORDER BY created_at",
        (start, end),
    ).fetchall()


def handle_measured(conn: sqlite3.Connection) -> bool:
    """Whether the TUI ever recorded handle time (a `handled` event on any ticket)."""
    return (
        conn.execute("SELECT 1 FROM events WHERE kind = 'handled' LIMIT 1").fetchone() is not None
    )


def customers_opened(conn: sqlite3.Connection, ids: list[int]) -> list[tuple[int, str, str]]:
    """(customer id, channel, created) of every ticket (merged ones too) of the customers of
    `ids`, for their re-contacts."""
    return conn.execute(
        "SELECT customer_id, channel, created_at FROM tickets WHERE customer_id IN"
        " (SELECT customer_id FROM tickets WHERE id IN (SELECT value FROM json_each(?)))"
        " ORDER BY created_at",
        (json.dumps(ids),),
    ).fetchall()


# What a dashboard slice of the tickets is, as SQL on `tickets t` (the value is its parameter).
SLICES = {
    "channel": "t.channel = ?",
    "agent": "t.assignee = ?",
    "intent": "t.intent = ?",
    "tag": "EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = ?)",
}
STAGES = ("new", "open", "pending", "on_hold")


@dataclass(frozen=True, slots=True)
class Stage:
    """Tickets in one working status, and the oldest of them (None when there are none)."""

    status: str
    count: int
    oldest_id: int | None
    oldest_subject: str
    oldest_created: str | None


def stages(conn: sqlite3.Connection, dimension: str | None, value: str) -> list[Stage]:
    """Each working status with its ticket count and its oldest ticket, in a slice or overall."""
    where = f" AND {SLICES[dimension]}" if dimension else ""
    params: tuple = (value,) if dimension else ()
    found = []
    for status in STAGES:
        count = conn.execute(
            f"SELECT COUNT(*) FROM tickets t WHERE t.status = ?{where}", (status, *params)
        ).fetchone()[0]
        oldest = conn.execute(
            f"SELECT t.id, t.subject, t.created_at FROM tickets t WHERE t.status = ?{where}"
            " ORDER BY t.created_at, t.id LIMIT 1",
            (status, *params),
        ).fetchone()
        found.append(Stage(status, count, *(oldest or (None, "", None))))
    return found


def survey_questions(
    conn: sqlite3.Connection, ticket_id: int, marks: Sequence[str]
) -> list[tuple[str, bool]]:
    """(text, whether it is our latest reply) of our replies on the ticket holding any of
    `marks` (the surveys' questions)."""
    found = " OR ".join("instr(m.text, ?) > 0" for _ in marks)
    return conn.execute(
        "SELECT m.text, m.id = (SELECT id FROM messages WHERE ticket_id = ? AND direction = 'out'"
        " ORDER BY sent_at DESC, id DESC LIMIT 1) FROM messages m WHERE m.ticket_id = ?"
        f" AND m.direction = 'out' AND ({found})",
        (ticket_id, ticket_id, *marks),
    ).fetchall()


def account_address(conn: sqlite3.Connection, account: str) -> str:
    """The account's own address ('' when it has none, or there is no such account)."""
    row = conn.execute("SELECT address FROM accounts WHERE name = ?", (account,)).fetchone()
    return row[0] if row else ""
