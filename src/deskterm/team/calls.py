"""Who decides a proposed connector call in a team: the first agent the server hears.

A rule proposes a refund or a cancel on the replica where it ran (usually the worker's); any agent
on any replica may confirm or dismiss it. The replica asks the server first (`deskterm.claim_call`,
V12): the first decision stands, however many agents decide at once on different machines, and the
others are told who decided and when. A confirmation's replica then runs the call with its shared
idempotency key, and every other replica follows it through its events (deskterm.connector_calls).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from deskterm.store import Store
from deskterm.store import team as rows
from deskterm.team import replica
from deskterm.team.server import TeamError, db_errors, reason

# The meta key of this replica's own name in the claims: a machine's, not an agent's.
REPLICA = "team.replica"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the server holds for a call: who decided it first, when, and whether it was us."""

    decision: str  # "confirm" or "dismiss"
    agent: str
    at: datetime
    ours: bool


def in_team(store: Store) -> bool:
    return rows.meta_get(store.conn, rows.TEAM_URL) is not None


def agent_here(store: Store) -> str | None:
    """The agent this replica signs in as; None outside a team."""
    return rows.meta_get(store.conn, replica.AGENT)


def replica_name(store: Store) -> str:
    """This replica's name in the claims, made the first time it is needed."""
    with store.tx() as conn:
        name = rows.meta_get(conn, REPLICA)
        if name is None:
            name = str(uuid.uuid4())
            rows.meta_set(conn, REPLICA, name)
    return name


def decide(store: Store, key: str, decision: str, actor: str) -> Decision:
    """Ask the server to record `actor`'s `decision` on the call with idempotency key `key`;
    the decision that stands. TeamError when the server cannot be asked or `actor` is not the
    agent this replica signs in as."""
    agent = agent_here(store)
    kind, _, name = actor.partition(":")
    if kind == "agent" and name != agent:
        raise TeamError(f"this replica signs in as {agent}, not as {name}")
    found = _ask(store, "claim_call(%s, %s, %s)", (key, decision, replica_name(store)))
    if found is None:
        raise TeamError("the team's server kept no decision on the call")
    return found


def decided(store: Store, key: str) -> Decision | None:
    """What the server holds for the call with idempotency key `key`, deciding nothing; None
    while nobody decided it."""
    return _ask(store, "call_decision(%s, %s)", (key, replica_name(store)))


def _ask(store: Store, function: str, args: tuple) -> Decision | None:
    """The decision one of the server's claim functions answers with (None: no row)."""
    conn = replica.open_server(replica.configured(store))
    try:
        with conn.transaction():
            row = conn.execute(
                f"SELECT decided, decided_by, decided_at, won FROM deskterm.{function}", args
            ).fetchone()
    except db_errors() as exc:
        raise TeamError(f"the team's server was not reached: {reason(exc)}") from exc
    finally:
        conn.close()
    return None if row is None else Decision(*row)


def publish(store: Store) -> None:
    """Push what this replica wrote (a call's outcome) now, not at the next sync."""
    conn = replica.open_server(replica.configured(store))
    try:
        replica.push(store, conn)
    finally:
        conn.close()
