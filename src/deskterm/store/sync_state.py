"""Where each account's sync stands: the connector's cursor per folder (sync_state), saved in the
transaction of the batch it follows."""

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
