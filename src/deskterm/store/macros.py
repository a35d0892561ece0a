"""What macros read from the store: the events an application wrote, and a macro's history for
undo. Read-only; the writes go through deskterm.actions (orders come from store.orders)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from deskterm.domain import AppliedEvent, QueuedReply
from deskterm.store import Store


def event(store: Store, event_id: int, outbox_id: int | None) -> AppliedEvent:
    """One event with its data decoded, and the outbox item it queued."""
    conn = store.conn
    event_id, ticket_id, at, actor, kind, data = conn.execute(
        "SELECT id, ticket_id, at, actor, kind, data FROM events WHERE id = ?", (event_id,)
    ).fetchone()
    queued = None
    if outbox_id is not None:
        queued = QueuedReply(
            *conn.execute(
                "SELECT id, status, account FROM outbox WHERE id = ?", (outbox_id,)
            ).fetchone()
        )
    return AppliedEvent(event_id, ticket_id, at, actor, kind, json.loads(data), queued)


def history(store: Store, actor: str) -> Iterator[tuple[int, int, str, str, int | None]]:
    """(id, ticket_id, at, kind, undone_by) of every event by `actor`, newest first."""
    return store.conn.execute(
        "SELECT id, ticket_id, at, kind, undone_by FROM events WHERE actor = ? ORDER BY id DESC",
        (actor,),
    )


def connector_actions(store: Store, event_ids: list[int]) -> list[str]:
    """The connector actions started by any of `event_ids`."""
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT json_extract(data, '$.action') FROM events"
            f" WHERE id IN ({','.join('?' * len(event_ids))}) AND kind = 'connector_started'",
            tuple(event_ids),
        )
    ]
