"""Shopify's GraphQL orders and customers as deskterm's channel-neutral records."""

from __future__ import annotations

from datetime import datetime

from deskterm.domain import (
    Address,
    CustomerProfile,
    Fulfillment,
    Identity,
    OrderSnapshot,
    Refund,
    from_iso,
)


def admin_url(shop: str, gid: str, kind: str) -> str:
    """The order's or customer's page in the Shopify admin."""
    handle = shop.split(".", 1)[0]
    return f"https://admin.shopify.com/store/{handle}/{kind}/{gid.rsplit('/', 1)[-1]}"


def _moment(text: str | None) -> datetime | None:
    return from_iso(text.replace("Z", "+00:00")) if text else None


def _money(bag: dict | None) -> str:
    return str(((bag or {}).get("presentmentMoney") or {}).get("amount") or "0.00")


def _lower(value: str | None) -> str:
    return (value or "").lower()


def customer_identities(customer: dict | None) -> list[Identity]:
    """The email address, phone number and Shopify id a shop customer can be recognised by."""
    if not customer:
        return []
    found = []
    if (customer.get("defaultEmailAddress") or {}).get("emailAddress"):
        found.append(Identity("email", customer["defaultEmailAddress"]["emailAddress"]))
    if (customer.get("defaultPhoneNumber") or {}).get("phoneNumber"):
        found.append(Identity("phone", customer["defaultPhoneNumber"]["phoneNumber"]))
    found.append(Identity("shopify", customer["id"]))
    return found


def profile(account: str, shop: str, node: dict) -> CustomerProfile:
    spent = node.get("amountSpent") or {}
    return CustomerProfile(
        account=account,
        external_id=node["id"],
        name=node.get("displayName") or "",
        identities=tuple(customer_identities(node)),
        orders_count=int(node.get("numberOfOrders") or 0),
        amount_spent=str(spent.get("amount") or "0.00"),
        currency=str(spent.get("currencyCode") or "USD"),
        tags=tuple(node.get("tags") or ()),
        note=node.get("note") or "",
        admin_url=admin_url(shop, node["id"], "customers"),
        changed_at=_moment(node.get("updatedAt")),
    )


def _address(node: dict | None) -> Address | None:
    if not node:
        return None
    return Address(
        first_name=node.get("firstName") or "",
        last_name=node.get("lastName") or "",
        company=node.get("company") or "",
        address1=node.get("address1") or "",
        address2=node.get("address2") or "",
        city=node.get("city") or "",
        province=node.get("provinceCode") or "",
        zip=node.get("zip") or "",
        country=node.get("countryCodeV2") or "",
        phone=node.get("phone") or "",
    )


def _fulfillment(node: dict) -> Fulfillment:
    tracking = (node.get("trackingInfo") or [{}])[0] if node.get("trackingInfo") else {}
    return Fulfillment(
        external_id=node["id"],
        status=_lower(node.get("status")),
        delivery=_lower(node.get("displayStatus")),
        carrier=tracking.get("company") or "",
        number=tracking.get("number") or "",
        url=tracking.get("url") or "",
        shipped_at=_moment(node.get("createdAt")),
        delivered_at=_moment(node.get("deliveredAt")),
    )


def _refund(node: dict, currency: str) -> Refund:
    money = (node.get("totalRefundedSet") or {}).get("presentmentMoney") or {}
    return Refund(
        external_id=node["id"],
        amount=str(money.get("amount") or "0.00"),
        currency=str(money.get("currencyCode") or currency),
        created_at=_moment(node.get("createdAt")) or datetime.min,
        note=node.get("note") or "",
    )


def _item(node: dict) -> dict:
    return {
        "id": node["id"],
        "title": node.get("title") or "",
        "variant": node.get("variantTitle") or "",
        "sku": node.get("sku") or "",
        "quantity": int(node.get("quantity") or 0),
        "price": _money(node.get("originalUnitPriceSet")),
        "refundable": int(node.get("refundableQuantity") or 0),
    }


def _status(node: dict) -> str:
    if node.get("cancelledAt"):
        return "cancelled"
    return "closed" if node.get("closed") else "open"


def order(account: str, shop: str, node: dict) -> OrderSnapshot:
    """One order node (documents.ORDER_PARTS) as an OrderSnapshot."""
    currency = node.get("presentmentCurrencyCode") or "USD"
    buyer = node.get("customer")
    identities = customer_identities(buyer)
    if node.get("email"):
        identities.insert(0, Identity("email", node["email"]))
    if node.get("phone"):
        identities.append(Identity("phone", node["phone"]))
    if not identities:
        # A guest order without any contact: it still needs an owner to be stored under.
        identities = [Identity("shopify", node["id"])]
    fulfillments = tuple(_fulfillment(f) for f in node.get("fulfillments") or ())
    tracked = [f for f in fulfillments if f.number]
    latest = max(tracked, key=lambda f: f.shipped_at or datetime.min) if tracked else None
    return OrderSnapshot(
        account=account,
        external_id=node["id"],
        number=node["name"],
        customer=identities[0],
        identities=tuple(identities[1:]),
        customer_name=(buyer or {}).get("displayName") or "",
        status=_status(node),
        placed_at=_moment(node["createdAt"]) or datetime.min,
        total=_money(node.get("totalPriceSet")),
        currency=currency,
        financial_status=_lower(node.get("displayFinancialStatus")),
        fulfillment_status=_lower(node.get("displayFulfillmentStatus")),
        carrier=latest.carrier if latest else "",
        tracking_number=latest.number if latest else "",
        tracking_url=latest.url if latest else "",
        items=tuple(_item(n) for n in (node.get("lineItems") or {}).get("nodes") or ()),
        note=node.get("note") or "",
        tags=tuple(node.get("tags") or ()),
        shipping_address=_address(node.get("shippingAddress")),
        fulfillments=fulfillments,
        refunds=tuple(_refund(r, currency) for r in node.get("refunds") or ()),
        status_url=node.get("statusPageUrl") or "",
        admin_url=admin_url(shop, node["id"], "orders"),
        customer_ref=(buyer or {}).get("id") or "",
        changed_at=_moment(node.get("updatedAt")),
    )
