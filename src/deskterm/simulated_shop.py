"""The demo's shop, simulated: the orders as the shop has them, in a SQLite file of its own beside
the demo workspace, changed only by the demo connector's order actions.

It plays Shopify's part for the demo: the workspace's `orders` table is deskterm's copy, fetched
again from here after an action, so the sidebar shows what the action did the way it shows a real
shop's answer. Each change is stored with its idempotency key in the same transaction, so one key
never changes an order twice (Shopify's `@idempotent`), and a retry gets the first outcome back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from deskterm.domain import (
    Address,
    Fulfillment,
    Identity,
    OrderSnapshot,
    Refund,
    from_iso,
    to_iso,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (number TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS buyers (identity TEXT NOT NULL, number TEXT NOT NULL,
    PRIMARY KEY (identity, number));
CREATE TABLE IF NOT EXISTS changes (key TEXT PRIMARY KEY, action TEXT NOT NULL,
    outcome TEXT NOT NULL);
"""
MOMENTS = ("placed_at", "changed_at", "ship_by", "deliver_by")

# What a change returns: the order as it is afterwards, and the outcome to keep under its key.
Change = Callable[[OrderSnapshot], tuple[OrderSnapshot, dict[str, Any]]]
# What a change that makes a new order (a replacement) returns besides: that order.
Making = Callable[[OrderSnapshot], tuple[OrderSnapshot, OrderSnapshot, dict[str, Any]]]


class ShopRefused(Exception):
    """The simulated shop refused: the order is unknown, or the change cannot be made."""


def path_beside(db: Path) -> Path:
    """Where a workspace's simulated shop lives: demo.db -> demo-shop.db."""
    return db.with_name(f"{db.stem}-shop{db.suffix}")


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"{type(value).__name__} is not stored by the simulated shop")


def encode(order: OrderSnapshot) -> str:
    return json.dumps(asdict(order), default=_json, ensure_ascii=False)


def _moment(value: str | None) -> datetime | None:
    return from_iso(value) if value else None


def decode(text: str) -> OrderSnapshot:
    data = json.loads(text)
    for name in MOMENTS:
        data[name] = _moment(data[name])
    data["customer"] = Identity(**data["customer"])
    data["identities"] = tuple(Identity(**i) for i in data["identities"])
    data["items"] = tuple(data["items"])
    data["tags"] = tuple(data["tags"])
    address = data["shipping_address"]
    data["shipping_address"] = Address(**address) if address else None
    data["fulfillments"] = tuple(
        Fulfillment(
            **{
                **f,
                "shipped_at": _moment(f["shipped_at"]),
                "delivered_at": _moment(f["delivered_at"]),
            }
        )
        for f in data["fulfillments"]
    )
    data["refunds"] = tuple(
        Refund(**{**r, "created_at": from_iso(r["created_at"]), "items": tuple(r["items"])})
        for r in data["refunds"]
    )
    return OrderSnapshot(**data)


def _buyers(order: OrderSnapshot) -> set[str]:
    return {f"{i.kind}:{i.value.lower()}" for i in (order.customer, *order.identities)}


class SimulatedShop:
    """The shop's orders in the file at `path`; every method opens and closes its connection, so
    the TUI's workers and `sync --watch` may use the same file at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self, *, create: bool = False) -> sqlite3.Connection:
        if not create and not self.path.exists():
            raise ShopRefused(
                f"the demo shop's file {self.path} is missing; build the demo again (deskterm demo)"
            )
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def open_fresh(self, orders: Iterable[OrderSnapshot]) -> None:
        """Start the shop over with `orders` (a demo build)."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        with closing(self._connect(create=True)) as conn:
            conn.executescript(SCHEMA)
        self.stock(orders)

    def stock(self, orders: Iterable[OrderSnapshot]) -> None:
        """Add orders the shop does not have yet (new customers of the live demo)."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            for order in orders:
                _insert(conn, order)
            conn.execute("COMMIT")

    def order(self, number: str) -> OrderSnapshot:
        wanted = "#" + number.strip().lstrip("#")
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT data FROM orders WHERE number = ?", (wanted,)).fetchone()
        if row is None:
            raise ShopRefused(f"the demo shop has no order {wanted}")
        return decode(row[0])

    def orders_for(self, identities: Iterable[Identity]) -> list[OrderSnapshot]:
        """The orders of a buyer known by any of `identities`."""
        wanted = sorted({f"{i.kind}:{i.value.lower()}" for i in identities})
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT o.data FROM orders o WHERE o.number IN (SELECT number FROM buyers"
                " WHERE identity IN (SELECT value FROM json_each(?))) ORDER BY o.number",
                (json.dumps(wanted),),
            ).fetchall()
        return [decode(row[0]) for row in rows]

    def change(self, key: str, action: str, number: str, change: Change) -> dict[str, Any]:
        """Apply `change` to the order once per `key`: a key seen before returns its first
        outcome and changes nothing. ShopRefused from `change` leaves the order as it was."""

        def changing(order: OrderSnapshot) -> tuple[OrderSnapshot, OrderSnapshot | None, dict]:
            changed, outcome = change(order)
            return changed, None, outcome

        return self._apply(key, action, number, changing)

    def make(self, key: str, action: str, number: str, making: Making) -> dict[str, Any]:
        """Like `change`, but `making` also gives a new order for the same buyer (a
        replacement), stored in the same transaction."""
        return self._apply(key, action, number, making)

    def _apply(
        self,
        key: str,
        action: str,
        number: str,
        change: Callable[[OrderSnapshot], tuple[OrderSnapshot, OrderSnapshot | None, dict]],
    ) -> dict[str, Any]:
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                done = conn.execute("SELECT outcome FROM changes WHERE key = ?", (key,)).fetchone()
                if done is not None:
                    return dict(json.loads(done[0]))
                row = conn.execute(
                    "SELECT data FROM orders WHERE number = ?", ("#" + number.lstrip("#"),)
                ).fetchone()
                if row is None:
                    raise ShopRefused(f"the demo shop has no order #{number.lstrip('#')}")
                changed, made, outcome = change(decode(row[0]))
                conn.execute(
                    "UPDATE orders SET data = ? WHERE number = ?", (encode(changed), changed.number)
                )
                if made is not None:
                    _insert(conn, made)
                conn.execute(
                    "INSERT INTO changes (key, action, outcome) VALUES (?, ?, ?)",
                    (key, action, json.dumps(outcome, ensure_ascii=False)),
                )
                conn.execute("COMMIT")
                return outcome
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")


def _insert(conn: sqlite3.Connection, order: OrderSnapshot) -> None:
    """Store an order the shop does not have yet, with its buyers."""
    found = conn.execute(
        "INSERT OR IGNORE INTO orders (number, data) VALUES (?, ?)", (order.number, encode(order))
    )
    if found.rowcount:
        conn.executemany(
            "INSERT OR IGNORE INTO buyers (identity, number) VALUES (?, ?)",
            [(b, order.number) for b in _buyers(order)],
        )
