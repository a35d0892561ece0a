"""Actions that change one field of a ticket: status, priority, assignee, escalation, snooze, tags."""

from __future__ import annotations

import re
from datetime import datetime

from deskterm import mailbox
from deskterm.actions.common import (
    ActionError,
    Done,
    check_actor,
    finish,
    set_off_rules,
    ticket_row,
    write_event,
)
from deskterm.domain import DEFAULT_ESCALATION_LEVELS, TRANSITIONS, Priority, Status, to_iso, utcnow
from deskterm.store import Store

TAG_RE = re.compile(r"^[\w][\w\-./:]{0,63}$")


def _unchanged(column: str, value: object) -> str:
    """Why setting a field to what it holds changes nothing, in the words the commands use."""
    if column == "snoozed_until":
        return f"is already snoozed until {value}" if value else "is not snoozed"
    if column == "assignee":
        return f"is already assigned to {value}" if value else "is not assigned to anyone"
    return f"is already {column} {value}" if column != "status" else f"is already {value}"


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
    check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        ticket = ticket_row(conn, ticket_id)
        before = ticket[column]
        if before == value:
            raise ActionError(f"ticket #{ticket_id} {_unchanged(column, value)}")
        conn.execute(f"UPDATE tickets SET {column} = ? WHERE id = ?", (value, ticket_id))
        event = write_event(
            conn, ticket_id, kind, actor, at, {"before": before, "after": value, **(extra or {})}
        )
        finish(conn, ticket_id, at)
        set_off_rules(store, ticket_id, kind, actor, at)
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
        current = Status(ticket_row(conn, ticket_id)["status"])
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
        level = ticket_row(conn, ticket_id)["escalation"]
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
    check_actor(actor)
    at = at or utcnow()
    name = _normal_tag(name)
    sql, refusal = TAG_CHANGES[kind]
    with store.tx() as conn:
        ticket_row(conn, ticket_id)
        if not conn.execute(sql, (ticket_id, name)).rowcount:
            raise ActionError(f"ticket #{ticket_id} {refusal} {name}")
        event = write_event(conn, ticket_id, kind, actor, at, {"tag": name})
        finish(conn, ticket_id, at)
        set_off_rules(store, ticket_id, kind, actor, at)
    return Done(event)


def tag(store: Store, ticket_id: int, name: str, *, actor: str, at: datetime | None = None) -> Done:
    return _change_tag(store, ticket_id, name, "tag", actor, at)


def untag(
    store: Store, ticket_id: int, name: str, *, actor: str, at: datetime | None = None
) -> Done:
    return _change_tag(store, ticket_id, name, "untag", actor, at)
