"""Connector calls in the store: the intent rows of connector actions and their outcome.

deskterm.connector_calls decides; these helpers only read and write, in the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from deskterm.domain import Account, to_iso
from deskterm.store import Store, accounts, inserted_id

COLUMNS = (
    "id, ticket_id, account, action, params, idempotency_key, status, proposed_by, confirmed_by,"
    " attempts, owner, lease_until, next_attempt_at, outcome, external_id, result, made_by"
)


def _dict(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    found = {column[0]: value for column, value in zip(cursor.description, row, strict=True)}
    found["params"] = json.loads(found["params"])
    found["result"] = json.loads(found["result"])
    return found


def _params_json(params: Mapping[str, Any]) -> str:
    """A call's params as stored: keys in order, so every replica of a team stores the same
    text whatever order the team's server handed them on in."""
    return json.dumps(dict(params), ensure_ascii=False, sort_keys=True)


def account_for(conn: sqlite3.Connection, connector: str, ticket_id: int) -> Account | None:
    """The enabled account of `connector` that fits the ticket: its order's, its own, else first."""
    row = conn.execute(
        f"SELECT {accounts.COLUMNS} FROM accounts a"
        " WHERE a.connector = ? AND a.enabled = 1 ORDER BY"
        " a.name != (SELECT o.account FROM orders o JOIN tickets t ON t.order_id = o.id"
        " WHERE t.id = ?), a.name != (SELECT account FROM tickets WHERE id = ?), a.name"
        " LIMIT 1",
        (connector, ticket_id, ticket_id),
    ).fetchone()
    return accounts.account_of(row) if row else None


def account_row(conn: sqlite3.Connection, name: str) -> Account | None:
    """The account called `name`, enabled or not."""
    row = conn.execute(
        f"SELECT {accounts.COLUMNS} FROM accounts WHERE name = ?", (name,)
    ).fetchone()
    return accounts.account_of(row) if row else None


def insert(
    conn: sqlite3.Connection,
    *,
    ticket_id: int,
    account: str,
    action: str,
    params: Mapping[str, Any],
    key: str,
    status: str,
    proposed_by: str,
    at: datetime,
) -> int:
    cur = conn.execute(
        "INSERT INTO connector_calls (ticket_id, account, action, params, idempotency_key,"
        " status, proposed_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id,
            account,
            action,
            _params_json(params),
            key,
            status,
            proposed_by,
            to_iso(at),
            to_iso(at),
        ),
    )
    return inserted_id(cur)


def get(conn: sqlite3.Connection, call_id: int) -> dict[str, Any] | None:
    cursor = conn.execute(f"SELECT {COLUMNS} FROM connector_calls WHERE id = ?", (call_id,))
    row = cursor.fetchone()
    return None if row is None else _dict(cursor, row)


def key_of(conn: sqlite3.Connection, call_id: int) -> str | None:
    """The call's idempotency key, which names it on every replica of a team."""
    row = conn.execute(
        "SELECT idempotency_key FROM connector_calls WHERE id = ?", (call_id,)
    ).fetchone()
    return row[0] if row else None


def by_key(conn: sqlite3.Connection, key: str) -> int | None:
    """The call with this idempotency key, or None."""
    row = conn.execute(
        "SELECT id FROM connector_calls WHERE idempotency_key = ?", (key,)
    ).fetchone()
    return row[0] if row else None


