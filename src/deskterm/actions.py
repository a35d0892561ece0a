"""The one write path for people, macros and rules: each action is one transaction that changes a
ticket, writes exactly one `events` row and, for replies, queues an `outbox` item.

Actors are strings of the form ``kind:name`` (``agent:anna``, ``macro:wismo``, ``rule:vip``,
``sync:shop-mail``). Event kinds and their data:

- ``created`` {account, channel, message}: ingest opened the ticket with its first message
- ``message_in`` {message, automatic}: a customer message was added
- ``reply`` {message, outbox} / ``note`` {message}
- ``status``, ``priority``, ``assign``, ``escalate``, ``snooze`` {before, after}; escalate adds reason
- ``tag`` / ``untag`` {tag}
- ``merge`` {source, messages, source_status}: written on the ticket that received the messages
- ``undo`` {event}: the event that was reverted (which gets ``undone_by``)
- ``retry_send`` {outbox} / ``cancel_send`` {outbox, body}: a person acted on an unsent reply
- ``delivered`` / ``delivery_failed`` {outbox, ...}: written by the sync engine
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from deskterm import mailbox
from deskterm.domain import (
    DEFAULT_ESCALATION_LEVELS,
    TRANSITIONS,
    Attachment,
    Direction,
    Priority,
    Status,
    canonical_json,
    to_iso,
    utcnow,
)
from deskterm.sla import clocks
from deskterm.store import Store, index_messages

TAG_RE = re.compile(r"^[\w][\w\-./:]{0,63}$")


class ActionError(Exception):
    """The action cannot be done as asked; the message says why, and nothing was changed."""


@dataclass(frozen=True, slots=True)
class Done:
    """What an action did: its event, and the message and outbox rows it created, if any."""

    event_id: int
    message_id: int | None = None
    outbox_id: int | None = None


def _ticket(conn: sqlite3.Connection, ticket_id: int) -> sqlite3.Row:
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    finally:
        conn.row_factory = None
    if row is None:
        raise ActionError(f"there is no ticket #{ticket_id}")
    if row["merged_into"] is not None:
        raise ActionError(f"ticket #{ticket_id} was merged into #{row['merged_into']}; act on that")
    return row


def write_event(
    conn: sqlite3.Connection, ticket_id: int, kind: str, actor: str, at: datetime, data: dict
) -> int:
    """Append one audit event; every change to a ticket ends here."""
    cur = conn.execute(
        "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (?, ?, ?, ?, ?)",
        (ticket_id, to_iso(at), actor, kind, canonical_json(data)),
    )
    return cur.lastrowid


def _check_actor(actor: str) -> None:
    kind, sep, name = actor.partition(":")
    if not sep or not kind or not name:
        raise ActionError(
            f"actor {actor!r} must look like 'agent:NAME', 'macro:NAME' or 'rule:NAME'"
        )


def _finish(conn: sqlite3.Connection, ticket_id: int, at: datetime) -> None:
    conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (to_iso(at), ticket_id))
    clocks.refresh(conn, [ticket_id], at)


def _set_field(
    store: Store,
    ticket_id: int,
    column: str,
    value: object,
    kind: str,
    actor: str,
    at: datetime | None,
    extra: dict | None = None,
) -> Done:
    _check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        ticket = _ticket(conn, ticket_id)
        before = ticket[column]
        if before == value:
            raise ActionError(f"ticket #{ticket_id} already has {column} {value!r}")
        conn.execute(f"UPDATE tickets SET {column} = ? WHERE id = ?", (value, ticket_id))
        event = write_event(
            conn, ticket_id, kind, actor, at, {"before": before, "after": value, **(extra or {})}
        )
        _finish(conn, ticket_id, at)
    return Done(event)


def set_status(
    store: Store, ticket_id: int, status: Status | str, *, actor: str, at: datetime | None = None
) -> Done:
    """Move a ticket to `status`; refuses transitions the workflow does not allow."""
    try:
        target = Status(status)
    except ValueError:
        raise ActionError(
            f"unknown status {status!r}; one of: {', '.join(s.value for s in Status)}"
        ) from None
    with store.tx() as conn:
        current = Status(_ticket(conn, ticket_id)["status"])
        if target not in TRANSITIONS[current]:
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing"
            raise ActionError(
                f"ticket #{ticket_id} is {current.value}; it can move to {allowed}, "
                f"not {target.value}"
            )
        at = at or utcnow()
        done = _set_field(store, ticket_id, "status", target.value, "status", actor, at)
        mailbox.status_changed(conn, ticket_id, not target.is_active, at)
        return done


def resolve(store: Store, ticket_id: int, *, actor: str, at: datetime | None = None) -> Done:
    return set_status(store, ticket_id, Status.SOLVED, actor=actor, at=at)


def reopen(store: Store, ticket_id: int, *, actor: str, at: datetime | None = None) -> Done:
    return set_status(store, ticket_id, Status.OPEN, actor=actor, at=at)


def set_priority(
    store: Store,
    ticket_id: int,
    priority: Priority | str,
    *,
    actor: str,
    at: datetime | None = None,
) -> Done:
    try:
        value = Priority(priority).value
    except ValueError:
        raise ActionError(
            f"unknown priority {priority!r}; one of: {', '.join(p.value for p in Priority)}"
        ) from None
    return _set_field(store, ticket_id, "priority", value, "priority", actor, at)


def assign(
    store: Store, ticket_id: int, assignee: str | None, *, actor: str, at: datetime | None = None
) -> Done:
    """Give the ticket to `assignee`, or take it off everyone with None."""
    value = assignee.strip() if assignee else None
    return _set_field(store, ticket_id, "assignee", value or None, "assign", actor, at)


def escalate(
    store: Store,
    ticket_id: int,
    reason: str,
    *,
    actor: str,
    levels: tuple[str, ...] = DEFAULT_ESCALATION_LEVELS,
    at: datetime | None = None,
) -> Done:
    """Raise the ticket one escalation level; a reason is required so the next tier knows why."""
    if not reason.strip():
        raise ActionError("an escalation needs a reason")
    with store.tx() as conn:
        level = _ticket(conn, ticket_id)["escalation"]
        if level + 1 >= len(levels):
            raise ActionError(f"ticket #{ticket_id} is already at the top level ({levels[-1]})")
        return _set_field(
            store,
            ticket_id,
            "escalation",
            level + 1,
            "escalate",
            actor,
            at,
            {"reason": reason.strip(), "level": levels[level + 1]},
        )


def snooze(
    store: Store, ticket_id: int, until: datetime | None, *, actor: str, at: datetime | None = None
) -> Done:
    """Hide the ticket from the queue and pause its clocks until `until`; None wakes it now."""
    at = at or utcnow()
    if until is not None and until <= at:
        raise ActionError(f"snooze until {to_iso(until)} is not in the future")
    value = to_iso(until) if until else None
    return _set_field(store, ticket_id, "snoozed_until", value, "snooze", actor, at)


def _normal_tag(tag: str) -> str:
    tag = tag.strip().lower()
    if not TAG_RE.match(tag):
        raise ActionError(f"tag {tag!r} must be letters, digits and - . / : _ (at most 64)")
    return tag


TAG_CHANGES = {
    "tag": (
        "INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)",
        "is already tagged",
    ),
    "untag": ("DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?", "has no tag"),
}


def _change_tag(
    store: Store, ticket_id: int, name: str, kind: str, actor: str, at: datetime | None
) -> Done:
    _check_actor(actor)
    at = at or utcnow()
    name = _normal_tag(name)
    sql, refusal = TAG_CHANGES[kind]
    with store.tx() as conn:
        _ticket(conn, ticket_id)
        if not conn.execute(sql, (ticket_id, name)).rowcount:
            raise ActionError(f"ticket #{ticket_id} {refusal} {name}")
        event = write_event(conn, ticket_id, kind, actor, at, {"tag": name})
        _finish(conn, ticket_id, at)
    return Done(event)


def tag(store: Store, ticket_id: int, name: str, *, actor: str, at: datetime | None = None) -> Done:
    return _change_tag(store, ticket_id, name, "tag", actor, at)


def untag(
    store: Store, ticket_id: int, name: str, *, actor: str, at: datetime | None = None
) -> Done:
    return _change_tag(store, ticket_id, name, "untag", actor, at)


def _agent_name(actor: str) -> str:
    return actor.partition(":")[2]


def note(
    store: Store, ticket_id: int, body: str, *, actor: str, at: datetime | None = None
) -> Done:
    """Add an internal note: visible to agents only, never sent."""
    _check_actor(actor)
    if not body.strip():
        raise ActionError("a note cannot be empty")
    at = at or utcnow()
    with store.tx() as conn:
        ticket = _ticket(conn, ticket_id)
        message = _insert_message(conn, ticket, Direction.NOTE, body, actor, at, None, ())
        event = write_event(conn, ticket_id, "note", actor, at, {"message": message})
        _finish(conn, ticket_id, at)
    return Done(event, message_id=message)


def _insert_message(
    conn: sqlite3.Connection,
    ticket: sqlite3.Row,
    direction: Direction,
    body: str,
    actor: str,
    at: datetime,
    message_id: str | None,
    references: tuple[str, ...],
    in_reply_to: str | None = None,
    subject: str = "",
) -> int:
    cur = conn.execute(
        "INSERT INTO messages (ticket_id, account, external_id, direction, author_name, subject,"
        " text, message_id, in_reply_to, refs, sent_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket["id"],
            ticket["account"],
            f"local:{uuid.uuid4()}",
            direction.value,
            _agent_name(actor),
            subject,
            body,
            message_id,
            in_reply_to,
            " ".join(references),
            to_iso(at),
            to_iso(at),
        ),
    )
    conn.execute("UPDATE tickets SET last_message_at = ? WHERE id = ?", (to_iso(at), ticket["id"]))
    index_messages(conn, [cur.lastrowid])
    return cur.lastrowid


def reply_subject(subject: str, ticket_id: int) -> str:
    """The subject of an outgoing reply: one "Re:" and the ticket token that threads answers back."""
    base = re.sub(r"^(\s*(re|aw|sv|fwd?)\s*:\s*)+", "", subject, flags=re.IGNORECASE).strip()
    base = re.sub(r"\s*\[#\d+\]", "", base)
    return f"Re: {base} [#{ticket_id}]" if base else f"[#{ticket_id}]"


def _reply_target(
    conn: sqlite3.Connection, ticket: sqlite3.Row
) -> tuple[str, str, str | None, str]:
    row = conn.execute(
        "SELECT author_addr, message_id, refs FROM messages WHERE ticket_id = ? AND direction = 'in'"
        " ORDER BY sent_at DESC, id DESC LIMIT 1",
        (ticket["id"],),
    ).fetchone()
    identity = conn.execute(
        "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY kind = ? DESC, id"
        " LIMIT 1",
        (ticket["customer_id"], "email" if ticket["channel"] in ("email", "amazon") else "x"),
    ).fetchone()
    kind, value = identity if identity else ("email", "")
    if row and row[0]:
        kind, value = ("email", row[0]) if "@" in row[0] else (kind, row[0])
    if not value:
        raise ActionError(f"ticket #{ticket['id']} has no customer address to reply to")
    in_reply_to = row[1] if row else None
    refs = f"{row[2]} {row[1]}".strip() if row and row[1] else (row[2] if row else "")
    return kind, value, in_reply_to, refs or ""


def reply(
    store: Store,
    ticket_id: int,
    body: str,
    *,
    actor: str,
    at: datetime | None = None,
    domain: str = "deskterm.local",
    attachments: Sequence[Attachment] = (),
) -> Done:
    """Queue a public reply to the customer; the sync engine sends it when the network allows.

    Attachments must already be stored files (deskterm.store.attachments), so the reply can leave
    later, offline or after a restart, with exactly what was attached.
    """
    _check_actor(actor)
    if not body.strip():
        raise ActionError("a reply cannot be empty")
    for attachment in attachments:
        if not attachment.path or not Path(attachment.path).is_file():
            raise ActionError(f"attachment {attachment.filename!r} is not a stored file")
    files = [asdict(a) for a in attachments]
    at = at or utcnow()
    with store.tx() as conn:
        ticket = _ticket(conn, ticket_id)
        if ticket["status"] == Status.CLOSED:
            raise ActionError(f"ticket #{ticket_id} is closed; replies go on a new ticket")
        kind, address, in_reply_to, refs = _reply_target(conn, ticket)
        account = conn.execute(
            "SELECT address FROM accounts WHERE name = ?", (ticket["account"],)
        ).fetchone()
        if account and "@" in account[0]:
            domain = account[0].rsplit("@", 1)[1]
        key = str(uuid.uuid4())
        message_id = f"<{key}@{domain}>"
        subject = reply_subject(ticket["subject"], ticket_id)
        references = tuple(refs.split()) if refs else ()
        message = _insert_message(
            conn,
            ticket,
            Direction.OUT,
            body,
            actor,
            at,
            message_id,
            references,
            in_reply_to,
            subject,
        )
        if files:
            conn.execute(
                "UPDATE messages SET attachments = ? WHERE id = ?", (json.dumps(files), message)
            )
        payload = {
            "to": {"kind": kind, "value": address},
            "subject": subject,
            "body": body,
            "message_id": message_id,
            "in_reply_to": in_reply_to,
            "references": list(references),
            "conversation_id": ticket["conversation_id"],
            "attachments": files,
        }
        outbox = conn.execute(
            "INSERT INTO outbox (ticket_id, message_row, account, idempotency_key, payload,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                message,
                ticket["account"],
                key,
                json.dumps(payload),
                to_iso(at),
                to_iso(at),
            ),
        ).lastrowid
        if ticket["status"] == Status.NEW:
            conn.execute("UPDATE tickets SET status = 'open' WHERE id = ?", (ticket_id,))
        mailbox.queue_seen(conn, ticket_id, at)  # whoever answers has read it
        event = write_event(
            conn,
            ticket_id,
            "reply",
            actor,
            at,
            {"message": message, "outbox": outbox, "status_before": ticket["status"]},
        )
        _finish(conn, ticket_id, at)
    return Done(event, message_id=message, outbox_id=outbox)


def merge(
    store: Store, source_id: int, target_id: int, *, actor: str, at: datetime | None = None
) -> Done:
    """Move every message of `source` into `target` (same customer) and close `source`."""
    _check_actor(actor)
    if source_id == target_id:
        raise ActionError("a ticket cannot be merged into itself")
    at = at or utcnow()
    with store.tx() as conn:
        source = _ticket(conn, source_id)
        target = _ticket(conn, target_id)
        if source["customer_id"] != target["customer_id"]:
            raise ActionError(
                f"tickets #{source_id} and #{target_id} belong to different customers; "
                "only one customer's tickets can be merged"
            )
        moved = [
            r[0] for r in conn.execute("SELECT id FROM messages WHERE ticket_id = ?", (source_id,))
        ]
        conn.execute(
            "UPDATE messages SET ticket_id = ? WHERE ticket_id = ?", (target_id, source_id)
        )
        conn.execute(
            "UPDATE tickets SET status = 'closed', merged_into = ?, updated_at = ? WHERE id = ?",
            (target_id, to_iso(at), source_id),
        )
        last = conn.execute(
            "SELECT MAX(sent_at) FROM messages WHERE ticket_id = ?", (target_id,)
        ).fetchone()[0]
        conn.execute("UPDATE tickets SET last_message_at = ? WHERE id = ?", (last, target_id))
        event = write_event(
            conn,
            target_id,
            "merge",
            actor,
            at,
            {"source": source_id, "messages": moved, "source_status": source["status"]},
        )
        clocks.refresh(conn, [source_id], at)
        _finish(conn, target_id, at)
    return Done(event)


def _outbox_item(conn: sqlite3.Connection, outbox_id: int) -> tuple[int, str, int | None]:
    row = conn.execute(
        "SELECT ticket_id, status, message_row FROM outbox WHERE id = ?", (outbox_id,)
    ).fetchone()
    if row is None:
        raise ActionError(f"there is no outbox item {outbox_id}")
    return row


def retry_send(store: Store, outbox_id: int, *, actor: str, at: datetime | None = None) -> Done:
    """Send a failed reply again at the next sync (after the cause was fixed)."""
    _check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        ticket_id, status, _ = _outbox_item(conn, outbox_id)
        if status != "failed":
            raise ActionError(
                f"outbox item {outbox_id} is {status}; only a failed reply is retried"
            )
        conn.execute(
            "UPDATE outbox SET status = 'queued', next_attempt_at = ? WHERE id = ?",
            (to_iso(at), outbox_id),
        )
        event = write_event(conn, ticket_id, "retry_send", actor, at, {"outbox": outbox_id})
        _finish(conn, ticket_id, at)
    return Done(event, outbox_id=outbox_id)


def cancel_send(store: Store, outbox_id: int, *, actor: str, at: datetime | None = None) -> Done:
    """Stop a reply that has not left; its text stays in the event, so nothing is lost."""
    _check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        ticket_id, status, message_row = _outbox_item(conn, outbox_id)
        if status not in ("queued", "failed"):
            raise ActionError(f"outbox item {outbox_id} is {status}; it cannot be cancelled")
        body = json.loads(
            conn.execute("SELECT payload FROM outbox WHERE id = ?", (outbox_id,)).fetchone()[0]
        )["body"]
        conn.execute(
            "UPDATE outbox SET status = 'cancelled', message_row = NULL WHERE id = ?", (outbox_id,)
        )
        if message_row is not None:
            conn.execute("DELETE FROM messages WHERE id = ?", (message_row,))
            conn.execute(
                "UPDATE tickets SET last_message_at = COALESCE((SELECT MAX(sent_at) FROM messages"
                " WHERE ticket_id = ?), last_message_at) WHERE id = ?",
                (ticket_id, ticket_id),
            )
        event = write_event(
            conn, ticket_id, "cancel_send", actor, at, {"outbox": outbox_id, "body": body}
        )
        _finish(conn, ticket_id, at)
    return Done(event, outbox_id=outbox_id)


UNDOABLE_FIELDS = {
    "status": "status",
    "priority": "priority",
    "assign": "assignee",
    "escalate": "escalation",
    "snooze": "snoozed_until",
}


def undo(store: Store, *, actor: str, at: datetime | None = None) -> Done:
    """Revert `actor`'s most recent action that has not been undone yet.

    A reply can be undone only while its outbox item has not started to leave.
    """
    _check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        row = conn.execute(
            "SELECT id, ticket_id, kind, data FROM events WHERE actor = ? AND undone_by IS NULL"
            " AND kind != 'undo' ORDER BY id DESC LIMIT 1",
            (actor,),
        ).fetchone()
        if row is None:
            raise ActionError(f"{actor} has nothing to undo")
        event_id, ticket_id, kind, raw = row
        data = json.loads(raw)
        touched = [ticket_id]
        if kind in UNDOABLE_FIELDS:
            conn.execute(
                f"UPDATE tickets SET {UNDOABLE_FIELDS[kind]} = ? WHERE id = ?",
                (data["before"], ticket_id),
            )
            if kind == "status":
                mailbox.status_changed(conn, ticket_id, not Status(data["before"]).is_active, at)
        elif kind == "tag":
            conn.execute(
                "DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?", (ticket_id, data["tag"])
            )
        elif kind == "untag":
            conn.execute(
                "INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)",
                (ticket_id, data["tag"]),
            )
        elif kind == "note":
            conn.execute("DELETE FROM messages WHERE id = ?", (data["message"],))
        elif kind == "reply":
            cancelled = conn.execute(
                "UPDATE outbox SET status = 'cancelled', message_row = NULL"
                " WHERE id = ? AND status IN ('queued', 'failed')",
                (data["outbox"],),
            )
            if not cancelled.rowcount:
                raise ActionError(
                    f"the reply on ticket #{ticket_id} has already left; it cannot be undone"
                )
            conn.execute("DELETE FROM messages WHERE id = ?", (data["message"],))
            conn.execute(
                "UPDATE tickets SET status = ? WHERE id = ?", (data["status_before"], ticket_id)
            )
        elif kind == "merge":
            source = data["source"]
            conn.executemany(
                "UPDATE messages SET ticket_id = ? WHERE id = ?",
                [(source, m) for m in data["messages"]],
            )
            conn.execute(
                "UPDATE tickets SET status = ?, merged_into = NULL WHERE id = ?",
                (data["source_status"], source),
            )
            touched.append(source)
        else:
            raise ActionError(f"a {kind} event cannot be undone")
        for tid in touched:
            last = conn.execute(
                "SELECT MAX(sent_at) FROM messages WHERE ticket_id = ?", (tid,)
            ).fetchone()[0]
            if last:
                conn.execute("UPDATE tickets SET last_message_at = ? WHERE id = ?", (last, tid))
        undo_event = write_event(
            conn, ticket_id, "undo", actor, at, {"event": event_id, "kind": kind}
        )
        conn.execute("UPDATE events SET undone_by = ? WHERE id = ?", (undo_event, event_id))
        clocks.refresh(conn, touched, at)
        conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (to_iso(at), ticket_id))
    return Done(undo_event)
