"""Unsent replies and notes, kept per ticket in the store while the agent types."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from deskterm.domain import to_iso
from deskterm.store import Store

KINDS = ("reply", "note")


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"a draft is a reply or a note, not {kind!r}")


def put_back(conn: sqlite3.Connection, ticket_id: int, kind: str, body: str, at: datetime) -> None:
    """Put the text of a reply or note taken back (undone) into its draft, after any text the
    agent has started meanwhile; inside the caller's transaction."""
    _check(kind)
    conn.execute(
        "INSERT INTO drafts (ticket_id, kind, body, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (ticket_id, kind) DO UPDATE SET body = drafts.body || char(10, 10) ||"
        " excluded.body, updated_at = excluded.updated_at",
        (ticket_id, kind, body, to_iso(at)),
    )


def save(store: Store, ticket_id: int, kind: str, body: str, at: datetime) -> None:
    """Keep `body` as the ticket's draft of `kind`; an empty body removes the draft."""
    _check(kind)
    if not body.strip():
        discard(store, ticket_id, kind)
        return
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO drafts (ticket_id, kind, body, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (ticket_id, kind) DO UPDATE SET body = excluded.body,"
            " updated_at = excluded.updated_at",
            (ticket_id, kind, body, to_iso(at)),
        )


def load(store: Store, ticket_id: int, kind: str) -> str:
    """The saved draft, or '' when there is none."""
    _check(kind)
    row = store.conn.execute(
        "SELECT body FROM drafts WHERE ticket_id = ? AND kind = ?", (ticket_id, kind)
    ).fetchone()
    return row[0] if row else ""


def kinds_with_drafts(store: Store, ticket_id: int) -> list[str]:
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT kind FROM drafts WHERE ticket_id = ? ORDER BY kind", (ticket_id,)
        )
    ]


def discard(store: Store, ticket_id: int, kind: str) -> None:
    """Forget the draft, e.g. once it was sent."""
    _check(kind)
    with store.tx() as conn:
        conn.execute("DELETE FROM drafts WHERE ticket_id = ? AND kind = ?", (ticket_id, kind))
