"""Orders and customers for the fake shop: a few named ones for tests, many for a backfill."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .model import Customer, Line, Order, Shipment, Shop

PRODUCTS = (("Wool scarf", "19.95"), ("Leather wallet", "39.00"), ("Linen shirt", "49.50"))


def customer(shop: Shop, number: int, email: str | None, name: str, **fields) -> Customer:
    return shop.add_customer(
        Customer(f"gid://shopify/Customer/{number}", name, email, updated_at=shop.now(), **fields)
    )


def order(
    shop: Shop,
    number: int,
    buyer: Customer | None,
    *,
    placed: datetime,
    lines: int = 2,
    email: str | None = None,
    fulfilled: bool = False,
) -> Order:
    """An order of `lines` line items (two of the first), shipped with tracking when `fulfilled`."""
    items = []
    for index in range(lines):
        title, price = PRODUCTS[index % len(PRODUCTS)]
        items.append(
            Line(
                f"gid://shopify/LineItem/{number * 100 + index}",
                title,
                2 if index == 0 else 1,
                Decimal(price),
                sku=f"SKU-{index}",
                variant_id=f"gid://shopify/ProductVariant/{index + 1}",
            )
        )
    made = Order(
        number,
        placed,
        email if email is not None else (buyer.email if buyer else None),
        buyer,
        items,
        updated_at=placed,
        address={
            "firstName": "Anna",
            "lastName": "Adams",
            "company": None,
            "address1": "Hauptstr. 1",
            "address2": None,
            "city": "Berlin",
            "provinceCode": "BE",
            "zip": "10115",
            "countryCodeV2": "DE",
            "phone": None,
        },
    )
    if fulfilled:
        made.fulfillment = "FULFILLED"
        made.shipments.append(
            Shipment(
                f"gid://shopify/Fulfillment/{number}",
                placed + timedelta(days=1),
                company="DHL",
                number=f"JD{number:012d}",
                url=f"https://dhl.example/track/JD{number:012d}",
            )
        )
    return shop.add_order(made)


def backfill(shop: Shop, count: int, *, first_number: int = 100_000) -> None:
    """`count` orders over the last 50 days, one customer for every three orders."""
    now = shop.now()
    buyer = None
    for index in range(count):
        if index % 3 == 0:
            buyer = customer(
                shop, first_number + index, f"buyer{index}@example.com", f"Buyer {index}"
            )
        placed = now - timedelta(days=50) + timedelta(seconds=index * 50 * 86400 // max(count, 1))
        order(
            shop,
            first_number + index,
            buyer,
            placed=placed,
            lines=1 + index % 3,
            fulfilled=index % 2 == 0,
        )
