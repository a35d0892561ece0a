"""Orders and customer profiles in the store, the same for every channel: writes and reads.

Nested parts of an order (items, fulfillments, refunds, the shipping address, tags) are stored as
JSON and read back into domain.Order with the snapshot's records; the order's own moments stay
text as everywhere in the store.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from deskterm.domain import (
    Address,
    BuyerProfile,
    CustomerProfile,
    Fulfillment,
    Identity,
    Order,
    OrderSnapshot,
    Refund,
    from_iso,
    to_iso,
)
from deskterm.store import Store


def _moment(value: object) -> str:
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json(value: Any) -> str:
    return json.dumps(value, default=_moment, ensure_ascii=False)


def _optional_iso(moment: datetime | None) -> str | None:
    return to_iso(moment) if moment is not None else None


# The columns save_order writes, in the order of _order_values.
_ORDER_COLUMNS = (
    "account",
    "external_id",
    "number",
    "customer_id",
    "status",
    "fulfillment_status",
    "total",
    "currency",
    "placed_at",
    "carrier",
    "tracking_number",
    "tracking_url",
    "items",
    "updated_at",
    "financial_status",
    "note",
    "tags",
    "shipping_address",
    "fulfillments",
    "refunds",
    "status_url",
    "admin_url",
    "customer_ref",
    "changed_at",
    "ship_by",
    "deliver_by",
)
# A known order (by account and external id) takes the new values, but keeps its customer.
_UPSERT_ORDER = (
    f"INSERT INTO orders ({', '.join(_ORDER_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_ORDER_COLUMNS))})"
    " ON CONFLICT (account, external_id) DO UPDATE SET "
    + ", ".join(
        "customer_id = COALESCE(orders.customer_id, excluded.customer_id)"
        if column == "customer_id"
        else f"{column} = excluded.{column}"
        for column in _ORDER_COLUMNS[2:]
    )
    + " RETURNING id"
)


def _order_values(order: OrderSnapshot, customer_id: int | None, at: str) -> tuple:
    """`order` as the row _ORDER_COLUMNS names."""
    return (
        order.account,
        order.external_id,
        order.number,
        customer_id,
        order.status,
        order.fulfillment_status,
        order.total,
        order.currency,
        to_iso(order.placed_at),
        order.carrier,
        order.tracking_number,
        order.tracking_url,
        _json(list(order.items)),
        at,
        order.financial_status,
        order.note,
        _json(list(order.tags)),
        _json(asdict(order.shipping_address)) if order.shipping_address else None,
        _json([asdict(f) for f in order.fulfillments]),
        _json([asdict(r) for r in order.refunds]),
        order.status_url,
        order.admin_url,
        order.customer_ref or None,
        _optional_iso(order.changed_at),
        _optional_iso(order.ship_by),
        _optional_iso(order.deliver_by),
    )


def save_order(
    conn: sqlite3.Connection,
    order: OrderSnapshot,
    identities: Iterable[Identity],
    customer_id: int | None,
    at: str,
) -> int:
    """Insert or update one order (by account and external id) with the identities it names.

    A known order keeps the customer it was first linked to; its identities are replaced.
    """
    order_id: int = conn.execute(_UPSERT_ORDER, _order_values(order, customer_id, at)).fetchone()[0]
    conn.execute("DELETE FROM order_identities WHERE order_id = ?", (order_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO order_identities (kind, value, order_id) VALUES (?, ?, ?)",
        [(i.kind, i.value, order_id) for i in identities],
    )
    return order_id


def save_profile(
    conn: sqlite3.Connection, profile: CustomerProfile, customer_id: int | None, at: str
) -> None:
    """Insert or update what one account knows of a customer, lifetime figures included."""
    conn.execute(
        "INSERT INTO customer_profiles (account, external_id, customer_id, name, orders_count,"
        " amount_spent, currency, tags, note, admin_url, changed_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (account, external_id) DO UPDATE SET"
        " customer_id = COALESCE(customer_profiles.customer_id, excluded.customer_id),"
        " name = excluded.name, orders_count = excluded.orders_count,"
        " amount_spent = excluded.amount_spent, currency = excluded.currency,"
        " tags = excluded.tags, note = excluded.note, admin_url = excluded.admin_url,"
        " changed_at = excluded.changed_at, updated_at = excluded.updated_at",
        (
            profile.account,
            profile.external_id,
            customer_id,
            profile.name,
            profile.orders_count,
            profile.amount_spent,
            profile.currency,
            _json(list(profile.tags)),
            profile.note,
            profile.admin_url,
            _optional_iso(profile.changed_at),
            at,
        ),
    )


def _json_column(text: str | None, empty: list | None) -> Any:
    return json.loads(text) if text else empty


def _when(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _fulfillment(part: dict[str, Any]) -> Fulfillment:
    return Fulfillment(
        **{
            **part,
            "shipped_at": _when(part.get("shipped_at")),
            "delivered_at": _when(part.get("delivered_at")),
        }
    )


def _refund(part: dict[str, Any]) -> Refund:
    return Refund(
        **{
            **part,
            "created_at": from_iso(part["created_at"]),
            "items": tuple(part.get("items") or ()),
        }
    )


def _order(record: dict[str, Any]) -> Order:
    """An orders row (by column name) as its record, the JSON columns decoded."""
    address = _json_column(record["shipping_address"], None)
    return Order(
        **{
            **record,
            "items": tuple(_json_column(record["items"], [])),
            "tags": tuple(_json_column(record["tags"], [])),
            "shipping_address": Address(**address) if address else None,
            "fulfillments": tuple(map(_fulfillment, _json_column(record["fulfillments"], []))),
            "refunds": tuple(map(_refund, _json_column(record["refunds"], []))),
        }
    )


def _plain(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: to_iso(v) if isinstance(v, datetime) else v for key, v in pairs}


def as_json(record: Order | BuyerProfile) -> dict[str, Any]:
    """The record as its row reads in JSON: columns in table order, nested parts as objects."""
    return asdict(record, dict_factory=_plain)


def _orders(store: Store, sql: str, params: tuple) -> list[Order]:
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [_order(dict(zip(names, row, strict=True))) for row in cursor]


def orders_for_customer(store: Store, customer_id: int, limit: int = 50) -> list[Order]:
    """The customer's orders, newest first: linked to them, or naming any of their identities."""
    return _orders(
        store,
        "SELECT * FROM orders WHERE customer_id = ?1"
        " UNION SELECT o.* FROM identities i JOIN order_identities oi"
        " ON oi.kind = i.kind AND oi.value = i.value JOIN orders o ON o.id = oi.order_id"
        " WHERE i.customer_id = ?1"
        " ORDER BY placed_at DESC, id DESC LIMIT ?2",
        (customer_id, limit),
    )


