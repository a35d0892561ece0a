"""The rows deskterm.sla.clocks reads and writes, on the connection it is given (most often its
caller's open transaction): a ticket's SLA inputs (the ticket, its messages, clock events and
tags), its four SLA columns, breach events, the unsettled tickets and the settings' fingerprint
(in meta).

Only the SQL lives here; which policy applies and when a clock breaches is decided in deskterm.sla.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import itemgetter

from deskterm.store import meta

BREACH_ACTOR = "system:sla"
FINGERPRINT_KEY = "sla_settings"
# In a team replica, the SLA settings the team shares (deskterm.team.policy), which are in force
# there instead of this machine's file: the fingerprint alone (read on every refresh), and the
# whole record ({"toml", "fingerprint", "by", "at"}).
TEAM_FINGERPRINT_KEY = "team.sla_fingerprint"
TEAM_POLICY_KEY = "team.sla_policy"
# The events that start, stop or settle a clock.
CLOCK_EVENT_KINDS = (
    "created",
    "status",
    "snooze",
    "reply",
    "sla_breach",
    "rating",
    "delivered",
    "delivery_failed",
)

# What deskterm.sla.history reads of a ticket (the KPIs read these too, then their own).
HISTORY_TICKET_COLUMNS = (
    "id, status, priority, channel, account, snoozed_until, created_at, updated_at"
)
# A ticket as the clocks read it: its history's columns, then the four SLA columns they write.
TICKET_COLUMNS = f"{HISTORY_TICKET_COLUMNS}, next_deadline, warn_at, sla_state, sla_recheck_at"
MESSAGE_COLUMNS = "ticket_id, id, direction, automatic, sent_at, created_at"
EVENT_COLUMNS = "ticket_id, id, at, actor, kind, data, undone_by"
EVENT_FILTER = f"kind IN ({', '.join(repr(k) for k in CLOCK_EVENT_KINDS)}) AND undone_by IS NULL"
_WANTED = "ticket_id IN (SELECT value FROM json_each(?))"

SlaColumns = tuple[str | None, str | None, str, str | None]
"""next_deadline, warn_at, sla_state, sla_recheck_at as the ticket row holds them."""


def ticket(conn: sqlite3.Connection, ticket_id: int) -> Sequence | None:
    """The ticket's TICKET_COLUMNS, or None when there is no such ticket."""
    row: Sequence | None = conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)
    ).fetchone()
    return row


def tickets(conn: sqlite3.Connection, ids: list[int]) -> list[Sequence]:
    """The rows (TICKET_COLUMNS) of those of `ids` that exist, in id order."""
    return conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN (SELECT value FROM json_each(?))"
        " ORDER BY id",
        (json.dumps(ids),),
    ).fetchall()


def open_tickets_after(conn: sqlite3.Connection, last_id: int, limit: int) -> list[Sequence]:
    """Up to `limit` rows (TICKET_COLUMNS) of tickets not solved or closed, from after `last_id`."""
    return conn.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id > ?"
        " AND status NOT IN ('solved', 'closed') ORDER BY id LIMIT ?",
        (last_id, limit),
    ).fetchall()


def messages(conn: sqlite3.Connection, ticket_id: int) -> list[Sequence]:
    """The ticket's messages (MESSAGE_COLUMNS)."""
    return conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE ticket_id = ?", (ticket_id,)
    ).fetchall()


def clock_events(conn: sqlite3.Connection, ticket_id: int) -> list[Sequence]:
    """The ticket's events the clocks read (EVENT_COLUMNS, not undone), oldest first."""
    return conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE ticket_id = ? AND {EVENT_FILTER} ORDER BY id",
        (ticket_id,),
    ).fetchall()


def tags(conn: sqlite3.Connection, ticket_id: int) -> frozenset[str]:
    rows = conn.execute("SELECT tag FROM ticket_tags WHERE ticket_id = ?", (ticket_id,))
    return frozenset(r[0] for r in rows)


def messages_by_ticket(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[Sequence]]:
    """The messages (MESSAGE_COLUMNS) of each of `ids` that has any, read in one ordered scan."""
    return dict(
        grouped(
            conn.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE {_WANTED} ORDER BY ticket_id",
                (json.dumps(ids),),
            )
        )
    )


def clock_events_by_ticket(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[Sequence]]:
    """The clock events (EVENT_COLUMNS) of each of `ids` that has any, oldest first."""
    return dict(
        grouped(
            conn.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE {_WANTED} AND {EVENT_FILTER}"
                " ORDER BY ticket_id, id",
                (json.dumps(ids),),
            )
        )
    )


