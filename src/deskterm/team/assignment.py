"""Take next: an agent asks for the next ticket and gets one nobody else gets at the same moment.

The replica names its open unassigned tickets in queue order; the server gives the first that
nobody is assigned, no other agent has open right now (viewing or writing) and nobody took in the
last two minutes, unless the agent is at their cap of open tickets; the replica then assigns it
through actions, as a person would, and pushes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from deskterm import actions
from deskterm.domain import to_iso, utcnow
from deskterm.store import Store
from deskterm.store import team as rows
from deskterm.team import replica, roster
from deskterm.team.server import TeamError, db_errors, reason

if TYPE_CHECKING:
    import psycopg

CANDIDATES = 50


def take_next(store: Store, conn: psycopg.Connection, cap: int | None = None) -> int | None:
    """Assign this replica's agent the next ticket; its local id, or None when none is free."""
    agent = rows.meta_get(store.conn, replica.AGENT)
    if agent is None:
        raise TeamError("this workspace is not in a team; run deskterm team init or team join")
    candidates = rows.takeable(store.conn, to_iso(utcnow()), CANDIDATES)
    try:
        with conn.transaction():
            row = conn.execute(
                "SELECT deskterm.take_next(%s::uuid[], %s)::text", (candidates, cap)
            ).fetchone()
    except db_errors() as exc:
        raise TeamError(f"no ticket taken: {reason(exc)}") from exc
    if row is None or row[0] is None:
        return None
    ticket_id = rows.ticket_by_gid(store.conn, row[0])
    if ticket_id is None:  # only names this replica sent come back
        raise TeamError(f"the server gave a ticket this replica does not have ({row[0]})")
    try:
        actions.assign(store, ticket_id, agent, actor=f"agent:{agent}")
    except actions.ActionError as exc:
        raise TeamError(str(exc)) from exc
    replica.push(store, conn)
    return ticket_id


def take_next_for(store: Store, agent: str, now: datetime, cap: int | None = None) -> int | None:
    """Take next as the workstation asks it: in a team replica through the server (this
    replica's agent), elsewhere in this workspace's file (`agent`); the local id taken or None."""
    if rows.meta_get(store.conn, rows.TEAM_URL) is None:
        return roster.take_next_here(store, agent, now, cap)
    conn = replica.open_server(replica.configured(store))
    try:
        return take_next(store, conn, cap)
    finally:
        conn.close()