def orders_of_customer_and_ticket(
    store: Store, customer_id: int, linked: int | None
) -> list[Order]:
    """The customer's orders, newest first, and the ticket's linked order first when it is not one
    of them (a mail naming an order from an address the shop does not know for its buyer)."""
    orders = orders_for_customer(store, customer_id)
    if linked is not None and all(order.id != linked for order in orders):
        orders[:0] = _orders(store, "SELECT * FROM orders WHERE id = ?", (linked,))
    return orders


def recent_orders(store: Store, customer_id: int, limit: int) -> list[Order]:
    """The orders linked to the customer, newest first (not those only naming an identity)."""
    return _orders(
        store,
        "SELECT * FROM orders WHERE customer_id = ? ORDER BY placed_at DESC, id DESC LIMIT ?",
        (customer_id, limit),
    )


def order_by_id(store: Store, order_id: int) -> Order | None:
    found = _orders(store, "SELECT * FROM orders WHERE id = ?", (order_id,))
    return found[0] if found else None


def orders_by_number(store: Store, number: str, account: str | None = None) -> list[Order]:
    """Orders numbered `number` ("#1042" or "1042"), newest first, on one account or any."""
    wanted = number.strip()
    candidates = {wanted, "#" + wanted.lstrip("#"), wanted.lstrip("#")}
    placeholders = ", ".join("?" for _ in candidates)
    sql = f"SELECT * FROM orders WHERE number IN ({placeholders})"
    params: tuple = tuple(candidates)
    if account is not None:
        sql += " AND account = ?"
        params += (account,)
    return _orders(store, sql + " ORDER BY placed_at DESC, id DESC", params)


def order_by_external_id(store: Store, account: str, external_id: str) -> Order | None:
    found = _orders(
        store,
        "SELECT * FROM orders WHERE account = ? AND external_id = ?",
        (account, external_id),
    )
    return found[0] if found else None


def profile(store: Store, account: str, external_id: str) -> BuyerProfile | None:
    """What `account` knows of one of its customers (lifetime figures), or None."""
    cursor = store.conn.execute(
        "SELECT * FROM customer_profiles WHERE account = ? AND external_id = ?",
        (account, external_id),
    )
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    if row is None:
        return None
    record = dict(zip(names, row, strict=True))
    return BuyerProfile(**{**record, "tags": tuple(_json_column(record["tags"], []))})


