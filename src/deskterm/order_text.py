"""An order from the store as lines of text, the same for the CLI and the TUI.

Pure: a stored order (store.orders rows, JSON already decoded) and its buyer's profile in, lines
with a style name out ("bold", "dim", "link", "warn" or ""). Customer and shop text stays plain
text: callers print it without reading markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from deskterm.domain import from_iso


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    style: str = ""


def _day(text: str | None, zone: tzinfo) -> str:
    return from_iso(text).astimezone(zone).strftime("%d %b %Y") if text else ""


def _words(value: str) -> str:
    return value.replace("_", " ")


def address_text(address: dict[str, Any] | None) -> str:
    if not address:
        return "(no shipping address)"
    name = " ".join(filter(None, [address.get("first_name"), address.get("last_name")]))
    town = " ".join(filter(None, [address.get("zip"), address.get("city")]))
    parts = [name, address.get("company"), address.get("address1"), address.get("address2")]
    parts += [town, address.get("province"), address.get("country"), address.get("phone")]
    return ", ".join(p for p in parts if p)


def refunded_total(order: dict[str, Any]) -> str:
    total = Decimal(0)
    for refund in order.get("refunds") or ():
        try:
            total += Decimal(str(refund.get("amount") or 0))
        except InvalidOperation:
            continue
    return f"{total:.2f}"


def headline(order: dict[str, Any]) -> str:
    """`#1042 · open · paid · fulfilled · 83.80 EUR`: one line for lists."""
    states = [order["status"], order.get("financial_status"), order.get("fulfillment_status")]
    parts = [order["number"], *(_words(s) for s in states if s)]
    return " · ".join([*parts, f"{order['total']} {order['currency']}"])


def promise(order: dict[str, Any], zone: tzinfo) -> str:
    """'ship by 27 Nov · deliver by 30 Nov': what a marketplace promised the buyer, if it did."""
    return " · ".join(
        f"{what} {from_iso(order[key]).astimezone(zone).strftime('%d %b')}"
        for key, what in (("ship_by", "ship by"), ("deliver_by", "deliver by"))
        if order.get(key)
    )


def _items(order: dict[str, Any]) -> list[Line]:
    lines = []
    for item in order.get("items") or ():
        title = item.get("title", "")
        if item.get("variant"):
            title += f" ({item['variant']})"
        text = f"  {item.get('quantity', 1)} × {title}"
        if item.get("price"):
            text += f"  {item['price']}"
        refundable = item.get("refundable")
        if refundable is not None and refundable < item.get("quantity", 0):
            text += f"  · {item['quantity'] - refundable} refunded"
        lines.append(Line(text))
    return lines


def _shipments(order: dict[str, Any], zone: tzinfo) -> list[Line]:
    lines = []
    for shipment in order.get("fulfillments") or ():
        state = _words(shipment.get("delivery") or shipment.get("status") or "")
        tracked = " ".join(filter(None, [shipment.get("carrier"), shipment.get("number")]))
        parts = [tracked or "no tracking", state]
        shipped = _day(shipment.get("shipped_at"), zone)
        if shipped:
            parts.append(f"shipped {shipped}")
        lines.append(Line("  " + " · ".join(p for p in parts if p)))
        if shipment.get("url"):
            lines.append(Line("  " + shipment["url"], "link"))
    if not lines and order.get("tracking_number"):
        lines.append(Line(f"  {order.get('carrier', '')} {order['tracking_number']}".rstrip()))
        if order.get("tracking_url"):
            lines.append(Line("  " + order["tracking_url"], "link"))
    return lines


def _refunds(order: dict[str, Any], zone: tzinfo) -> list[Line]:
    lines = []
    for refund in order.get("refunds") or ():
        text = f"  {refund['amount']} {refund['currency']} · {_day(refund.get('created_at'), zone)}"
        if refund.get("note"):
            text += f" · {refund['note']}"
        lines.append(Line(text))
    return lines


def profile_lines(profile: dict[str, Any]) -> list[Line]:
    """The buyer as the shop knows them: lifetime orders and spend, tags, note."""
    lines = [
        Line(
            f"{profile['name'] or 'customer'} · {profile['orders_count']} orders · "
            f"{profile['amount_spent']} {profile['currency']} spent"
        )
    ]
    if profile.get("tags"):
        lines.append(Line("tags " + ", ".join(profile["tags"]), "dim"))
    if profile.get("note"):
        lines.append(Line("note " + " ".join(profile["note"].split()), "dim"))
    return lines


def order_lines(order: dict[str, Any], profile: dict[str, Any] | None, zone: tzinfo) -> list[Line]:
    """The order in full: states, items, address, shipments, refunds, note, tags, pages, buyer."""
    lines = [Line(headline(order), "bold"), Line(f"placed {_day(order['placed_at'], zone)}", "dim")]
    if promise(order, zone):
        lines.append(Line(promise(order, zone), "dim"))
    if order["status"] == "cancelled":
        lines.append(Line("cancelled", "warn"))
    lines += [Line("Items", "bold"), *_items(order)]
    lines += [Line("Ship to", "bold"), Line("  " + address_text(order.get("shipping_address")))]
    shipments = _shipments(order, zone)
    if shipments:
        lines += [Line("Shipments", "bold"), *shipments]
    refunds = _refunds(order, zone)
    if refunds:
        lines += [Line(f"Refunds ({refunded_total(order)} {order['currency']})", "bold"), *refunds]
    if order.get("note"):
        lines += [Line("Note", "bold"), Line("  " + " ".join(order["note"].split()))]
    if order.get("tags"):
        lines.append(Line("tags " + ", ".join(order["tags"]), "dim"))
    for label, key in (("status page", "status_url"), ("admin", "admin_url")):
        if order.get(key):
            lines.append(Line(f"{label} {order[key]}", "link"))
    if profile:
        lines += [Line("Buyer", "bold"), *profile_lines(profile)]
    return lines
