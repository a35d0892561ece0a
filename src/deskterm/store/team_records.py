"""The replica's side of the team's shared records (orders, customer profiles, accounts, sync
cursors) in SQL: which changed here since the last push, and each one's local row by its global
key.

Triggers (store.migrations.latest, V26 and V31) note every write to those tables in `team_changed` while the
file is a team replica; a push sends them and forgets them, and folding in the team's version of
a record forgets the note its own write left.
"""

from __future__ import annotations

import json
import sqlite3

from deskterm.store import accounts

ORDER, PROFILE, ACCOUNT, CURSOR = "order", "profile", "account", "cursor"
POLICY = "policy"  # the team's SLA settings (deskterm.team.policy), written on purpose only
SEEN = "seen"  # a customer message an agent read here (deskterm.mailbox.mark_read)
# Account settings that name places on this machine: they stay as each machine has them.
MACHINE_SETTINGS = ("data_dir",)


def changed(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(kind, local key) of every record written here since the last push."""
    return conn.execute("SELECT kind, key FROM team_changed ORDER BY kind, key").fetchall()


def note(conn: sqlite3.Connection, kind: str, key: str) -> None:
    """Note a record written here that no trigger notes (the team's SLA policy)."""
    conn.execute("INSERT OR IGNORE INTO team_changed VALUES (?, ?)", (kind, key))


def note_read(conn: sqlite3.Connection, message_rows: list[int]) -> None:
    """Note customer messages an agent read here, in a team replica only (elsewhere no-op)."""
    conn.execute(
        "INSERT OR IGNORE INTO team_changed SELECT 'seen', CAST(value AS TEXT)"
        " FROM json_each(?) WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'team.url')",
        (json.dumps(message_rows),),
    )


def message_key(conn: sqlite3.Connection, message_row: int) -> str | None:
    """A message's global key: its account and the channel's id, as JSON."""
    row = conn.execute(
        "SELECT json_array(account, external_id) FROM messages WHERE id = ?", (message_row,)
    ).fetchone()
    return row[0] if row else None


def forget(conn: sqlite3.Connection, notes: list[tuple[str, str]]) -> None:
    conn.executemany("DELETE FROM team_changed WHERE kind = ? AND key = ?", notes)


def note_all(conn: sqlite3.Connection) -> None:
    """Note every record as changed (a workspace being published to a team)."""
    conn.execute("INSERT OR IGNORE INTO team_changed SELECT 'order', id FROM orders")
    conn.execute(
        "INSERT OR IGNORE INTO team_changed"
        " SELECT 'profile', json_array(account, external_id) FROM customer_profiles"
    )
    conn.execute("INSERT OR IGNORE INTO team_changed SELECT 'account', name FROM accounts")
    conn.execute(
        "INSERT OR IGNORE INTO team_changed SELECT 'cursor', json_array(account, folder)"
        " FROM sync_state"
    )


def order_key(conn: sqlite3.Connection, order_id: int) -> str | None:
    """An order's global key: its account and the channel's id, as JSON."""
    row = conn.execute(
        "SELECT json_array(account, external_id) FROM orders WHERE id = ?", (order_id,)
    ).fetchone()
    return row[0] if row else None


def order_id(conn: sqlite3.Connection, key: str) -> int | None:
    account, external_id = json.loads(key)
    row = conn.execute(
        "SELECT id FROM orders WHERE account = ? AND external_id = ?", (account, external_id)
    ).fetchone()
    return row[0] if row else None


def profile_record(conn: sqlite3.Connection, key: str) -> dict | None:
    """What an account knows of a customer (key: [account, external id] as JSON) as the team
    shares it: the profile's columns but this replica's customer id, and every identity of that
    customer (ingest linked the profile's own to it), so each replica links them alike."""
    account, external_id = json.loads(key)
    row = conn.execute(
        "SELECT customer_id, name, orders_count, amount_spent, currency, tags, note, admin_url,"
        " changed_at, updated_at FROM customer_profiles WHERE account = ? AND external_id = ?",
        (account, external_id),
    ).fetchone()
    if row is None:
        return None
    customer_id, name, count, spent, currency, tags, note, url, changed_at, stored_at = row
    identities = conn.execute(
        "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY kind, value",
        (customer_id,),
    ).fetchall()
    return {
        "name": name,
        "identities": [list(identity) for identity in identities],
        "orders_count": count,
        "amount_spent": spent,
        "currency": currency,
        "tags": json.loads(tags),
        "note": note,
        "admin_url": url,
        "changed_at": changed_at,
        "stored_at": stored_at,
    }


def account_record(conn: sqlite3.Connection, name: str) -> dict | None:
    """An account as the team shares it: everything but the settings that are this machine's
    (secrets are never in the store: each machine keeps its own in its keyring)."""
    row = conn.execute(
        f"SELECT {accounts.COLUMNS} FROM accounts WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        return None
    found = accounts.account_of(row)
    settings = {k: v for k, v in found.settings.items() if k not in MACHINE_SETTINGS}
    return {
        "connector": found.connector,
        "channel": found.channel,
        "address": found.address,
        "settings": settings,
        "enabled": found.enabled,
    }


def write_account(conn: sqlite3.Connection, name: str, record: dict, at: str) -> None:
    """Store the team's version of account `name`, keeping this machine's own settings."""
    row = conn.execute("SELECT settings FROM accounts WHERE name = ?", (name,)).fetchone()
    mine = json.loads(row[0]) if row else {}
    settings = record["settings"] | {k: mine[k] for k in MACHINE_SETTINGS if k in mine}
    conn.execute(
        "INSERT INTO accounts (name, connector, channel, address, settings, enabled, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
        " connector = excluded.connector, channel = excluded.channel,"
        " address = excluded.address, settings = excluded.settings, enabled = excluded.enabled",
        (
            name,
            record["connector"],
            record["channel"],
            record["address"],
            json.dumps(settings),
            int(record["enabled"]),
            at,
        ),
    )


def cursor_record(conn: sqlite3.Connection, key: str) -> dict | None:
    """A sync cursor by its key ([account, folder] as JSON)."""
    account, folder = json.loads(key)
    row = conn.execute(
        "SELECT cursor FROM sync_state WHERE account = ? AND folder = ?", (account, folder)
    ).fetchone()
    return json.loads(row[0]) if row else None