def for_ticket(store: Store, ticket_id: int) -> list[dict[str, Any]]:
    """Every connector call of one ticket, oldest first."""
    cursor = store.conn.execute(
        f"SELECT {COLUMNS} FROM connector_calls WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    )
    return [_dict(cursor, row) for row in cursor.fetchall()]


def set_params(conn: sqlite3.Connection, call_id: int, params: Mapping[str, Any]) -> None:
    """Replace a call's params with what its channel prepared to send."""
    conn.execute(
        "UPDATE connector_calls SET params = ? WHERE id = ?",
        (_params_json(params), call_id),
    )


def claim(
    conn: sqlite3.Connection,
    call_id: int,
    *,
    owner: str,
    lease_until: datetime,
    confirmed_by: str | None,
    at: datetime,
) -> None:
    """Mark the call running under `owner`'s lease; one more attempt."""
    conn.execute(
        "UPDATE connector_calls SET status = 'running', owner = ?, lease_until = ?,"
        " confirmed_by = COALESCE(?, confirmed_by), attempts = attempts + 1,"
        " next_attempt_at = NULL, updated_at = ? WHERE id = ?",
        (owner, to_iso(lease_until), confirmed_by, to_iso(at), call_id),
    )


def record(
    conn: sqlite3.Connection,
    call_id: int,
    *,
    status: str,
    outcome: str,
    at: datetime,
    external_id: str | None = None,
    result: Mapping[str, Any] | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    """Write where the call ended up; the lease is given back."""
    conn.execute(
        "UPDATE connector_calls SET status = ?, outcome = ?, external_id = ?, result = ?,"
        " next_attempt_at = ?, owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
        (
            status,
            outcome,
            external_id,
            json.dumps(dict(result or {}), ensure_ascii=False),
            to_iso(next_attempt_at) if next_attempt_at else None,
            to_iso(at),
            call_id,
        ),
    )


def due(conn: sqlite3.Connection, now: datetime) -> list[int]:
    """Calls to pick up again: running under an expired lease, or queued and due."""
    moment = to_iso(now)
    return [
        row[0]
        for row in conn.execute(
            "SELECT id FROM connector_calls WHERE (status = 'running' AND lease_until < ?)"
            " OR (status = 'queued' AND next_attempt_at <= ?) ORDER BY id",
            (moment, moment),
        )
    ]


def running_here(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(id, owner) of every call running under the lease of a process of this replica."""
    return conn.execute(
        "SELECT id, owner FROM connector_calls WHERE status = 'running' AND owner IS NOT NULL"
        " AND made_by IS NULL ORDER BY id"
    ).fetchall()


def running_owner(conn: sqlite3.Connection, call_id: int) -> str | None:
    """The process whose lease the call runs under; None when it is not running here."""
    row = conn.execute(
        "SELECT owner FROM connector_calls WHERE id = ? AND status = 'running' AND made_by IS NULL",
        (call_id,),
    ).fetchone()
    return row[0] if row else None


def event_ids(store: Store, ticket_id: int, call_id: int) -> list[int]:
    """The timeline events of one call, oldest first."""
    return [
        row[0]
        for row in store.conn.execute(
            "SELECT id FROM events WHERE ticket_id = ? AND kind LIKE 'connector\\_%' ESCAPE '\\'"
            " AND json_extract(data, '$.call') = ? ORDER BY id",
            (ticket_id, call_id),
        )
    ]


# What a replica of a team learns of a call another replica made (deskterm.team): the columns
# its first event (proposed or started) brings along.
SHARED = (
    "account",
    "action",
    "params",
    "idempotency_key",
    "proposed_by",
    "confirmed_by",
    "created_at",
)
# The status each of a call's events leaves its copy on the other replicas in.
FOLLOWED = {
    "connector_proposed": "proposed",
    "connector_started": "running",
    "connector_retry": "queued",
    "connector_done": "done",
    "connector_failed": "failed",
    "connector_uncertain": "uncertain",
    "connector_dismissed": "dismissed",
}


def snapshot(conn: sqlite3.Connection, call_id: int) -> dict[str, Any] | None:
    """What another replica needs to show the call: SHARED, by name."""
    row = conn.execute(
        f"SELECT {', '.join(SHARED)} FROM connector_calls WHERE id = ?", (call_id,)
    ).fetchone()
    if row is None:
        return None
    found = dict(zip(SHARED, row, strict=True))
    return {**found, "params": json.loads(found["params"])}


def insert_copy(conn: sqlite3.Connection, ticket_id: int, call: dict, made_by: str) -> int:
    """The copy here of a call the replica of role `made_by` made (the one here already, if
    any). A copy never gets a lease or a due time, so no process here ever runs it."""
    found = by_key(conn, call["idempotency_key"])
    if found is not None:
        return found
    return inserted_id(
        conn.execute(
            "INSERT INTO connector_calls (ticket_id, account, action, params, idempotency_key,"
            " status, proposed_by, confirmed_by, created_at, updated_at, made_by)"
            " VALUES (?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?)",
            (
                ticket_id,
                call["account"],
                call["action"],
                _params_json(call["params"]),
                call["idempotency_key"],
                call["proposed_by"],
                call["confirmed_by"],
                call["created_at"],
                call["created_at"],
                made_by,
            ),
        )
    )


def follow(conn: sqlite3.Connection, call_id: int, event: dict, data: dict) -> None:
    """Move the copy of another replica's call as its event (a row of the team's log, `data` its
    data here) says. A proposal made here moves too: another replica decided it (the team's
    server let only one decide), and a start makes the call that replica's (its author's), to
    run, confirmed by the start's actor. A call run here is left alone: its own events moved it."""
    kind, actor, author = event["kind"], event["actor"], event["author"]
    if kind not in FOLLOWED:
        return
    started = kind == "connector_started"
    params = data.get("params")
    conn.execute(
        "UPDATE connector_calls SET status = ?, outcome = COALESCE(?, outcome),"
        " attempts = COALESCE(?, attempts), params = COALESCE(?, params), updated_at = ?,"
        " confirmed_by = COALESCE(?, confirmed_by),"
        " made_by = CASE WHEN ? THEN ? ELSE COALESCE(made_by, ?) END"
        " WHERE id = ? AND (made_by IS NOT NULL OR status = 'proposed')",
        (
            FOLLOWED[kind],
            data.get("text"),
            data.get("attempt"),
            _params_json(params) if params is not None else None,
            event["at"],
            actor if started and actor.startswith("agent:") else None,
            started,
            author,
            author,
            call_id,
        ),
    )


def run_here(conn: sqlite3.Connection, call_id: int) -> None:
    """This replica runs the call from now on: a person here confirmed it, and the team's server
    let no one else (deskterm.team.calls)."""
    conn.execute("UPDATE connector_calls SET made_by = NULL WHERE id = ?", (call_id,))
