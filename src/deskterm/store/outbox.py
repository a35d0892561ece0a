"""The outbox's rows: which replies are due, who is sending one (its lease), what became of it.

A reply being sent is held under a lease: an owner (host/pid/token of one sending pass) and the
wall-clock second the lease ends. The holder renews it while it sends; another pass takes a reply
over only once the lease has ended or its holder is gone (a process on this machine that no
longer exists, or a pass in this process that has finished). `stage` says how far the holder got:
'claimed' (nothing handed to the channel yet) or 'handing' (the channel may have it).

Leases use the wall clock (`clock`), which every process shares, never a caller's `now`.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from deskterm.store import inserted_id

# How long a lease lasts without renewal, and how often its holder renews it.
LEASE_SECONDS = 60.0
RENEW_SECONDS = 10.0

CLAIMED = "claimed"
HANDING = "handing"

clock = time.time

_HOST = socket.gethostname()
# Owners of the sending passes running in this process right now.
_live: set[str] = set()
_live_lock = threading.Lock()

_ITEM = "id, ticket_id, account, idempotency_key, payload, created_at"


@dataclass(frozen=True, slots=True)
class Stale:
    """A reply left in `sending` whose lease has ended: what is needed to take it over."""

    row: tuple
    owner: str | None
    until: float | None
    stage: str | None


def new_owner() -> str:
    return f"{_HOST}/{os.getpid()}/{secrets.token_hex(6)}"


@contextmanager
def holding(owner: str) -> Iterator[None]:
    """Mark `owner` as a live pass of this process for as long as the block runs."""
    with _live_lock:
        _live.add(owner)
    try:
        yield
    finally:
        with _live_lock:
            _live.discard(owner)


def holder_gone(owner: str | None) -> bool:
    """True when `owner` certainly sends nothing any more; unknown hosts count as alive."""
    if not owner:
        return True
    host, _, rest = owner.partition("/")
    pid_text = rest.partition("/")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        with _live_lock:
            return owner not in _live
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def due(conn: sqlite3.Connection, account: str, now_iso: str) -> list[tuple]:
    """Queued replies of `account` whose time has come: the Outbound columns, then attempts."""
    return conn.execute(
        f"SELECT {_ITEM}, attempts FROM outbox"
        " WHERE account = ? AND status = 'queued' AND next_attempt_at <= ? ORDER BY id",
        (account, now_iso),
    ).fetchall()


def claim(conn: sqlite3.Connection, outbox_id: int, owner: str, attempts: int) -> bool:
    """Take a queued reply under a new lease; False when another pass or an undo got there first."""
    return bool(
        conn.execute(
            "UPDATE outbox SET status = 'sending', attempts = ?, lease_owner = ?,"
            " lease_until = ?, stage = ? WHERE id = ? AND status = 'queued'",
            (attempts, owner, clock() + LEASE_SECONDS, CLAIMED, outbox_id),
        ).rowcount
    )


def stale(conn: sqlite3.Connection, account: str) -> list[Stale]:
    """Replies of `account` in `sending` whose lease ended or whose holder is gone."""
    rows = conn.execute(
        f"SELECT {_ITEM}, lease_owner, lease_until, stage FROM outbox"
        " WHERE account = ? AND status = 'sending' ORDER BY id",
        (account,),
    ).fetchall()
    moment = clock()
    return [
        Stale(row[:6], row[6], row[7], row[8])
        for row in rows
        if row[7] is None or row[7] < moment or holder_gone(row[6])
    ]


def take_over(conn: sqlite3.Connection, item: Stale, owner: str) -> bool:
    """Move an ended lease to `owner`; False when its holder renewed it or another pass took it."""
    return bool(
        conn.execute(
            "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id = ?"
            " AND status = 'sending' AND lease_owner IS ? AND lease_until IS ?",
            (owner, clock() + LEASE_SECONDS, item.row[0], item.owner, item.until),
        ).rowcount
    )


def renew(conn: sqlite3.Connection, owner: str) -> int:
    """Push back the end of every lease `owner` holds; the number of replies it holds."""
    return conn.execute(
        "UPDATE outbox SET lease_until = ? WHERE lease_owner = ? AND status = 'sending'",
        (clock() + LEASE_SECONDS, owner),
    ).rowcount


def handing(conn: sqlite3.Connection, outbox_id: int, owner: str) -> bool:
    """Record that the channel may have the reply from now on; False when the lease was lost."""
    return bool(
        conn.execute(
            "UPDATE outbox SET stage = ?, lease_until = ? WHERE id = ? AND lease_owner = ?"
            " AND status = 'sending'",
            (HANDING, clock() + LEASE_SECONDS, outbox_id, owner),
        ).rowcount
    )


def requeue(
    conn: sqlite3.Connection, outbox_id: int, owner: str, error: str | None, retry_at: str | None
) -> bool:
    """Give a reply the channel never got back to the queue (at `retry_at`, else as it was)."""
    return bool(
        conn.execute(
            "UPDATE outbox SET status = 'queued', last_error = COALESCE(?, last_error),"
            " next_attempt_at = COALESCE(?, next_attempt_at), lease_owner = NULL,"
            " lease_until = NULL, stage = NULL WHERE id = ? AND lease_owner = ?"
            " AND status = 'sending'",
            (error, retry_at, outbox_id, owner),
        ).rowcount
    )


def record_failed(conn: sqlite3.Connection, outbox_id: int, owner: str, error: str) -> bool:
    """Hold a reply for a person (refused, or its fate unknown)."""
    return bool(
        conn.execute(
            "UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL,"
            " lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'sending'",
            (error, outbox_id, owner),
        ).rowcount
    )


def record_sent(conn: sqlite3.Connection, outbox_id: int, external_id: str, at_iso: str) -> bool:
    """The channel has the reply. Whoever learns it records it, even over a hold or a retry
    that a pass which took over meanwhile decided, since the truth beats a guess."""
    done = conn.execute(
        "UPDATE outbox SET status = 'sent', external_id = ?, sent_at = ?, last_error = NULL,"
        " lease_owner = NULL, lease_until = NULL WHERE id = ?"
        " AND status IN ('queued', 'sending', 'failed', 'team')",
        (external_id, at_iso, outbox_id),
    ).rowcount
    if done:
        # The channel's id on the stored copy lets the next pull recognise our own reply.
        conn.execute(
            "UPDATE OR IGNORE messages SET external_id = ?"
            " WHERE id = (SELECT message_row FROM outbox WHERE id = ?)",
            (external_id, outbox_id),
        )
    return bool(done)


# What people do to a reply before it leaves (deskterm.actions): queue it, retry it, cancel it.


def queue(
    conn: sqlite3.Connection,
    ticket_id: int,
    message_row: int,
    account: str,
    idempotency_key: str,
    payload: dict,
    at_iso: str,
) -> int:
    """A reply queued to leave at once; its outbox id."""
    cur = conn.execute(
        "INSERT INTO outbox (ticket_id, message_row, account, idempotency_key, payload,"
        " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (ticket_id, message_row, account, idempotency_key, json.dumps(payload), at_iso, at_iso),
    )
    return inserted_id(cur)


def mark_automatic(conn: sqlite3.Connection, outbox_id: int) -> None:
    """The reply leaves marked as sent by a rule (Auto-Submitted: auto-replied)."""
    conn.execute(
        "UPDATE outbox SET payload = json_set(payload, '$.automatic', json('true')) WHERE id = ?",
        (outbox_id,),
    )


def item(conn: sqlite3.Connection, outbox_id: int) -> tuple[int, str, int | None] | None:
    """(ticket id, status, message row) of one outbox item, or None."""
    found: tuple[int, str, int | None] | None = conn.execute(
        "SELECT ticket_id, status, message_row FROM outbox WHERE id = ?", (outbox_id,)
    ).fetchone()
    return found


def body(conn: sqlite3.Connection, outbox_id: int) -> str:
    payload = conn.execute("SELECT payload FROM outbox WHERE id = ?", (outbox_id,)).fetchone()[0]
    text: str = json.loads(payload)["body"]
    return text


def retry(conn: sqlite3.Connection, outbox_id: int, at_iso: str) -> None:
    conn.execute(
        "UPDATE outbox SET status = 'queued', next_attempt_at = ? WHERE id = ?", (at_iso, outbox_id)
    )


def cancel(conn: sqlite3.Connection, outbox_id: int) -> bool:
    """Stop a reply that has not started to leave; False when it has (or there is none)."""
    return bool(
        conn.execute(
            "UPDATE outbox SET status = 'cancelled', message_row = NULL"
            " WHERE id = ? AND status IN ('queued', 'failed')",
            (outbox_id,),
        ).rowcount
    )
