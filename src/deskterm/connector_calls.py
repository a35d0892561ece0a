"""Connector actions (refund, cancel, address, tracking, ...): never inside a write transaction,
never twice.

A call goes in three steps, each visible in the ticket's timeline:

1. the intent is recorded (a `connector_calls` row with a fresh, stable idempotency key, and a
   `connector_started` event) in one short transaction;
2. the connector's `run` is called outside any transaction, with that key;
3. the outcome is recorded in another short transaction: `connector_done` (the channel's text),
   `connector_failed` (the channel refused; its own error text), `connector_retry` (the outcome is
   unknown and will be settled again later), or `connector_uncertain` (a person must check).

A row left `running` by a crash is picked up by `recover` once its lease has expired, or at once
when its process was one of this machine's and is gone, and then only run again with the same
idempotency key (actions the channel deduplicates), or after the connector's `confirm` says it
did not happen; otherwise it becomes `uncertain` and waits for a person (`settle`, or `retry`
with the same key). Rules may only `propose`; running a call takes a person (`agent:NAME`).

Event data always holds {call, action}; `text` is the outcome or the error in the channel's words.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from deskterm.actions import write_event
from deskterm.connector import (
    Account,
    ActionOutcome,
    ConnectorAction,
    ConnectorError,
    PermanentError,
    TemporaryError,
    connector_for,
)
from deskterm.domain import to_iso, utcnow
from deskterm.store import Store
from deskterm.store import connector_calls as rows

if TYPE_CHECKING:
    from deskterm.team.calls import Decision

# How long a call may run before another process may take it for crashed.
LEASE = timedelta(minutes=15)
# Waits before settling an unknown outcome again; after the last, a person decides.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
ASK_PERSON = "check the channel, then mark it done or failed, or retry it"


class CallError(Exception):
    """A connector call cannot be made or changed as asked; nothing was run."""


@dataclass(frozen=True, slots=True)
class Call:
    """One connector action on one ticket, with where it stands."""

    id: int
    ticket_id: int
    account: str
    action: str
    params: Mapping[str, Any]
    idempotency_key: str
    status: str
    outcome: str
    external_id: str | None
    attempts: int
    proposed_by: str
    confirmed_by: str | None
    # The role whose replica made the call, in a team; None: made here (deskterm.team).
    made_by: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Call:
        return cls(
            id=row["id"],
            ticket_id=row["ticket_id"],
            account=row["account"],
            action=row["action"],
            params=row["params"],
            idempotency_key=row["idempotency_key"],
            status=row["status"],
            outcome=row["outcome"],
            external_id=row["external_id"],
            attempts=row["attempts"],
            proposed_by=row["proposed_by"],
            confirmed_by=row["confirmed_by"],
            made_by=row.get("made_by"),
        )

    @property
    def summary(self) -> str:
        """One line for people: which call, on which ticket, and where it ended."""
        return (
            f"connector call #{self.id} ({self.action}, ticket #{self.ticket_id}): "
            f"{self.status}: {self.outcome}"
        )

    @property
    def actor(self) -> str:
        """Who writes the outcome events: the account that made the call."""
        return f"connector:{self.account}"


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _load(store: Store, call_id: int) -> Call:
    row = rows.get(store.conn, call_id)
    if row is None:
        raise CallError(f"there is no connector call #{call_id}")
    return Call.from_row(row)


def _made_here(call: Call) -> None:
    """Refuse to act on another replica's call: its idempotency key and lease live there, so
    only there can it run without the risk of acting twice."""
    if call.made_by is not None:
        raise CallError(
            f"connector call #{call.id} was made on another replica of the team (role "
            f"{call.made_by}); only that one runs, retries or settles it"
        )


VERBS = {"confirm": "confirmed", "dismiss": "dismissed"}


def open_proposal(store: Store, call_id: int) -> Call:
    """A proposal nobody has decided yet, as this replica and, in a team, the team's server know
    it: ask before showing a person its preview. CallError says who decided it, and when."""
    call = _load(store, call_id)
    if call.status != "proposed":
        raise CallError(f"connector call #{call.id} is {call.status}, no longer a proposal")
    from deskterm.team import calls as team_calls
    from deskterm.team.server import TeamError

    if team_calls.in_team(store):
        try:
            first = team_calls.decided(store, call.idempotency_key)
        except TeamError as exc:
            raise CallError(f"connector call #{call.id} cannot be decided now: {exc}") from None
        if first is not None and not first.ours:
            raise _decided_elsewhere(call, first)
    return call


def _decide(store: Store, call: Call, decision: str, actor: str) -> Call:
    """A proposal's decision: in a team, first recorded on the team's server, where the first
    agent to decide wins however many decide at once; a confirmed call then runs here. CallError
    when it is no proposal, or another agent or replica decided first."""
    if call.status != "proposed":
        raise CallError(f"connector call #{call.id} is {call.status}, no longer a proposal")
    from deskterm.team import calls as team_calls
    from deskterm.team.server import TeamError

    if not team_calls.in_team(store):
        return call
    try:
        first = team_calls.decide(store, call.idempotency_key, decision, actor)
    except TeamError as exc:
        raise CallError(f"connector call #{call.id} was not {VERBS[decision]}: {exc}") from None
    if not first.ours:
        raise _decided_elsewhere(call, first)
    with store.tx() as conn:
        rows.run_here(conn, call.id)
    return _load(store, call.id)


def _decided_elsewhere(call: Call, first: Decision) -> CallError:
    """What a person hears when another agent (or another replica) decided `call` first."""
    when = first.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = " on another machine" if first.decision == "confirm" else ""
    return CallError(
        f"connector call #{call.id} was {VERBS[first.decision]} by {first.agent} at {when}"
        f"{where}; nothing was done here"
    )


def _check_person(actor: str) -> None:
    kind, _, name = actor.partition(":")
    if kind != "agent" or not name:
        raise CallError(
            f"{actor} may only propose connector actions; a person (agent:NAME) runs them"
        )


def _event(
    conn: sqlite3.Connection, call: Call, kind: str, actor: str, at: datetime, **data: Any
) -> int:
    return write_event(
        conn, call.ticket_id, kind, actor, at, {"call": call.id, "action": call.action, **data}
    )


def _split(name: str) -> tuple[str, str]:
    connector_name, _, action_name = name.partition(".")
    if not connector_name or not action_name:
        raise CallError(f"{name!r} is not a connector action; write it as CONNECTOR.ACTION")
    return connector_name, action_name


@contextmanager
def _action(account: Account | None, name: str) -> Iterator[ConnectorAction]:
    """The connector action `name` of the account, with its connector closed afterwards."""
    connector_name, action_name = _split(name)
    if account is None:
        raise CallError(f"no enabled account uses the {connector_name} connector")
    try:
        connector = connector_for(account)
    except ConnectorError as exc:
        raise CallError(str(exc)) from None
    try:
        offered = {a.name: a for a in connector.actions()}
        action = offered.get(action_name) or offered.get(name)
        if action is None:
            raise CallError(
                f"{connector_name} has no action {action_name!r}; it offers: "
                f"{', '.join(sorted(offered)) or 'none'}"
            )
        yield action
    finally:
        connector.close()


def _account_for(store: Store, ticket_id: int, name: str) -> Account:
    connector_name, _ = _split(name)
    account = rows.account_for(store.conn, connector_name, ticket_id)
    if account is None:
        raise CallError(f"no enabled account uses the {connector_name} connector")
    return account


def preview(store: Store, ticket_id: int, name: str, params: Mapping[str, Any]) -> str | None:
    """What the channel says `name` would do (None when it offers no preview); calls the network,
    so never call it inside a transaction or on the UI thread. ConnectorError says why not."""
    with _action(_account_for(store, ticket_id, name), name) as action:
        return action.preview(params) if action.preview else None


def _insert(
    store: Store,
    ticket_id: int,
    account: Account,
    name: str,
    params: Mapping[str, Any],
    *,
    status: str,
    actor: str,
    at: datetime,
) -> int:
    return rows.insert(
        store.conn,
        ticket_id=ticket_id,
        account=account.name,
        action=name,
        params=params,
        key=f"deskterm-{uuid.uuid4()}",
        status=status,
        proposed_by=actor,
        at=at,
    )


def propose(
    store: Store,
    ticket_id: int,
    name: str,
    params: Mapping[str, Any],
    *,
    actor: str,
    at: datetime | None = None,
) -> Call:
    """Record `name` as proposed (by a rule, a macro or a person); nothing runs until a person
    confirms it with `confirm_proposed`."""
    at = at or utcnow()
    account = _account_for(store, ticket_id, name)
    with store.tx() as conn:
        call_id = _insert(
            store, ticket_id, account, name, params, status="proposed", actor=actor, at=at
        )
        call = _load(store, call_id)
        _event(conn, call, "connector_proposed", actor, at, params=dict(call.params))
    return call


def run(
    store: Store,
    ticket_id: int,
    name: str,
    params: Mapping[str, Any],
    *,
    confirmed_by: str,
    actor: str | None = None,
    at: datetime | None = None,
) -> Call:
    """Run `name` now, confirmed by a person: intent, network call, outcome (see the module doc).

    `actor` writes the intent event (a macro, say; default: the person). Refusals before anything
    is recorded raise CallError; what the channel does is in the returned Call's status.
    """
    _check_person(confirmed_by)
    at = at or utcnow()
    actor = actor or confirmed_by
    account = _account_for(store, ticket_id, name)
    with _action(account, name) as action:
        params = _prepared(action, params)
        with store.tx():
            call_id = _insert(
                store, ticket_id, account, name, params, status="queued", actor=actor, at=at
            )
            call = _claim(store, call_id, confirmed_by, actor, at)
        return _call(store, call, action)


def _prepared(action: ConnectorAction, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The params `run` gets: with what the channel prepared, where it prepares (network: never
    inside a transaction). Its refusal raises CallError before anything is recorded."""
    if action.prepare is None:
        return params
    try:
        return action.prepare(params)
    except ConnectorError as exc:
        raise CallError(str(exc)) from None


