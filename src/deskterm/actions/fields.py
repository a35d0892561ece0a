"""Actions that change one field of a ticket: status, priority, assignee, escalation, snooze, tags."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime

from deskterm import mailbox
from deskterm.actions.common import (
    ActionError,
    Done,
    Origin,
    check_actor,
    check_ticket,
    finish,
    set_off_rules,
    ticket_row,
    write_event,
)
from deskterm.domain import DEFAULT_ESCALATION_LEVELS, TRANSITIONS, Priority, Status, to_iso, utcnow
from deskterm.store import Store, tickets
from deskterm.triage import teach

TAG_RE = re.compile(r"^[\w][\w\-./:]{0,63}$")


def _unchanged(column: str, value: object) -> str:
    """Why setting a field to what it holds changes nothing, in the words the commands use."""
    if column == "snoozed_until":
        return f"is already snoozed until {value}" if value else "is not snoozed"
    if column == "assignee":
        return f"is already assigned to {value}" if value else "is not assigned to anyone"
    return f"is already {column} {value}" if column != "status" else f"is already {value}"


# The ticket column each field event changes.
FIELD_COLUMNS = {
    "status": "status",
    "priority": "priority",
    "assign": "assignee",
    "escalate": "escalation",
    "snooze": "snoozed_until",
}


def write_field(
    conn: sqlite3.Connection,
    ticket_id: int,
    kind: str,
    actor: str,
    at: datetime,
    data: dict,
    *,
    origin: Origin | None = None,
    change: bool = True,
) -> int:
    """Set the field a `kind` event changes to data["after"] and write the event. A replicated
    event whose field a later change (by the server's order) already holds passes change=False:
    it joins the timeline without moving the field."""
    if change:
        after = data["after"]
        tickets.set_column(conn, ticket_id, FIELD_COLUMNS[kind], after)
        if kind == "status":
            mailbox.status_changed(conn, ticket_id, not Status(after).is_active, at)
    event = write_event(conn, ticket_id, kind, actor, at, data, origin)
    finish(conn, ticket_id, at)
    return event


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
        data = {"before": before, "after": value, **(extra or {})}
        event = write_field(conn, ticket_id, kind, actor, at, data)
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
        return _set_field(store, ticket_id, "status", target.value, "status", actor, at)


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


# Why a person's tag change is refused when the ticket already has it so.
TAG_UNCHANGED = {"tag": "is already tagged", "untag": "has no tag"}


def write_tag(
    conn: sqlite3.Connection,
    ticket_id: int,
    kind: str,
    name: str,
    actor: str,
    at: datetime,
    *,
    origin: Origin | None = None,
    change: bool = True,
) -> int | None:
    """Add (`tag`) or remove (`untag`) a tag and write the event; None when the ticket already
    had it so, which a person's action refuses and a replicated one still records."""
    if change and not tickets.change_tag(conn, ticket_id, name, kind == "tag") and origin is None:
        return None
    event = write_event(conn, ticket_id, kind, actor, at, {"tag": name}, origin)
    finish(conn, ticket_id, at)
    return event


def _change_tag(
    store: Store, ticket_id: int, name: str, kind: str, actor: str, at: datetime | None
) -> Done:
    check_actor(actor)
    at = at or utcnow()
    name = _normal_tag(name)
    with store.tx() as conn:
        check_ticket(conn, ticket_id)
        event = write_tag(conn, ticket_id, kind, name, actor, at)
        if event is None:
            raise ActionError(f"ticket #{ticket_id} {TAG_UNCHANGED[kind]} {name}")
        if name in teach.TEACHING:
            # A person's intent tag teaches triage at once (a rule's teaches nothing).
            teach.relearn(conn, [ticket_id])
        set_off_rules(store, ticket_id, kind, actor, at)
    return Done(event)


def tag(store: Store, ticket_id: int, name: str, *, actor: str, at: datetime | None = None) -> Done:
    return _change_tag(store, ticket_id, name, "tag", actor, at)


def untag(
    store: Store, ticket_id: int, name: str, *, actor: str, at: datetime | None = None
) -> Done:
    return _change_tag(store, ticket_id, name, "untag", actor, at)
