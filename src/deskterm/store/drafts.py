"""Unsent replies and notes, kept per ticket in the store while the agent types: the text and,
for a reply, its Cc addresses and the files attached (they outlive a restart)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from deskterm.domain import Attachment, to_iso
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


@dataclass(frozen=True, slots=True)
class Draft:
    """What the agent has written so far: the text and, for a reply, its Cc and attached files."""

    body: str = ""
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.body.strip() or self.cc or self.attachments)


def save(
    store: Store,
    ticket_id: int,
    kind: str,
    body: str,
    at: datetime,
    *,
    cc: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
) -> None:
    """Keep `body` (with a reply's `cc` and `attachments`) as the ticket's draft of `kind`;
    nothing at all removes the draft."""
    _check(kind)
    draft = Draft(body, tuple(cc), tuple(attachments))
    if draft.empty:
        discard(store, ticket_id, kind)
        return
    files = json.dumps([asdict(a) for a in draft.attachments])
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO drafts (ticket_id, kind, body, updated_at, cc, attachments)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id, kind) DO UPDATE SET"
            " body = excluded.body, updated_at = excluded.updated_at, cc = excluded.cc,"
            " attachments = excluded.attachments",
            (ticket_id, kind, body, to_iso(at), ", ".join(draft.cc), files),
        )


def load(store: Store, ticket_id: int, kind: str) -> str:
    """The saved draft's text, or '' when there is none."""
    return load_draft(store, ticket_id, kind).body


def load_draft(store: Store, ticket_id: int, kind: str) -> Draft:
    """The saved draft with its Cc and files (an empty Draft when there is none)."""
    _check(kind)
    row = store.conn.execute(
        "SELECT body, cc, attachments FROM drafts WHERE ticket_id = ? AND kind = ?",
        (ticket_id, kind),
    ).fetchone()
    if row is None:
        return Draft()
    body, cc, files = row
    return Draft(
        body,
        tuple(a.strip() for a in cc.split(",") if a.strip()),
        tuple(Attachment(**a) for a in json.loads(files)),
    )


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
