"""The team's shared records: orders, customer profiles, accounts, sync cursors, the SLA policy
and the customer messages an agent read, which are no change to a ticket but which every
replica needs (docs/team.md, "Shared records").

Each is one row on the server, by a global key, and the last write wins: the server numbers
every write that changes a row, and a replica pulls the rows written since the last number it
saw and stores each through the code that stores it locally (ingest's for orders and profiles, the
sync state's for cursors, as a sync pass does). Orders, profiles and cursors are written by the
worker that pulls their account, and an account by whoever sets it up; what a replica wrote itself and
pulls back changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from typing import TYPE_CHECKING

from deskterm import ingest, mailbox
from deskterm.domain import CustomerProfile, Identity, from_iso, to_iso, utcnow
from deskterm.sla import clocks
from deskterm.store import Store, sync_state
from deskterm.store import orders as store_orders
from deskterm.store import team as rows
from deskterm.store import team_records as local
from deskterm.team import policy, server

if TYPE_CHECKING:
    import psycopg

PULLED = "team.records_through"
BATCH = 500


def outgoing(
    conn: sqlite3.Connection, notes: list[tuple[str, str]]
) -> list[tuple[tuple[str, str], dict]]:
    """Each of `notes` (kind, local key) with its record as the server keeps it; a row deleted
    since is left out."""
    found = []
    for note in notes:
        kind, key = note
        if kind == local.ORDER:
            order_key = local.order_key(conn, int(key))
            if order_key is None:
                continue
            snapshot, stored_at = store_orders.snapshot_of(conn, int(key))
            data: dict | None = {
                "order": store_orders.snapshot_json(snapshot),
                "stored_at": stored_at,
            }
            key = order_key
        elif kind == local.PROFILE:
            data = local.profile_record(conn, key)
        elif kind == local.ACCOUNT:
            data = local.account_record(conn, key)
        elif kind == local.POLICY:
            data = policy.outgoing(conn)
        elif kind == local.SEEN:
            message_key = local.message_key(conn, int(key))
            if message_key is None:
                continue
            data, key = {"seen": True}, message_key
        else:
            data = local.cursor_record(conn, key)
        if data is not None:
            found.append((note, {"kind": kind, "key": key, "data": data}))
    return found


def collect(store: Store, cursors_of: Collection[str] = ()) -> dict[tuple[str, str], dict]:
    """The records written here since the last push, by their note: the orders and accounts, or
    (given `cursors_of`) the cursors of those accounts, which only the worker holding an
    account's lock writes, and only after pushing the mail it pulled."""
    with store.tx() as db:
        notes = [
            (kind, key)
            for kind, key in local.changed(db)
            if (kind == local.CURSOR) == bool(cursors_of)
            and (kind != local.CURSOR or json.loads(key)[0] in cursors_of)
        ]
        found = dict(outgoing(db, notes))
        local.forget(db, [note for note in notes if note not in found])  # rows deleted since
    return found


def send(store: Store, conn: psycopg.Connection, sent: dict[tuple[str, str], dict]) -> int:
    """Write the `collect`ed records on the server; how many there were."""
    if not sent:
        return 0
    server.put_records(conn, list(sent.values()))
    with store.tx() as db:
        # A record written again meanwhile stays noted: it goes with the next push.
        now = dict(outgoing(db, list(sent)))
        local.forget(db, [note for note, record in sent.items() if now.get(note) == record])
    return len(sent)


def pull(store: Store, conn: psycopg.Connection) -> int:
    """Store every record the team wrote since the last pull; how many there were."""
    total = 0
    while True:
        found = server.records_after(conn, pulled_through(store), BATCH)
        if not found:
            return total
        with store.tx() as db:
            for record in found:
                apply(db, record)
            rows.meta_set(db, PULLED, str(found[-1]["seq"]))
        total += len(found)
        if any(record["kind"] == local.POLICY for record in found):
            clocks.recompute_if_changed(store, utcnow())  # the team's SLA policy changed
        if len(found) < BATCH:
            return total


def pulled_through(store: Store) -> int:
    return int(rows.meta_get(store.conn, PULLED) or 0)


def apply(conn: sqlite3.Connection, record: dict) -> None:
    """Store the team's version of one record here, as this replica's own writes store it."""
    kind, key, data = record["kind"], record["key"], record["data"]
    if kind == local.ORDER:
        snapshot = store_orders.snapshot_from_json(data["order"])
        ingest.upsert_orders(conn, [snapshot], data["stored_at"])
        order_id = local.order_id(conn, key)
        local.forget(conn, [(kind, str(order_id))])
    elif kind == local.PROFILE:
        ingest.upsert_profiles(conn, [_profile(key, data)], data["stored_at"])
        local.forget(conn, [(kind, key)])
    elif kind == local.POLICY:
        policy.store_pulled(conn, data)
    elif kind == local.SEEN:
        account, external_id = json.loads(key)
        mailbox.read_elsewhere(conn, account, external_id, utcnow())
    elif kind == local.ACCOUNT:
        local.write_account(conn, key, data, to_iso(utcnow()))
        local.forget(conn, [(kind, key)])
    elif kind == local.CURSOR:
        account, folder = json.loads(key)
        sync_state.save_cursor(conn, account, folder, data, utcnow())
        local.forget(conn, [(kind, key)])


def _profile(key: str, data: dict) -> CustomerProfile:
    account, external_id = json.loads(key)
    return CustomerProfile(
        account=account,
        external_id=external_id,
        name=data["name"],
        identities=tuple(Identity(kind, value) for kind, value in data["identities"]),
        orders_count=data["orders_count"],
        amount_spent=data["amount_spent"],
        currency=data["currency"],
        tags=tuple(data["tags"]),
        note=data["note"],
        admin_url=data["admin_url"],
        changed_at=from_iso(data["changed_at"]) if data["changed_at"] else None,
    )
