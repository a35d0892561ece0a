"""Undo: revert an actor's most recent action that has not been undone yet."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from deskterm import mailbox
from deskterm.actions.common import (
    ActionError,
    Done,
    Origin,
    check_actor,
    refresh_clocks,
    write_event,
)
from deskterm.actions.fields import FIELD_COLUMNS
from deskterm.domain import Status, to_iso, utcnow
from deskterm.store import Store, drafts, outbox, splits, tickets
from deskterm.store import knowledge as store_kb
from deskterm.triage import teach

UNDOABLE_FIELDS = FIELD_COLUMNS


def undo(store: Store, *, actor: str, at: datetime | None = None) -> Done:
    """Revert `actor`'s most recent action that has not been undone yet.

    A reply can be undone only while its outbox item has not started to leave.
    """
    check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        last = tickets.last_undoable(conn, actor)
        if last is None:
            raise ActionError(f"{actor} has nothing to undo")
        if "batch" in last[3]:
            return Done(_undo_batch(conn, last[3]["batch"], actor, at)[-1])
        undo_event = write_undo(conn, *last, actor, at)
    return Done(undo_event)


def undo_batch(store: Store, batch_id: str, *, actor: str, at: datetime | None = None) -> int:
    """Revert every change of one bulk operation, all of it or none of it; returns how many
    tickets it touched."""
    check_actor(actor)
    with store.tx() as conn:
        _undo_batch(conn, batch_id, actor, at or utcnow())
        return splits.batch_tickets(conn, batch_id)


def _undo_batch(conn: sqlite3.Connection, batch_id: str, actor: str, at: datetime) -> list[int]:
    """The undo events of a batch's changes not undone yet, newest change first."""
    rows = splits.batch_events(conn, batch_id)
    if not rows:
        raise ActionError("that bulk change has already been undone")
    called = next((k for _, _, k, _ in rows if k.startswith("connector_")), None)
    if called:
        raise ActionError(
            f"that bulk change ran a connector action ({called}); it cannot be undone here,"
            " so nothing was undone"
        )
    return [
        write_undo(conn, event_id, ticket_id, kind, data, actor, at)
        for event_id, ticket_id, kind, data in rows
    ]


def write_undo(
    conn: sqlite3.Connection,
    event_id: int,
    ticket_id: int,
    kind: str,
    data: dict,
    actor: str,
    at: datetime,
    origin: Origin | None = None,
    *,
    change: bool = True,
) -> int:
    """Put back what the `kind` event `event_id` changed, write the undo event and mark the
    undone one. A replicated undo of a field that a later change (by the server's order)
    already holds passes change=False: it joins the timeline and leaves the field alone."""
    reverts = change or kind not in (*UNDOABLE_FIELDS, "tag", "untag")
    touched = [ticket_id, *(_revert(conn, ticket_id, kind, data, at) if reverts else ())]
    for tid in touched:
        if last := tickets.last_sent(conn, tid):
            tickets.set_last_message_at(conn, tid, last)
    undo_event = write_event(
        conn, ticket_id, "undo", actor, at, {"event": event_id, "kind": kind}, origin
    )
    tickets.mark_undone(conn, event_id, undo_event)
    refresh_clocks(conn, touched, at)
    tickets.touch(conn, ticket_id, to_iso(at))
    return undo_event


def _revert(
    conn: sqlite3.Connection, ticket_id: int, kind: str, data: dict, at: datetime
) -> list[int]:
    """Put back what one `kind` event changed on its ticket; returns the other tickets touched."""
    if kind in UNDOABLE_FIELDS:
        tickets.set_column(conn, ticket_id, UNDOABLE_FIELDS[kind], data["before"])
        if kind == "status":
            mailbox.status_changed(conn, ticket_id, not Status(data["before"]).is_active, at)
    elif kind in ("tag", "untag"):
        tickets.change_tag(conn, ticket_id, data["tag"], add=kind == "untag")
        if data["tag"] in teach.TEACHING:
            teach.relearn(conn, [ticket_id])
    elif kind == "sop_tick":
        store_kb.clear_tick(conn, ticket_id, data["sop"], data["step"])
    elif kind == "sop_untick":
        store_kb.set_tick(conn, ticket_id, data["sop"], data["step"], to_iso(at), "undo")
    elif kind == "note":
        _back_to_draft(conn, ticket_id, kind, data["message"], at)
        tickets.delete_message(conn, data["message"])
    elif kind == "reply":
        # A reply another replica queued has no outbox row here (deskterm.team): its author's
        # replica cancelled it.
        if data["outbox"] is not None and not outbox.cancel(conn, data["outbox"]):
            raise ActionError(
                f"the reply on ticket #{ticket_id} has already left; it cannot be undone"
            )
        _back_to_draft(conn, ticket_id, kind, data["message"], at)
        tickets.delete_message(conn, data["message"])
        tickets.set_column(conn, ticket_id, "status", data["status_before"])
    elif kind in ("merge", "split"):
        return [_move_back(conn, ticket_id, kind, data, at)]
    else:
        raise ActionError(f"a {kind} event cannot be undone")
    return []


def _move_back(
    conn: sqlite3.Connection, ticket_id: int, kind: str, data: dict, at: datetime
) -> int:
    """Messages a merge or a split moved go back where they were; returns the other ticket."""
    source = data["source"]
    if kind == "merge":
        tickets.move_messages(conn, data["messages"], source)
        tickets.unmerge(conn, source, data["source_status"])
        return source
    if len(tickets.message_ids(conn, ticket_id)) > 1:
        raise ActionError(
            f"ticket #{ticket_id} has messages of its own since the split; merge it instead"
        )
    # The message goes home; the ticket it had is closed as merged back, as a merge's source.
    tickets.move_messages(conn, [data["message"]], source)
    tickets.close_merged(conn, ticket_id, source, to_iso(at))
    return source


def _back_to_draft(
    conn: sqlite3.Connection, ticket_id: int, kind: str, message_id: int, at: datetime
) -> None:
    """What the agent wrote is not lost with the reply or note taken back: it is the draft again."""
    text = tickets.message_text(conn, message_id)
    if text and text.strip():
        drafts.put_back(conn, ticket_id, kind, text, at)


def undone_words(kind: str, data: dict) -> str:
    """What undoing a `kind` event with `data` took back, in the commands' words: "the reply",
    "the status solved (back to open)", "the tag refund"."""
    if kind in ("status", "priority"):
        return f"the {kind} {data['after']} (back to {data['before']})"
    if kind == "assign":
        return (
            f"the assignment to {data['after'] or 'nobody'} (back to {data['before'] or 'nobody'})"
        )
    if kind == "escalate":
        return f"the escalation to {data.get('level', data['after'])}"
    if kind == "snooze":
        return f"the snooze until {data['after']}" if data["after"] else "the wake-up"
    if kind in ("tag", "untag"):
        return (
            f"the tag {data['tag']}" if kind == "tag" else f"the removal of the tag {data['tag']}"
        )
    if kind in ("sop_tick", "sop_untick"):
        return f"the {'tick' if kind == 'sop_tick' else 'untick'} of step {data['step']} of {data['sop']}"
    if kind == "merge":
        return f"the merge of #{data['source']} (it is a ticket of its own again)"
    return f"the {kind}"


def back_in_draft(kind: str) -> bool:
    """Whether undoing a `kind` event put its text back into the ticket's draft."""
    return kind in ("reply", "note")
