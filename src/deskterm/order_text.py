"""An order from the store as lines of text, the same for the CLI and the TUI.

Pure: a stored order (domain.Order) and its buyer's profile in, lines with a style name out
("bold", "dim", "link", "warn" or ""). Customer and shop text stays plain text: callers print it
without reading markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from deskterm.domain import Address, BuyerProfile, Order, from_iso


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    style: str = ""


def _day(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%d %b %Y") if moment else ""


def _words(value: str) -> str:
    return value.replace("_", " ")


def address_text(address: Address | None) -> str:
    if address is None:
        return "(no shipping address)"
    name = " ".join(filter(None, [address.first_name, address.last_name]))
    town = " ".join(filter(None, [address.zip, address.city]))
    parts = [name, address.company, address.address1, address.address2]
    parts += [town, address.province, address.country, address.phone]
    return ", ".join(p for p in parts if p)


def refunded_total(order: Order) -> str:
    total = Decimal(0)
    for refund in order.refunds:
        try:
            total += Decimal(str(refund.amount or 0))
        except InvalidOperation:
            continue
    return f"{total:.2f}"


def headline(order: Order) -> str:
    """`#1042 · open · paid · fulfilled · 83.80 EUR`: one line for lists."""
    states = [order.status, order.financial_status, order.fulfillment_status]
    parts = [order.number, *(_words(s) for s in states if s)]
    return " · ".join([*parts, f"{order.total} {order.currency}"])


def promise(order: Order, zone: tzinfo) -> str:
    """'ship by 27 Nov · deliver by 30 Nov': what a marketplace promised the buyer, if it did."""
    return " · ".join(
        f"{what} {from_iso(moment).astimezone(zone).strftime('%d %b')}"
        for moment, what in ((order.ship_by, "ship by"), (order.deliver_by, "deliver by"))
        if moment
    )


def _items(order: Order) -> list[Line]:
    lines = []
    for item in order.items:
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


def _shipments(order: Order, zone: tzinfo) -> list[Line]:
    lines = []
    for shipment in order.fulfillments:
        state = _words(shipment.delivery or shipment.status or "")
        tracked = " ".join(filter(None, [shipment.carrier, shipment.number]))
        parts = [tracked or "no tracking", state]
        shipped = _day(shipment.shipped_at, zone)
        if shipped:
            parts.append(f"shipped {shipped}")
        lines.append(Line("  " + " · ".join(p for p in parts if p)))
        if shipment.url:
            lines.append(Line("  " + shipment.url, "link"))
    if not lines and order.tracking_number:
        lines.append(Line(f"  {order.carrier} {order.tracking_number}".rstrip()))
        if order.tracking_url:
            lines.append(Line("  " + order.tracking_url, "link"))
    return lines


def _refunds(order: Order, zone: tzinfo) -> list[Line]:
    lines = []
    for refund in order.refunds:
        text = f"  {refund.amount} {refund.currency} · {_day(refund.created_at, zone)}"
        if refund.note:
            text += f" · {refund.note}"
        lines.append(Line(text))
    return lines


def profile_lines(profile: BuyerProfile) -> list[Line]:
    """The buyer as the shop knows them: lifetime orders and spend, tags, note."""
    lines = [
        Line(
            f"{profile.name or 'customer'} · {profile.orders_count} orders · "
            f"{profile.amount_spent} {profile.currency} spent"
        )
    ]
    if profile.tags:
        lines.append(Line("tags " + ", ".join(profile.tags), "dim"))
    if profile.note:
        lines.append(Line("note " + " ".join(profile.note.split()), "dim"))
    return lines


def order_lines(order: Order, profile: BuyerProfile | None, zone: tzinfo) -> list[Line]:
    """The order in full: states, items, address, shipments, refunds, note, tags, pages, buyer."""
    lines = [
        Line(headline(order), "bold"),
        Line(f"placed {_day(from_iso(order.placed_at), zone)}", "dim"),
    ]
    if promise(order, zone):
        lines.append(Line(promise(order, zone), "dim"))
    if order.status == "cancelled":
        lines.append(Line("cancelled", "warn"))
    lines += [Line("Items", "bold"), *_items(order)]
    lines += [Line("Ship to", "bold"), Line("  " + address_text(order.shipping_address))]
    shipments = _shipments(order, zone)
    if shipments:
        lines += [Line("Shipments", "bold"), *shipments]
    refunds = _refunds(order, zone)
    if refunds:
        lines += [Line(f"Refunds ({refunded_total(order)} {order.currency})", "bold"), *refunds]
    if order.note:
        lines += [Line("Note", "bold"), Line("  " + " ".join(order.note.split()))]
    if order.tags:
        lines.append(Line("tags " + ", ".join(order.tags), "dim"))
    for label, link in (("status page", order.status_url), ("admin", order.admin_url)):
        if link:
            lines.append(Line(f"{label} {link}", "link"))
    if profile:
        lines += [Line("Buyer", "bold"), *profile_lines(profile)]
    return lines
