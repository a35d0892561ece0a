"""Events as the shared log holds them: local row ids swapped for global names both ways.

A replica's ids (ticket 12, message 340, outbox 7) mean nothing elsewhere, so a pushed event names
its ticket by global id, messages by [account, external_id], outbox items by idempotency key,
other events by their stable id and connector calls by idempotency key; the events that add a
message carry the message whole, `created` and `split` carry their ticket and customer too, and the event that
starts a connector call carries the call.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from deskterm.store import connector_calls as calls
from deskterm.store import team as rows

# Rows an event carries whole, which its local data leaves out.
CARRIED = ("message_row", "ticket_row", "outbox_row", "call_row")
# Kinds whose event starts a connector call: it brings the call, for every replica to show.
CALL_KINDS = ("connector_proposed", "connector_started")
# Kinds whose event adds the message it names.
MESSAGE_KINDS = ("created", "message_in", "note", "reply")


def _ticket_by_gid(conn: sqlite3.Connection, gid: str) -> int | None:
    return rows.ticket_by_gid(conn, gid)


def _event_by_uid(conn: sqlite3.Connection, uid: str) -> int | None:
    found = rows.event_by_uid(conn, uid)
    return found[0] if found else None


# For each data key that holds a local id: how to name it globally, and how to find it again.
REFS: dict[str, tuple[Any, Any]] = {
    "message": (rows.message_ref, rows.message_by_ref),
    "outbox": (rows.outbox_key, rows.outbox_by_key),
    "event": (rows.event_uid, _event_by_uid),
    "source": (rows.ticket_gid, _ticket_by_gid),
    "call": (calls.key_of, calls.by_key),
}


def outgoing(conn: sqlite3.Connection, row: tuple, uid: str) -> dict:
    """The shared log's form of one local event row (id, ticket_id, at, actor, kind, data, uid)."""
    _, ticket_id, at, actor, kind, raw, _ = row
    data = json.loads(raw)
    wire: dict[str, Any] = {}
    for key, value in data.items():
        if key == "messages":
            wire[key] = [rows.message_ref(conn, m) for m in value]
        elif key in REFS and isinstance(value, int):
            wire[key] = REFS[key][0](conn, value)
        else:
            wire[key] = value
    if kind in MESSAGE_KINDS and isinstance(data.get("message"), int):
        wire["message_row"] = rows.message_snapshot(conn, data["message"])
    # A split's ticket is new, as a created one is: the event brings it.
    if kind in ("created", "split"):
        wire["ticket_row"] = rows.ticket_snapshot(conn, ticket_id)
    if kind in CALL_KINDS and isinstance(data.get("call"), int):
        wire["call_row"] = calls.snapshot(conn, data["call"])
    if kind == "reply" and isinstance(data.get("outbox"), int):
        wire["outbox_row"] = rows.outbox_snapshot(conn, data["outbox"])
    return {
        "uid": uid,
        "ticket": rows.ticket_gid(conn, ticket_id),
        "kind": kind,
        "actor": actor,
        "at": at,
        "data": wire,
    }


def local_data(conn: sqlite3.Connection, wire: dict) -> dict:
    """An event's data with global names turned into this replica's ids (None where it has no
    such row) and the carried rows left out."""
    data: dict[str, Any] = {}
    for key, value in wire.items():
        if key in CARRIED:
            continue
        if key == "messages":
            data[key] = [rows.message_by_ref(conn, ref) if ref else None for ref in value]
        elif key in REFS and value is not None and not isinstance(value, int):
            data[key] = REFS[key][1](conn, value)
        else:
            data[key] = value
    return data