def orders_of_ticket(store: Store, ticket_id: int) -> list[Order]:
    """An order per account: the ticket's linked order first, then the customer's latest of each
    other account."""
    ticket = store.conn.execute(
        "SELECT customer_id, order_id FROM tickets WHERE id = ?", (ticket_id,)
    ).fetchone()
    if ticket is None:
        return []
    linked = order_by_id(store, ticket[1]) if ticket[1] else None
    found: dict[str, Order] = {linked.account: linked} if linked else {}
    for order in orders_for_customer(store, ticket[0]):
        found.setdefault(order.account, order)
    return list(found.values())


def ticket_for_order(store: Store, order: Order) -> int | None:
    """The ticket an action on `order` belongs in: the newest linked to it, else its buyer's."""
    for sql, value in (("order_id = ?", order.id), ("customer_id = ?", order.customer_id)):
        found = store.conn.execute(
            f"SELECT id FROM tickets WHERE {sql} AND merged_into IS NULL"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (value,),
        ).fetchone()
        if found:
            return found[0]
    return None


def fetched_at(store: Store, account: str, customer_id: int) -> str | None:
    found = store.conn.execute(
        "SELECT fetched_at FROM order_fetches WHERE account = ? AND customer_id = ?",
        (account, customer_id),
    ).fetchone()
    return found[0] if found else None


def mark_fetched(conn: sqlite3.Connection, account: str, customer_id: int, at: datetime) -> None:
    conn.execute(
        "INSERT INTO order_fetches (account, customer_id, fetched_at) VALUES (?, ?, ?)"
        " ON CONFLICT (account, customer_id) DO UPDATE SET fetched_at = excluded.fetched_at",
        (account, customer_id, to_iso(at)),
    )


def snapshot_of(conn: sqlite3.Connection, order_id: int) -> tuple[OrderSnapshot, str]:
    """The stored order as the channel's snapshot that stores it so again (its buyer, every
    identity it names), and when it was stored: what another replica needs to store it too."""
    cursor = conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,))
    names = [d[0] for d in cursor.description]
    order = _order(dict(zip(names, cursor.fetchone(), strict=True)))
    identities = [
        Identity(kind, value)
        for kind, value in conn.execute(
            "SELECT kind, value FROM order_identities WHERE order_id = ? ORDER BY kind, value",
            (order_id,),
        )
    ]
    name = conn.execute("SELECT name FROM customers WHERE id = ?", (order.customer_id,)).fetchone()
    buyer = identities[0] if identities else Identity("email", "")
    snapshot = OrderSnapshot(
        account=order.account,
        external_id=order.external_id,
        number=order.number,
        customer=buyer,
        status=order.status,
        placed_at=from_iso(order.placed_at),
        total=order.total,
        currency=order.currency,
        fulfillment_status=order.fulfillment_status,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        tracking_url=order.tracking_url,
        items=order.items,
        customer_name=name[0] if name else "",
        identities=tuple(identities[1:]),
        financial_status=order.financial_status,
        note=order.note,
        tags=order.tags,
        shipping_address=order.shipping_address,
        fulfillments=order.fulfillments,
        refunds=order.refunds,
        status_url=order.status_url,
        admin_url=order.admin_url,
        customer_ref=order.customer_ref or "",
        changed_at=_when(order.changed_at),
        ship_by=_when(order.ship_by),
        deliver_by=_when(order.deliver_by),
    )
    return snapshot, order.updated_at


def snapshot_json(snapshot: OrderSnapshot) -> dict[str, Any]:
    """An order snapshot as plain JSON (moments as ISO text)."""
    return json.loads(_json(asdict(snapshot)))


def snapshot_from_json(data: dict[str, Any]) -> OrderSnapshot:
    """The snapshot snapshot_json wrote."""
    address = data.get("shipping_address")
    return OrderSnapshot(
        **{
            **data,
            "customer": Identity(**data["customer"]),
            "placed_at": from_iso(data["placed_at"]),
            "items": tuple(data.get("items") or ()),
            "identities": tuple(Identity(**i) for i in data.get("identities") or ()),
            "tags": tuple(data.get("tags") or ()),
            "shipping_address": Address(**address) if address else None,
            "fulfillments": tuple(map(_fulfillment, data.get("fulfillments") or ())),
            "refunds": tuple(map(_refund, data.get("refunds") or ())),
            "changed_at": _when(data.get("changed_at")),
            "ship_by": _when(data.get("ship_by")),
            "deliver_by": _when(data.get("deliver_by")),
        }
    )
