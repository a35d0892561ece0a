"""Fold one event of the shared log into this replica, through the code that writes local state.

Events arrive in the server's order. A field change (status, priority, assignee, escalation,
snooze, a tag), or the undo of one, moves the field unless this replica holds a change to the
same field (or an undo of one) that the server orders later, or has not ordered yet (it will be
later): the last change by the server's order stands on every replica, and the one it overrode
stays in the timeline.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from deskterm import mailbox
from deskterm.actions import (
    Origin,
    clocks_deferred,
    finish,
    write_event,
    write_field,
    write_merge,
    write_split,
    write_tag,
    write_undo,
)
from deskterm.actions.fields import FIELD_COLUMNS
from deskterm.domain import from_iso, utcnow
from deskterm.sla import clocks
from deskterm.store import Store, outbox, tickets
from deskterm.store import connector_calls as calls
from deskterm.store import knowledge as store_kb
from deskterm.store import team as rows
from deskterm.team import files
from deskterm.team.server import TeamError
from deskterm.team.wire import local_data


def apply_all(store: Store, events: list[dict]) -> int:
    """Fold a batch of the log in, in one transaction; each ticket's SLA clocks are worked out
    once, after the batch, not after each of its events. How many events were new here."""
    with store.tx() as conn:
        with clocks_deferred() as touched:
            new = sum(apply(store, event) for event in events)
        clocks.refresh(conn, touched, utcnow())
    return new


def apply(store: Store, event: dict) -> bool:
    """Write `event` (a row of the server's log) here; False when this replica already had it."""
    with store.tx() as conn:
        found = rows.event_by_uid(conn, event["uid"])
        if found is not None:
            if found[1] is None:  # pushed by a run that stopped before recording the answer
                stamp = ("seq", "author", "overrode", "uid", "held")
                rows.mark_pushed(conn, [tuple(event[key] for key in stamp)])
                rows.take_numbers(conn, [(event["uid"], event["number"])])
            return False
        _fold(conn, event)
    return True


def _fold(conn: sqlite3.Connection, event: dict) -> None:
    origin = Origin(event["uid"], event["seq"], event["author"], event["overrode"])
    wire, kind, actor = event["data"], event["kind"], event["actor"]
    at = from_iso(event["at"])
    ticket_id = _carried_rows(conn, event)
    data = local_data(conn, wire)
    if kind in FIELD_COLUMNS:
        later = _changed_later(conn, ticket_id, kind, data, event["seq"])
        write_field(conn, ticket_id, kind, actor, at, data, origin=origin, change=not later)
        return
    if kind in ("tag", "untag"):
        later = _changed_later(conn, ticket_id, kind, data, event["seq"])
        write_tag(conn, ticket_id, kind, data["tag"], actor, at, origin=origin, change=not later)
        return
    if _fold_move(conn, kind, ticket_id, data, actor, at, origin):
        return
    if kind == "undo" and data["event"] is not None:
        undone = rows.event_row(conn, data["event"])
        later = _changed_later(conn, ticket_id, undone["kind"], undone["data"], event["seq"])
        write_undo(
            conn,
            data["event"],
            ticket_id,
            undone["kind"],
            undone["data"],
            actor,
            at,
            origin,
            change=not later,
        )
        return
    if kind == "delivered" and data.get("outbox") is not None:
        outbox.record_sent(conn, data["outbox"], data["external_id"], event["at"])
    elif kind in rows.REPLY_MOVES and data.get("outbox") is not None:
        moved = rows.move_team_reply(conn, kind, data["outbox"], data.get("error"))
        if moved and kind == "cancel_send":
            _drop_cancelled(conn, ticket_id, data["outbox"])
        elif moved and kind == "retry_send":
            rows.clear_hold(conn, data["outbox"])
    if kind in ("sop_tick", "sop_untick"):
        if kind == "sop_tick":
            store_kb.set_tick(conn, ticket_id, data["sop"], data["step"], event["at"], actor)
        else:
            store_kb.clear_tick(conn, ticket_id, data["sop"], data["step"])
    if kind.startswith("connector_") and data.get("call") is not None:
        calls.follow(conn, data["call"], event, data)
    if kind == "reply":
        # As actions.reply does: whoever answers a new ticket opens it, and has read it.
        mailbox.queue_seen(conn, ticket_id, at)
        tickets.open_if_new(conn, ticket_id)
    write_event(conn, ticket_id, kind, actor, at, data, origin)
    finish(conn, ticket_id, at)


def _drop_cancelled(conn: sqlite3.Connection, ticket_id: int, outbox_id: int) -> None:
    """A reply cancelled on another replica leaves this one's thread too, so replicas agree."""
    message = rows.unlink_reply_message(conn, outbox_id)
    if message is not None:
        tickets.drop_reply(conn, ticket_id, message)


def _carried_rows(conn: sqlite3.Connection, event: dict) -> int:
    """Insert the ticket, message and reply `event` carries whole, as needed; its ticket's id."""
    wire = files.localized(event["data"], files.local_store())
    ticket_id = rows.ticket_by_gid(conn, event["ticket"])
    if ticket_id is None:
        if not wire.get("ticket_row"):
            raise TeamError(
                f"event {event['seq']} ({event['kind']}) names a ticket this replica never received"
            )
        ticket_id = rows.insert_ticket(conn, wire["ticket_row"], event.get("number"))
    if wire.get("message_row"):
        message_id = rows.insert_message(conn, ticket_id, wire["message_row"])
        if wire.get("outbox_row"):
            item = rows.insert_team_reply(conn, ticket_id, message_id, wire["outbox_row"])
            if event["held"]:  # held for its author: no worker sends it unless they say so
                rows.move_team_reply(conn, "delivery_failed", item, rows.held_error(event["held"]))
    if wire.get("call_row"):  # made on the replica that pushed it, which alone runs it
        calls.insert_copy(conn, ticket_id, wire["call_row"], event["author"])
    return ticket_id


def _fold_move(
    conn: sqlite3.Connection,
    kind: str,
    ticket_id: int,
    data: dict,
    actor: str,
    at: datetime,
    origin: Origin,
) -> bool:
    """A merge or a split: messages move between tickets here too; False for other events."""
    if kind == "split" and data["source"] is not None and data["message"] is not None:
        write_split(conn, data["source"], ticket_id, data["message"], actor, at, origin)
        return True
    if kind == "merge" and data["source"] is not None:
        moved = [m for m in data["messages"] if m is not None]
        write_merge(
            conn, data["source"], ticket_id, moved, data["source_status"], actor, at, origin
        )
        return True
    return False


def _changed_later(
    conn: sqlite3.Connection, ticket_id: int, kind: str, data: dict, seq: int
) -> bool:
    """Whether this replica holds a change to the field a `kind` event changes (an undo of one
    included) that the server orders after `seq`, or has not ordered yet; False for an event
    that changes no field."""
    if kind in FIELD_COLUMNS:
        return rows.field_changed_since(conn, ticket_id, (kind,), None, seq)
    if kind in ("tag", "untag"):
        return rows.field_changed_since(conn, ticket_id, ("tag", "untag"), data["tag"], seq)
    return False
