"""Keeps each ticket's stored SLA deadline in step with its events, so the queue sorts by an index."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from deskterm.domain import from_iso, to_iso

FIRST_REPLY_TARGET = timedelta(hours=2)


def refresh(conn: sqlite3.Connection, ticket_ids: Iterable[int], now: datetime) -> None:
    """Recompute next_deadline and sla_state for the given tickets inside the caller's transaction."""
    for ticket_id in set(ticket_ids):
        row = conn.execute(
            "SELECT status, snoozed_until FROM tickets WHERE id = ?", (ticket_id,)
        ).fetchone()
        if row is None:
            continue
        status, snoozed_until = row
        waiting = status in ("pending", "on_hold", "solved", "closed")
        snoozed = snoozed_until is not None and from_iso(snoozed_until) > now
        last_in = conn.execute(
            "SELECT MAX(sent_at) FROM messages WHERE ticket_id = ? AND direction = 'in'"
            " AND automatic = 0",
            (ticket_id,),
        ).fetchone()[0]
        last_out = conn.execute(
            "SELECT MAX(sent_at) FROM messages WHERE ticket_id = ? AND direction = 'out'",
            (ticket_id,),
        ).fetchone()[0]
        deadline = None
        state = ""
        if not waiting and not snoozed and last_in and (last_out is None or last_out < last_in):
            due = from_iso(last_in) + FIRST_REPLY_TARGET
            deadline = to_iso(due)
            state = "breached" if due <= now else "running"
        elif waiting or snoozed:
            state = "paused"
        conn.execute(
            "UPDATE tickets SET next_deadline = ?, sla_state = ? WHERE id = ?",
            (deadline, state, ticket_id),
        )