def confirm_proposed(store: Store, call_id: int, *, confirmed_by: str) -> Call:
    """A person runs a proposed call. In a team any replica may, once the team's server has
    this confirmation as the first decision on the call (CallError says who decided first)."""
    return _restart(store, call_id, confirmed_by, ("proposed",))


def retry(store: Store, call_id: int, *, confirmed_by: str) -> Call:
    """A person runs a failed or uncertain call again, with its same idempotency key."""
    return _restart(store, call_id, confirmed_by, ("failed", "uncertain"))


def _restart(store: Store, call_id: int, confirmed_by: str, allowed: tuple[str, ...]) -> Call:
    _check_person(confirmed_by)
    at = utcnow()
    call = _load(store, call_id)
    if allowed == ("proposed",):
        call = _decide(store, call, "confirm", confirmed_by)
    else:
        _made_here(call)
    with _action(rows.account_row(store.conn, call.account), call.action) as action:
        # A proposal is prepared when a person runs it; a retry keeps what was sent before.
        prepared = _prepared(action, call.params) if call.status == "proposed" else None
        with store.tx() as conn:
            call = _load(store, call_id)
            if call.status not in allowed:
                raise CallError(f"connector call #{call_id} is {call.status}; nothing was run")
            if prepared is not None:
                rows.set_params(conn, call_id, prepared)
            call = _claim(store, call_id, confirmed_by, confirmed_by, at)
        return _call(store, call, action)


