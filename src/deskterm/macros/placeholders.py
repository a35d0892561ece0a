"""The placeholders templates see for one ticket: ticket, customer, order(s), agent and shop, as
records of sanitized values with the empty ones left out (so they count as missing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from deskterm.actions import reply_subject
from deskterm.config import Config
from deskterm.content import sanitize
from deskterm.domain import Order, Ticket, from_iso
from deskterm.macros.model import MacroError
from deskterm.macros.templates import Record
from deskterm.metrics import surveys
from deskterm.store import Store, queries
from deskterm.store import metrics as store_metrics
from deskterm.store import orders as store_orders

MAX_ORDERS = 20


def _clean(value: Any, path: str) -> Any:
    """Untrusted values made safe to put in a reply; empties dropped so they count as missing."""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict):
        return _record(path, value)
    if isinstance(value, list):
        return [_clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _record(path: str, values: Mapping[str, Any]) -> Record:
    return Record(
        path,
        {
            key: _clean(value, f"{path}.{key}")
            for key, value in values.items()
            if value is not None and value != ""
        },
    )


def _order_record(path: str, order: Order) -> Record:
    return _record(
        path,
        {
            "number": order.number,
            "status": order.status,
            "fulfillment_status": order.fulfillment_status,
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "tracking_url": order.tracking_url,
            "total": order.total,
            "currency": order.currency,
            "items": list(order.items),
            "placed_at": from_iso(order.placed_at),
        },
    )


def _first_name(name: str) -> str | None:
    # An address or handle in the name field is not a name to greet anyone by.
    first = name.strip().split()[0] if name.strip() else ""
    return first if first and "@" not in first else None


def placeholders(
    store: Store, ticket_id: int, *, agent: str | None, config: Config
) -> dict[str, Any]:
    """The values templates see for one ticket; placeholders without a value are left out."""
    ticket = queries.ticket(store, ticket_id)
    if ticket is None:
        raise MacroError(f"there is no ticket #{ticket_id}")
    if ticket.merged_into is not None:
        raise MacroError(f"ticket #{ticket_id} was merged into #{ticket.merged_into}")
    name = ticket.customer_name
    email = next((i.value for i in ticket.identities if i.kind == "email"), None)
    orders = store_orders.recent_orders(store, ticket.customer_id, MAX_ORDERS)
    linked = (
        store_orders.order_by_id(store, ticket.order_id) if ticket.order_id is not None else None
    )
    order = linked or (orders[0] if orders else None)
    values: dict[str, Any] = {
        "ticket": _record(
            "ticket",
            {
                "id": ticket.id,
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": ticket.priority,
                "channel": ticket.channel,
                "assignee": ticket.assignee,
                "tags": list(ticket.tags),
            },
        ),
        "customer": _record(
            "customer",
            {
                "name": name,
                "first_name": _first_name(sanitize(name)),
                "email": email,
                "identities": [asdict(i) for i in ticket.identities],
            },
        ),
        "orders": [_order_record(f"orders[{i}]", o) for i, o in enumerate(orders)],
        "agent": _record("agent", {"name": agent if agent is not None else config.agent}),
        "shop": _record(
            "shop",
            {"name": config.shop.name, "url": config.shop.url, "signature": config.shop.signature},
        ),
    }
    if order is not None:
        values["order"] = _order_record("order", order)
    values["survey"] = _survey_record(store, ticket)
    return values


def _survey_record(store: Store, ticket: Ticket) -> Record:
    """The survey questions (metrics.surveys), their links answering to the ticket's account."""
    address = store_metrics.account_address(store.conn, ticket.account)
    address = address if "@" in address else ""
    subject = reply_subject(ticket.subject, ticket.id)
    return Record(
        "survey", {name: surveys.question(name, address, subject) for name in surveys.SCALES}
    )
