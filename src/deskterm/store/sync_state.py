"""Where each account's sync stands: the connector's cursor per folder (sync_state), saved in the
transaction of the batch it follows, and how its last pass went (sync_status)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from deskterm.domain import canonical_json, to_iso


def save_cursor(
    conn: sqlite3.Connection, account: str, folder: str, cursor: dict, now: datetime
) -> None:
    conn.execute(
        "INSERT INTO sync_state (account, folder, cursor, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (account, folder) DO UPDATE SET cursor = excluded.cursor,"
        " updated_at = excluded.updated_at",
        (account, folder, canonical_json(cursor), to_iso(now)),
    )


def load_cursors(conn: sqlite3.Connection, account: str) -> dict[str, dict]:
    """The account's cursors by folder."""
    return {
        folder: json.loads(cursor)
        for folder, cursor in conn.execute(
            "SELECT folder, cursor FROM sync_state WHERE account = ?", (account,)
        )
    }


def record_status(
    conn: sqlite3.Connection,
    account: str,
    state: str,
    now: datetime,
    error: str | None,
    counts: tuple[int, int],
) -> None:
    """One pass over the account: its state and error now, a success when `error` is None, and
    `counts` (pulled, sent) added to the account's totals."""
    conn.execute(
        "INSERT INTO sync_status (account, state, last_attempt_at, last_success_at, last_error,"
        " pulled, sent) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET"
        " state = excluded.state, last_attempt_at = excluded.last_attempt_at,"
        " last_success_at = COALESCE(excluded.last_success_at, sync_status.last_success_at),"
        " last_error = excluded.last_error, pulled = sync_status.pulled + excluded.pulled,"
        " sent = sync_status.sent + excluded.sent",
        (account, state, to_iso(now), to_iso(now) if error is None else None, error, *counts),
    )