def _claim(store: Store, call_id: int, confirmed_by: str | None, actor: str, at: datetime) -> Call:
    """Take the call under this process's lease and record the intent; in the caller's tx."""
    rows.claim(
        store.conn,
        call_id,
        owner=_owner(),
        lease_until=at + LEASE,
        confirmed_by=confirmed_by,
        at=at,
    )
    call = _load(store, call_id)
    _started(store.conn, call, actor, at)
    return call


def _started(conn: sqlite3.Connection, call: Call, actor: str, at: datetime) -> None:
    _event(
        conn, call, "connector_started", actor, at, params=dict(call.params), attempt=call.attempts
    )


def dismiss(store: Store, call_id: int, *, actor: str, at: datetime | None = None) -> Call:
    """Drop a proposed call without running it (in a team, from any replica, as for
    `confirm_proposed`)."""
    at = at or utcnow()
    _decide(store, _load(store, call_id), "dismiss", actor)
    with store.tx() as conn:
        call = _load(store, call_id)
        if call.status != "proposed":
            raise CallError(
                f"connector call #{call_id} is {call.status}; only a proposal can be dismissed"
            )
        rows.record(conn, call_id, status="dismissed", outcome="dismissed", at=at)
        _event(conn, call, "connector_dismissed", actor, at, text="dismissed")
    return _load(store, call_id)


def settle(
    store: Store, call_id: int, *, happened: bool, actor: str, at: datetime | None = None
) -> Call:
    """A person who checked the channel says whether an uncertain call happened."""
    _check_person(actor)
    at = at or utcnow()
    with store.tx() as conn:
        call = _load(store, call_id)
        _made_here(call)
        if call.status != "uncertain":
            raise CallError(f"connector call #{call_id} is {call.status}, not uncertain")
        status = "done" if happened else "failed"
        text = "done" if happened else "did not happen"
        text += ", as checked by a person"
        rows.record(conn, call_id, status=status, outcome=text, at=at)
        _event(conn, call, f"connector_{status}", actor, at, text=text)
    return _load(store, call_id)


def _record(store: Store, call: Call, status: str, text: str, **fields: Any) -> Call:
    at = utcnow()
    kind = {"queued": "connector_retry"}.get(status, f"connector_{status}")
    with store.tx() as conn:
        rows.record(conn, call.id, status=status, outcome=text, at=at, **fields)
        extra = {"next_attempt": to_iso(fields["next_attempt_at"])} if status == "queued" else {}
        _event(conn, call, kind, call.actor, at, text=text, **extra)
    return _load(store, call.id)