def tags_by_ticket(conn: sqlite3.Connection, ids: list[int]) -> dict[int, set[str]]:
    """The tags of each of `ids` that has any."""
    found: dict[int, set[str]] = {}
    for ticket_id, tag in conn.execute(
        f"SELECT ticket_id, tag FROM ticket_tags WHERE {_WANTED}", (json.dumps(ids),)
    ):
        found.setdefault(ticket_id, set()).add(tag)
    return found


def grouped(rows: Iterable[Sequence]) -> Iterator[tuple[int, list[Sequence]]]:
    """Rows ordered by their first column (a ticket id), a list per ticket."""
    for ticket_id, group in groupby(rows, key=itemgetter(0)):
        yield ticket_id, list(group)


def write_sla_columns(conn: sqlite3.Connection, updates: Sequence[tuple[object, ...]]) -> None:
    """(next_deadline, warn_at, sla_state, sla_recheck_at, ticket id) rows onto their tickets."""
    conn.executemany(
        "UPDATE tickets SET next_deadline = ?, warn_at = ?, sla_state = ?, sla_recheck_at = ?"
        " WHERE id = ?",
        updates,
    )


def insert_breaches(conn: sqlite3.Connection, breaches: list[tuple[int, str, str]]) -> None:
    """One sla_breach event per (ticket id, due, data) row, by BREACH_ACTOR."""
    # The unique index events_sla_breach_once turns a second writer's insert into a no-op,
    # even when two processes see the same breach.
    conn.executemany(
        "INSERT OR IGNORE INTO events (ticket_id, at, actor, kind, data)"
        f" VALUES (?, ?, '{BREACH_ACTOR}', 'sla_breach', ?)",
        breaches,
    )


def due_for_recheck(conn: sqlite3.Connection, now: str) -> list[int]:
    """Tickets not solved or closed whose SLA state changes by time alone at or before `now`."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM tickets WHERE sla_recheck_at <= ?"
            " AND status NOT IN ('solved', 'closed')",
            (now,),
        )
    ]


def newest_events(conn: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
    """Each ticket's newest event id (of those of `ids` that have events)."""
    return dict(
        conn.execute(
            "SELECT ticket_id, MAX(id) FROM events"
            " WHERE ticket_id IN (SELECT value FROM json_each(?)) GROUP BY ticket_id",
            (json.dumps(ids),),
        ).fetchall()
    )


def settings_fingerprint(conn: sqlite3.Connection) -> str | None:
    """The fingerprint of the SLA settings the open tickets were last computed with."""
    return meta.get(conn, FINGERPRINT_KEY)


def remember_settings(conn: sqlite3.Connection, fingerprint: str) -> None:
    meta.put(conn, FINGERPRINT_KEY, fingerprint)


def team_fingerprint(conn: sqlite3.Connection) -> str | None:
    """The fingerprint of the SLA settings this replica's team shares; None outside a team, or
    before the team's settings reached this replica."""
    return meta.get(conn, TEAM_FINGERPRINT_KEY)


def team_policy(conn: sqlite3.Connection) -> dict | None:
    """The team's SLA settings as the replica holds them: toml, fingerprint, by, at."""
    text = meta.get(conn, TEAM_POLICY_KEY)
    return json.loads(text) if text else None


def save_team_policy(conn: sqlite3.Connection, record: dict) -> None:
    meta.put(conn, TEAM_POLICY_KEY, json.dumps(record, sort_keys=True))
    meta.put(conn, TEAM_FINGERPRINT_KEY, record["fingerprint"])


def mark_unsettled(conn: sqlite3.Connection, ticket_ids: Iterable[int]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO sla_unsettled (ticket_id) VALUES (?)",
        [(ticket_id,) for ticket_id in set(ticket_ids)],
    )


def unsettled_count(conn: sqlite3.Connection) -> int:
    count: int = conn.execute("SELECT COUNT(*) FROM sla_unsettled").fetchone()[0]
    return count


def unsettled(conn: sqlite3.Connection, size: int) -> list[int]:
    """The first `size` unsettled ticket ids."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT ticket_id FROM sla_unsettled ORDER BY ticket_id LIMIT ?", (size,)
        )
    ]


def mark_settled(conn: sqlite3.Connection, ids: list[int]) -> None:
    conn.execute(
        "DELETE FROM sla_unsettled WHERE ticket_id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    )
