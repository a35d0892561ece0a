"""Amazon orders (Orders API v2026-01-01) become deskterm order snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from deskterm.connectors.amazon.orders import snapshot
from deskterm.domain import Identity

SPEC = (
    Path(__file__).resolve().parents[1] / "fixtures" / "amazon" / "amazon-sp-orders-2026-01-01.json"
)


def _documented_order() -> dict:
    document = json.loads(SPEC.read_text())
    response = document["paths"]["/orders/2026-01-01/orders/{orderId}"]["get"]["responses"]["200"]
    return response["examples"]["application/json"]["order"]


def test_the_buyer_relay_address_is_the_orders_customer() -> None:
    order = snapshot("amz", _documented_order())
    assert order.customer == Identity("email", "buyer-email@marketplace.amazon.co.uk")
    assert order.identities == (order.customer,)
    assert order.customer_name == "James Wilson"


def test_an_order_keeps_items_promises_and_package_tracking() -> None:
    order = snapshot("amz", _documented_order())
    assert (order.number, order.status, order.total, order.currency) == (
        "202-1234567-8901234",
        "shipped",
        "103.97",
        "GBP",
    )
    assert order.items[0]["title"].startswith("Echo Dot (4th Gen)")
    assert (order.items[0]["quantity"], order.items[0]["price"]) == (3, "29.99")
    assert order.ship_by == datetime(2024, 12, 26, 23, 59, 59, tzinfo=UTC)
    assert order.deliver_by == datetime(2024, 12, 30, 23, 59, 59, tzinfo=UTC)
    package = order.fulfillments[0]
    assert (package.carrier, package.number, package.delivery) == (
        "Royal Mail",
        "RR123456789GB",
        "out_for_delivery",
    )
    assert (order.carrier, order.tracking_number) == ("Royal Mail", "RR123456789GB")
    assert order.fulfillment_status == "out_for_delivery"
    assert order.shipping_address is not None and order.shipping_address.zip == "M1 2AB"
    assert order.admin_url == (
        "https://sellercentral.amazon.co.uk/orders-v3/order/202-1234567-8901234"
    )


def test_a_delivered_package_counts_as_delivered_at_the_orders_last_change() -> None:
    raw = _documented_order()
    raw["packages"][0]["packageStatus"] = {"status": "DELIVERED"}
    order = snapshot("amz", raw)
    assert order.fulfillments[0].delivered_at == datetime(2024, 12, 25, 16, 30, tzinfo=UTC)


def test_an_amazon_fulfilled_order_without_buyer_email_keeps_its_own_customer() -> None:
    raw = {k: v for k, v in _documented_order().items() if k not in ("buyer", "packages")}
    order = snapshot("amz", raw)
    assert order.customer == Identity("amazon-order", "202-1234567-8901234")
    assert order.fulfillments == () and order.tracking_number == ""