def _done(store: Store, call: Call, outcome: ActionOutcome) -> Call:
    return _record(
        store,
        call,
        "done",
        outcome.text,
        external_id=outcome.external_id,
        result=outcome.data,
    )


def _unknown(
    store: Store, call: Call, action: ConnectorAction, error: str, wait: float | None
) -> Call:
    """The call may or may not have acted: settle it later when the channel allows, else ask."""
    can_settle = action.idempotent or action.confirm is not None
    if can_settle and call.attempts <= len(RETRY_DELAYS):
        delay = RETRY_DELAYS[call.attempts - 1]
        if wait:
            delay = max(delay, timedelta(seconds=wait))
        return _record(store, call, "queued", error, next_attempt_at=utcnow() + delay)
    how = "" if can_settle else f"; {call.action} cannot be checked automatically"
    return _record(store, call, "uncertain", f"{error}{how}; {ASK_PERSON}")


def _retry_after(exc: Exception) -> float | None:
    return exc.retry_after if isinstance(exc, TemporaryError) else None


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ConnectorError) else f"{type(exc).__name__}: {exc}"


def _call(store: Store, call: Call, action: ConnectorAction) -> Call:
    try:
        outcome = action.run(call.params, idempotency_key=call.idempotency_key)
    except PermanentError as exc:
        return _record(store, call, "failed", str(exc))
    # Whatever else the connector raises, the request may have reached the channel.
    except Exception as exc:
        return _unknown(store, call, action, _describe(exc), _retry_after(exc))
    return _done(store, call, outcome)


def recover(store: Store, *, now: datetime | None = None) -> list[Call]:
    """Settle every call left running by a process that is gone, or queued and due.

    A call's process is gone when its lease has expired, or at once when it was a process of this
    machine that is no longer running (a crash, a kill). Each is asked of the channel before
    anything is run again: run again only with the same idempotency key (actions the channel
    deduplicates), or after `confirm` said it did not happen; otherwise it waits for a person.
    The workstation and `deskterm sync --watch` run it when they start and every minute after;
    `deskterm action recover` runs it once.
    """
    now = now or utcnow()
    settled = []
    for call_id, stale in _pending(store, now):
        call = _take(store, call_id, now, stale)
        if call is not None:
            settled.append(_resume(store, call, now))
    return settled


def _pending(store: Store, now: datetime) -> list[tuple[int, str | None]]:
    """(call, owner) to take over: due ones (None), then those of a process of here that died."""
    due = rows.due(store.conn, now)
    pending: list[tuple[int, str | None]] = [(call_id, None) for call_id in due]
    return pending + [
        (call_id, owner)
        for call_id, owner in rows.running_here(store.conn)
        if call_id not in due and _gone(owner)
    ]


def _gone(owner: str) -> bool:
    """Whether the process that holds a lease certainly ended: only one of this machine can be
    looked up, and a number taken again by a newer process counts as running."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs as another user
        return False
    return False


def _take(store: Store, call_id: int, now: datetime, stale: str | None) -> Call | None:
    """Claim a call under this process's lease: one due, or one still under the lease of the
    dead process `stale`; None when another process took it first."""
    with store.tx() as conn:
        if call_id not in rows.due(conn, now) and (
            stale is None or rows.running_owner(conn, call_id) != stale
        ):
            return None
        rows.claim(
            conn, call_id, owner=_owner(), lease_until=now + LEASE, confirmed_by=None, at=now
        )
        return _load(store, call_id)


def _resume(store: Store, call: Call, now: datetime) -> Call:
    try:
        with _action(rows.account_row(store.conn, call.account), call.action) as action:
            if not (action.idempotent or action.confirm):
                return _record(
                    store,
                    call,
                    "uncertain",
                    f"interrupted before its outcome was recorded, and {call.action} cannot be "
                    f"checked automatically; {ASK_PERSON}",
                )
            if action.confirm and not action.idempotent:
                try:
                    found = action.confirm(call.params, idempotency_key=call.idempotency_key)
                except Exception as exc:
                    return _unknown(store, call, action, _describe(exc), _retry_after(exc))
                if found is not None:
                    return _done(store, call, found)
            with store.tx() as conn:
                _started(conn, call, call.actor, now)
            return _call(store, call, action)
    except (CallError, ConnectorError) as exc:
        # The connector cannot be reached any more, and the interrupted call may have acted.
        return _record(store, call, "uncertain", f"{_describe(exc)}; {ASK_PERSON}")


def calls(store: Store, ticket_id: int) -> list[Call]:
    """Every connector call of a ticket, oldest first."""
    return [Call.from_row(row) for row in rows.for_ticket(store, ticket_id)]


def event_ids(store: Store, call: Call) -> list[int]:
    """The ids of the timeline events `call` wrote, oldest first."""
    return rows.event_ids(store, call.ticket_id, call.id)
