"""What every action shares: the refusal, the result, the ticket lookup and the audit event."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.domain import canonical_json, to_iso
from deskterm.sla import clocks
from deskterm.store import Store, tickets

if TYPE_CHECKING:
    from deskterm.automation import RuleSet


class ActionError(Exception):
    """The action cannot be done as asked; the message says why, and nothing was changed."""


@dataclass(frozen=True, slots=True)
class Done:
    """What an action did: its event, and the message and outbox rows it created, if any."""

    event_id: int
    message_id: int | None = None
    outbox_id: int | None = None


def ticket_row(conn: sqlite3.Connection, ticket_id: int) -> sqlite3.Row:
    row = tickets.ticket_row(conn, ticket_id)
    if row is None:
        raise _missing(ticket_id)
    _refuse_missing(ticket_id, (row["merged_into"],))
    return row


def check_ticket(conn: sqlite3.Connection, ticket_id: int) -> None:
    """`ticket_row`'s refusals without reading the row, for actions that need none of it (a
    rule tagging every message of an ingest batch)."""
    _refuse_missing(ticket_id, tickets.merged_into(conn, ticket_id))


def _missing(ticket_id: int) -> ActionError:
    return ActionError(f"there is no ticket #{ticket_id}")


def _refuse_missing(ticket_id: int, found: tuple | None) -> None:
    if found is None:
        raise _missing(ticket_id)
    if found[0] is not None:
        raise ActionError(f"ticket #{ticket_id} was merged into #{found[0]}; act on that")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a replicated event comes from (deskterm.team): its stable id, its place in the
    server's order, the database role that wrote it, and whose change it overrode, if any."""

    uid: str
    seq: int
    author: str
    overrode: dict | None = None


# Inside applied_by(agent): the agent applying a macro, whose events then name them.
_applier: ContextVar[str | None] = ContextVar("deskterm_macro_applier", default=None)


@contextmanager
def applied_by(agent: str) -> Iterator[None]:
    """Events a macro writes inside record {"agent": agent}, the person who applied it, so that
    its reply is credited to them (deskterm.metrics); a rule's macro is applied by nobody."""
    token = _applier.set(agent)
    try:
        yield
    finally:
        _applier.reset(token)


def write_event(
    conn: sqlite3.Connection,
    ticket_id: int,
    kind: str,
    actor: str,
    at: datetime,
    data: dict,
    origin: Origin | None = None,
) -> int:
    """Append one audit event; every change to a ticket ends here, local or replicated.

    Inside `batch()`, a local event carries the batch's id, so one undo takes back all of it.
    """
    applier = _applier.get()
    if origin is None and applier is not None and actor.startswith("macro:"):
        data = {**data, "agent": applier}
    if origin is None and (batch_id := _batch.get()) is not None:
        data = {**data, "batch": batch_id}
    replicated = (
        None
        if origin is None
        else (
            origin.uid,
            origin.seq,
            origin.author,
            canonical_json(origin.overrode) if origin.overrode else None,
        )
    )
    return tickets.insert_event(
        conn, ticket_id, to_iso(at), actor, kind, canonical_json(data), replicated
    )


# Inside batch(), the id every event written carries (deskterm.actions.bulk).
_batch: ContextVar[str | None] = ContextVar("deskterm_batch", default=None)


@contextmanager
def batch(batch_id: str) -> Iterator[str]:
    """Events written inside carry `batch_id`: one bulk operation, one step to undo."""
    token = _batch.set(batch_id)
    try:
        yield batch_id
    finally:
        _batch.reset(token)


def check_actor(actor: str) -> None:
    kind, sep, name = actor.partition(":")
    if not sep or not kind or not name:
        raise ActionError(
            f"actor {actor!r} must look like 'agent:NAME', 'macro:NAME' or 'rule:NAME'"
        )


# Inside clocks_deferred(), the tickets whose SLA clocks the caller refreshes once at its end.
_deferred: ContextVar[set[int] | None] = ContextVar("deskterm_deferred_clocks", default=None)


@contextmanager
def clocks_deferred() -> Iterator[set[int]]:
    """Actions inside leave their tickets' SLA clocks to the caller, which refreshes the returned
    tickets once (rules acting during an ingest batch or a time pass: one pass, not one each)."""
    tickets: set[int] = set()
    token = _deferred.set(tickets)
    try:
        yield tickets
    finally:
        _deferred.reset(token)


def finish(conn: sqlite3.Connection, ticket_id: int, at: datetime) -> None:
    tickets.touch(conn, ticket_id, to_iso(at))
    refresh_clocks(conn, [ticket_id], at)


def refresh_clocks(conn: sqlite3.Connection, ticket_ids: list[int], at: datetime) -> None:
    """Work out the tickets' SLA clocks as of `at`, or, inside clocks_deferred(), leave them to
    the caller: a team pull folds events written before ones this replica already holds, and
    clocks worked out as of such an event's own time would miss those later ones."""
    deferred = _deferred.get()
    if deferred is None:
        clocks.refresh(conn, ticket_ids, at)
    else:
        deferred.update(ticket_ids)


# Actors whose changes set off event rules: people, and the macros they apply. A rule's own
# changes cascade inside the rules engine; ingest and the sync run the rules of their events.
PEOPLE = frozenset({"agent", "macro"})
# The rules people's changes set off; None: the user's rules folder as it is now.
_rules: ContextVar[RuleSet | None] = ContextVar("deskterm_rules_in_force", default=None)


@contextmanager
def rules_in_force(rules: RuleSet) -> Iterator[None]:
    """People's changes inside set off `rules` instead of the user's (the demo's scripted
    history, tests)."""
    token = _rules.set(rules)
    try:
        yield
    finally:
        _rules.reset(token)


def set_off_rules(store: Store, ticket_id: int, kind: str, actor: str, at: datetime) -> None:
    """Run the event rules a person's change sets off, in the change's own transaction:
    `reply_sent` after a reply, `ticket_updated` after any other change."""
    if actor.partition(":")[0] not in PEOPLE:
        return
    # Imported here: the rules engine acts through these very actions.
    from deskterm import automation

    rules = _rules.get()
    if rules is None:
        rules = automation.active_rules()
    event = "reply_sent" if kind == "reply" else "ticket_updated"
    if rules.on(event):
        automation.Engine(store, rules).on_event(event, [ticket_id], at)
