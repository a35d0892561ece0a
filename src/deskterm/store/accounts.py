"""The `accounts` table: accounts as domain.Account records, and storing a new or replaced one."""

from __future__ import annotations

import json
import sqlite3

from deskterm.domain import Account, to_iso, utcnow
from deskterm.store import Store

# The columns account_of reads, in its order.
COLUMNS = "name, connector, channel, address, settings, enabled"


def account_of(row: tuple) -> Account:
    """A COLUMNS row as its record, the settings decoded."""
    name, connector, channel, address, settings, enabled = row
    return Account(name, connector, channel, address, json.loads(settings or "{}"), bool(enabled))


def accounts(conn: sqlite3.Connection, *, enabled_only: bool = False) -> list[Account]:
    """Every account (or every enabled one) by name."""
    where = " WHERE enabled = 1" if enabled_only else ""
    rows = conn.execute(f"SELECT {COLUMNS} FROM accounts{where} ORDER BY name")
    return [account_of(row) for row in rows]


def account(store: Store, name: str) -> Account | None:
    """The account named `name`, enabled or not, or None."""
    row = store.conn.execute(f"SELECT {COLUMNS} FROM accounts WHERE name = ?", (name,)).fetchone()
    return account_of(row) if row else None


def save_account(
    store: Store, name: str, *, connector: str, channel: str, address: str, settings: dict
) -> None:
    """Store the account `name`, replacing the connector, address and settings of one that exists."""
    with store.tx() as conn:
        write_account(
            conn,
            name,
            connector=connector,
            channel=channel,
            address=address,
            settings=settings,
            created_at=to_iso(utcnow()),
        )


def write_account(
    conn: sqlite3.Connection,
    name: str,
    *,
    connector: str,
    channel: str,
    address: str,
    settings: dict,
    created_at: str,
) -> None:
    """save_account on the caller's open transaction, with the moment a new account is created."""
    conn.execute(
        "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
        " connector = excluded.connector, address = excluded.address,"
        " settings = excluded.settings",
        (name, connector, channel, address, json.dumps(settings), created_at),
    )


def message_sources(store: Store, account: str) -> set[str]:
    """Where the stored messages of `account` were read from, for those read from a file."""
    rows = store.conn.execute(
        "SELECT raw_path FROM messages WHERE account = ? AND raw_path LIKE '/%'", (account,)
    )
    return {row[0] for row in rows}
