"""A shared team database on the session's PostgreSQL, and what tests compare replicas by."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from deskterm.sla import clocks
from deskterm.store import Store, open_store
from deskterm.store import clocks as sla_rows
from deskterm.store.team_records import MACHINE_SETTINGS
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

    def records(self, kind: str) -> dict[str, dict]:
        """The team's shared records of one kind, by key."""
        conn = server.connect(self.url("anna"))
        try:
            found = conn.execute(
                "SELECT key, data FROM deskterm.records WHERE kind = %s", (kind,)
            ).fetchall()
            return dict(found)
        finally:
            conn.close()

    def events_data(self) -> list[dict]:
        """The data of every event on the server, in its order."""
        conn = server.connect(self.url("anna"))
        try:
            return [r[0] for r in conn.execute("SELECT data FROM deskterm.events ORDER BY seq")]
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


# When every replica's SLA clocks are compared (tests deliver their mail around 2026-11-20 12:00).
SLA_MOMENT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


class Replica(dict):
    """A replica's tickets by global id, compared with another's together with the records
    beside them: orders, customer profiles, accounts and connector calls."""

    shared: dict

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Replica) and dict.__eq__(self, other) and self.shared == other.shared
        )

    __hash__ = None  # type: ignore[assignment]


def _file(path: str | None) -> str | None:
    """What a stored file holds (its digest), or None when this replica has no such file."""
    if not path or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _attachments(raw: str) -> list[tuple]:
    """A message's attachments without their path (each machine stores files where it keeps
    them), with what the file at that path holds."""
    return [
        (a["filename"], a["content_type"], a["size"], a.get("sha256"), _file(a.get("path")))
        for a in json.loads(raw)
    ]


def state(store: Store) -> Replica:
    """What a person sees of a replica, by global names: tickets (each one's number, fields, SLA
    columns, tags, messages with their attachment files, and events), orders with their items and
    refunds, customer profiles, the mail the team read, the team's SLA policy (which the SLA
    columns are worked out with), accounts (whose secrets are in each machine's keyring, never in
    the store) and connector calls."""
    conn = store.conn
    tickets = Replica()
    for gid, tid, *fields in conn.execute(
        "SELECT gid, id, subject, status, priority, escalation, assignee, snoozed_until,"
        " merged_into IS NOT NULL, lang, intent, mood FROM tickets ORDER BY gid"
    ):
        fields.append(_sla(conn, tid))
        tags = conn.execute("SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag", (tid,))
        messages = [
            (*row, _attachments(files))
            for *row, files in conn.execute(
                "SELECT account, external_id, direction, text, attachments FROM messages"
                " WHERE ticket_id = ? ORDER BY account, external_id",
                (tid,),
            )
        ]
        events = conn.execute(
            "SELECT seq, uid, actor, kind, author, undone_by IS NOT NULL FROM events"
            " WHERE ticket_id = ? AND kind NOT IN ('sla_breach', 'renumbered') ORDER BY seq",
            (tid,),
        ).fetchall()
        tickets[gid] = (fields, [t for (t,) in tags], messages, events, tid)
    tickets.shared = {
        "orders": _orders(conn),
        "profiles": _profiles(conn),
        "accounts": _accounts(conn),
        "calls": _calls(conn),
        "sla policy": sla_rows.team_policy(conn),
        "read": _read(conn),
    }
    return tickets


def _sla(conn: sqlite3.Connection, ticket_id: int) -> tuple | None:
    """The ticket's SLA columns as this replica works them out from its events and policies at
    one moment, the same for every replica (what the columns store depends on when they were
    last worked out, on each replica's clock, so the stored ones are not compared)."""
    found = clocks.evaluate_ticket(conn, ticket_id, SLA_MOMENT)
    if found is None:
        return None
    summary = found.summary
    return (summary.deadline, summary.warn_at, summary.state, summary.recheck_at)


# The order columns that hold JSON: compared by what they hold, not by the order of their keys.
ORDER_JSON = ("items", "tags", "shipping_address", "fulfillments", "refunds")


def _orders(conn: sqlite3.Connection) -> list[tuple]:
    """Every order column but the local ids, with the identities it names and its ticket's."""
    cursor = conn.execute("SELECT * FROM orders ORDER BY account, external_id")
    names = [d[0] for d in cursor.description]
    found = []
    for row in cursor.fetchall():
        order = dict(zip(names, row, strict=True))
        order_id = order.pop("id")
        order.pop("customer_id")
        # The team server keeps an order as jsonb, which orders an object's keys its own way.
        for column in ORDER_JSON:
            order[column] = json.loads(order[column]) if order[column] else order[column]
        who = conn.execute(
            "SELECT kind, value FROM order_identities WHERE order_id = ? ORDER BY kind, value",
            (order_id,),
        ).fetchall()
        linked = conn.execute(
            "SELECT gid FROM tickets WHERE order_id = ? ORDER BY gid", (order_id,)
        ).fetchall()
        found.append((json.dumps(order, sort_keys=True), who, linked))
    return found


def _profiles(conn: sqlite3.Connection) -> list[tuple]:
    """What each account knows of a customer (lifetime figures, tags, note), without the local
    customer id, with the identities of the customer it is linked to."""
    cursor = conn.execute("SELECT * FROM customer_profiles ORDER BY account, external_id")
    names = [d[0] for d in cursor.description]
    found = []
    for row in cursor.fetchall():
        profile = dict(zip(names, row, strict=True))
        who = conn.execute(
            "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY kind, value",
            (profile.pop("customer_id"),),
        ).fetchall()
        found.append((sorted(profile.items()), who))
    return found


def _read(conn: sqlite3.Connection) -> list[tuple]:
    """The customer messages the team read (opened or answered, on any replica), which the
    account's mailbox flags seen: (account, Message-ID, external id)."""
    return conn.execute(
        "SELECT m.account, m.message_id, m.external_id FROM mailbox_changes c"
        " JOIN messages m ON m.id = c.message_row"
        " WHERE c.change = 'seen' AND c.status != 'cancelled' ORDER BY 1, 2, 3"
    ).fetchall()


def _calls(conn: sqlite3.Connection) -> list[tuple]:
    """Every connector call by its key: what it does and where it stands."""
    return conn.execute(
        "SELECT idempotency_key, account, action, params, status, outcome FROM connector_calls"
        " ORDER BY idempotency_key"
    ).fetchall()


def _accounts(conn: sqlite3.Connection) -> list[tuple]:
    """Every account, without the settings that are each machine's own (where it keeps files)."""
    found = conn.execute(
        "SELECT name, connector, channel, address, settings, enabled FROM accounts ORDER BY name"
    ).fetchall()
    return [
        (
            *row[:4],
            {k: v for k, v in json.loads(row[4]).items() if k not in MACHINE_SETTINGS},
            row[5],
        )
        for row in found
    ]


def ticket_of(store: Store, gid: str) -> int:
    return store.conn.execute("SELECT id FROM tickets WHERE gid = ?", (gid,)).fetchone()[0]
