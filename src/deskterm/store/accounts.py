"""The `accounts` table: one account by name, and storing a new or replaced one."""

from __future__ import annotations

import json
from typing import Any

from deskterm.domain import to_iso, utcnow
from deskterm.store import Store


def account(store: Store, name: str) -> dict | None:
    """The account row named `name` as a dict (settings still JSON text), or None."""
    cur = store.conn.execute("SELECT * FROM accounts WHERE name = ?", (name,))
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def settings_of(row: dict | None) -> dict[str, Any]:
    return json.loads(row["settings"] or "{}") if row else {}


def save_account(
    store: Store, name: str, *, connector: str, channel: str, address: str, settings: dict
) -> None:
    """Store the account `name`, replacing the connector, address and settings of one that exists."""
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
            " connector = excluded.connector, address = excluded.address,"
            " settings = excluded.settings",
            (name, connector, channel, address, json.dumps(settings), to_iso(utcnow())),
        )


def message_sources(store: Store, account: str) -> set[str]:
    """Where the stored messages of `account` were read from, for those read from a file."""
    rows = store.conn.execute(
        "SELECT raw_path FROM messages WHERE account = ? AND raw_path LIKE '/%'", (account,)
    )
    return {row[0] for row in rows}
