"""Presence: who is viewing or writing which ticket, shown to the others while it lasts.

An agent announces the ticket they have open (viewing, or writing a reply or note) for `TTL`
seconds and announces again while it stays open; when they close it, or their machine goes away,
the announcement lapses. The server knows the agent from the role signed in, so nobody can appear
as someone else. Tickets are named by global id: a ticket not yet pushed has no presence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskterm.store import Store
from deskterm.store import team as rows
from deskterm.team.server import TeamError, db_errors, reason

if TYPE_CHECKING:
    import psycopg

TTL = 60
DOINGS = ("viewing", "writing")


def announce(
    conn: psycopg.Connection,
    store: Store,
    ticket_id: int | None,
    doing: str = "viewing",
    ttl: int = TTL,
) -> None:
    """Show the others that this agent has `ticket_id` open (None: none, but still online) for
    `ttl` seconds (0: withdraw it, the agent is gone)."""
    if doing not in DOINGS:
        raise TeamError(f"presence is one of {', '.join(DOINGS)}, not {doing!r}")
    gid = None
    if ticket_id is not None:
        gid = rows.gid_of(store.conn, ticket_id)
        if gid is None:
            raise TeamError(f"ticket #{ticket_id} has not reached the team yet; sync first")
    try:
        with conn.transaction():
            conn.execute("SELECT deskterm.announce(%s, %s, %s)", (gid, doing, ttl))
    except db_errors() as exc:
        raise TeamError(f"the team server refused the presence: {reason(exc)}") from exc


def others(conn: psycopg.Connection, store: Store) -> dict[int, list[tuple[str, str]]]:
    """Each local ticket the other agents have open: [(agent, viewing|writing), ...]."""
    try:
        found = conn.execute("SELECT agent, ticket::text, doing FROM deskterm.present()").fetchall()
        conn.commit()
    except db_errors() as exc:
        raise TeamError(f"cannot read who is here: {reason(exc)}") from exc
    present: dict[int, list[tuple[str, str]]] = {}
    for agent, gid, doing in found:
        ticket_id = rows.ticket_by_gid(store.conn, gid)
        if ticket_id is not None:
            present.setdefault(ticket_id, []).append((agent, doing))
    return present


def withdraw(conn: psycopg.Connection, store: Store) -> None:
    """This agent is gone: the others stop seeing them at once, not when it lapses."""
    announce(conn, store, None, ttl=0)


def online(conn: psycopg.Connection) -> list[str]:
    """Every agent whose workstation announced itself lately, this one included."""
    try:
        found = conn.execute("SELECT agent FROM deskterm.online()").fetchall()
        conn.commit()
    except db_errors() as exc:
        raise TeamError(f"cannot read who is online: {reason(exc)}") from exc
    return [agent for (agent,) in found]


def describe(entries: list[tuple[str, str]]) -> str:
    """'anna viewing, ben writing'."""
    return ", ".join(f"{agent} {doing}" for agent, doing in entries)
