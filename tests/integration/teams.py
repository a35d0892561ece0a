"""A shared team database on the session's PostgreSQL, and what tests compare replicas by."""

from __future__ import annotations

from pathlib import Path

from deskterm.store import Store, open_store
from deskterm.team import replica, server

from .postgres import Postgres


class Team:
    """One shared database owned by anna (who publishes), with a login role per agent."""

    def __init__(self, postgres: Postgres, tmp: Path, agents: tuple[str, ...] = ("ben",)) -> None:
        self.pg = postgres
        self.tmp = tmp
        self.db = postgres.new_database()
        self.roles = {name: postgres.new_role(name) for name in ("anna", *agents)}
        with postgres.admin() as conn:
            conn.execute(f'ALTER DATABASE "{self.db}" OWNER TO "{self.roles["anna"]}"')

    def url(self, agent: str, *, password: bool = True) -> str:
        return self.pg.dsn(self.db, self.roles[agent], "pw" if password else None)

    def replica(self, name: str) -> Store:
        return open_store(self.tmp / f"{name}.db")

    def add(self, agent: str) -> None:
        conn = server.connect(self.url("anna"))
        try:
            server.add_agent(conn, self.roles[agent], agent)
        finally:
            conn.close()

    def join(self, agent: str) -> Store:
        self.add(agent)
        store = self.replica(agent)
        replica.join(store, self.url(agent), agent)
        return store

    def sync(self, store: Store) -> tuple[int, int]:
        conn = replica.open_server(replica.configured(store))
        try:
            return replica.sync_once(store, conn)
        finally:
            conn.close()

    def server_uids(self) -> list[str]:
        conn = server.connect(self.url("anna"))
        try:
            return [
                r[0] for r in conn.execute("SELECT uid::text FROM deskterm.events ORDER BY seq")
            ]
        finally:
            conn.close()


def state(store: Store) -> dict:
    """What a person sees of a replica, by global names: tickets, tags, messages and events,
    and each ticket's number."""
    conn = store.conn
    tickets = {}
    for gid, tid, *fields in conn.execute(
        "SELECT gid, id, subject, status, priority, escalation, assignee, snoozed_until,"
        " merged_into IS NOT NULL, lang, intent, mood FROM tickets ORDER BY gid"
    ):
        tags = conn.execute("SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag", (tid,))
        messages = conn.execute(
            "SELECT account, external_id, direction, text FROM messages WHERE ticket_id = ?"
            " ORDER BY account, external_id",
            (tid,),
        ).fetchall()
        events = conn.execute(
            "SELECT seq, uid, actor, kind, author, undone_by IS NOT NULL FROM events"
            " WHERE ticket_id = ? AND kind NOT IN ('sla_breach', 'renumbered') ORDER BY seq",
            (tid,),
        ).fetchall()
        tickets[gid] = (fields, [t for (t,) in tags], messages, events, tid)
    return tickets


def ticket_of(store: Store, gid: str) -> int:
    return store.conn.execute("SELECT id FROM tickets WHERE gid = ?", (gid,)).fetchone()[0]
