"""Amazon orders (Orders API v2026-01-01) as deskterm order snapshots.

The buyer email Amazon gives for a merchant-fulfilled order is the same anonymised relay address
the buyer's messages come from, so it is the identity that joins relay mail, the customer and the
order. Amazon-fulfilled orders carry no buyer email; they stay with a customer of their own.
"""

from __future__ import annotations

from datetime import datetime

from deskterm.domain import Address, Fulfillment, Identity, OrderSnapshot, from_iso

from .regions import MARKETPLACES


def _moment(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _window_end(fulfillment: dict, key: str) -> datetime | None:
    return _moment((fulfillment.get(key) or {}).get("latestDateTime"))


def _address(recipient: dict) -> Address | None:
    found = recipient.get("deliveryAddress")
    if not found:
        return None
    first, _, last = (found.get("name") or "").rpartition(" ")
    return Address(
        first_name=first or last,
        last_name=last if first else "",
        company=found.get("companyName", ""),
        address1=found.get("addressLine1", ""),
        address2=" ".join(p for p in (found.get("addressLine2"), found.get("addressLine3")) if p),
        city=found.get("city", ""),
        province=found.get("stateOrRegion", ""),
        zip=found.get("postalCode", ""),
        country=found.get("countryCode", ""),
        phone=found.get("phone", ""),
    )


def _package(package: dict, order_changed: datetime | None) -> Fulfillment:
    status = package.get("packageStatus") or {}
    state = (status.get("status") or "").lower()
    return Fulfillment(
        external_id=package["packageReferenceId"],
        status=state,
        delivery=(status.get("detailedStatus") or state).lower(),
        carrier=package.get("carrier", ""),
        number=package.get("trackingNumber", ""),
        shipped_at=_moment(package.get("shipTime")),
        # Amazon gives no delivery time: the order's last change after delivery is the nearest.
        delivered_at=order_changed if state == "delivered" else None,
    )


def _items(order: dict) -> tuple[dict, ...]:
    items = []
    for item in order.get("orderItems") or []:
        product = item.get("product") or {}
        price = ((product.get("price") or {}).get("unitPrice") or {}).get("amount", "")
        items.append(
            {
                "id": item.get("orderItemId", ""),
                "title": product.get("title", ""),
                "sku": product.get("sellerSku", ""),
                "quantity": item.get("quantityOrdered", 0),
                "price": price,
            }
        )
    return tuple(items)


def snapshot(account: str, order: dict) -> OrderSnapshot:
    """The deskterm view of one order as searchOrders or getOrder returned it."""
    order_id = order["orderId"]
    buyer = order.get("buyer") or {}
    email = (buyer.get("buyerEmail") or "").strip().lower()
    customer = Identity("email", email) if email else Identity("amazon-order", order_id)
    fulfillment = order.get("fulfillment") or {}
    grand_total = (order.get("proceeds") or {}).get("grandTotal") or {}
    changed = _moment(order.get("lastUpdatedTime"))
    packages = tuple(_package(p, changed) for p in order.get("packages") or [])
    latest = max(
        packages, key=lambda p: p.shipped_at.timestamp() if p.shipped_at else 0.0, default=None
    )
    market = MARKETPLACES.get((order.get("salesChannel") or {}).get("marketplaceId", ""))
    return OrderSnapshot(
        account=account,
        external_id=order_id,
        number=order_id,
        customer=customer,
        customer_name=buyer.get("buyerName", ""),
        identities=(customer,),
        status=(fulfillment.get("fulfillmentStatus") or "").lower(),
        fulfillment_status=latest.delivery if latest else "",
        placed_at=from_iso(order["createdTime"]),
        changed_at=changed,
        total=grand_total.get("amount", "0.00"),
        currency=grand_total.get("currencyCode", ""),
        items=_items(order),
        shipping_address=_address(order.get("recipient") or {}),
        fulfillments=packages,
        carrier=latest.carrier if latest else "",
        tracking_number=latest.number if latest else "",
        ship_by=_window_end(fulfillment, "shipByWindow"),
        deliver_by=_window_end(fulfillment, "deliverByWindow"),
        admin_url=f"{market.seller_central}/orders-v3/order/{order_id}" if market else "",
    )
