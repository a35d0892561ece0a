"""The fake shop's data, shaped so graphql-core's default resolvers answer in the schema's shapes.

Attribute and method names are the schema's field names (camelCase on purpose); a method gets
graphql-core's `info` and the field's arguments.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from graphql import GraphQLError

ADMIN = "https://admin.shopify.com/store/fake"


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def money(amount: Decimal, currency: str) -> dict:
    text = f"{amount:.2f}"
    bag = {"amount": text, "currencyCode": currency}
    return {"shopMoney": bag, "presentmentMoney": bag}


@dataclass
class Line:
    id: str
    title: str
    quantity: int
    price: Decimal
    sku: str = ""
    variant_title: str | None = None
    variant_id: str | None = None
    refunded: int = 0

    def gql(self, currency: str) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "variantTitle": self.variant_title,
            "sku": self.sku or None,
            "quantity": self.quantity,
            "refundableQuantity": self.quantity - self.refunded,
            "variant": {"id": self.variant_id} if self.variant_id else None,
            "originalUnitPriceSet": money(self.price, currency),
        }


@dataclass
class Shipment:
    id: str
    created_at: datetime
    status: str = "SUCCESS"
    display: str = "IN_TRANSIT"
    company: str | None = None
    number: str | None = None
    url: str | None = None
    delivered_at: datetime | None = None

    def trackingInfo(self, info, first: int | None = None) -> list[dict]:
        if not self.number:
            return []
        return [{"company": self.company, "number": self.number, "url": self.url}]

    def gql(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "displayStatus": self.display,
            "createdAt": iso(self.created_at),
            "deliveredAt": iso(self.delivered_at),
            "trackingInfo": self.trackingInfo,
        }


@dataclass
class Customer:
    id: str
    name: str
    email: str | None
    phone: str | None = None
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    updated_at: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    orders: list[Order] = field(default_factory=list)

    def gql(self, shop: Shop) -> dict:
        spent = sum((o.total for o in self.orders), Decimal(0))
        return {
            "__typename": "Customer",
            "id": self.id,
            "displayName": self.name,
            "defaultEmailAddress": {"emailAddress": self.email} if self.email else None,
            "defaultPhoneNumber": {"phoneNumber": self.phone} if self.phone else None,
            "numberOfOrders": str(len(self.orders)),
            "amountSpent": {"amount": f"{spent:.2f}", "currencyCode": shop.currency},
            "tags": self.tags,
            "note": self.note,
            "updatedAt": iso(self.updated_at),
            "orders": lambda info, **args: shop.order_connection(
                [o for o in self.orders if shop.visible(o)], **args
            ),
        }


@dataclass
class Refund:
    id: str
    created_at: datetime
    amount: Decimal
    note: str | None
    lines: list[tuple[str, int]]
    key: str


@dataclass
class Order:
    number: int
    created_at: datetime
    email: str | None
    customer: Customer | None
    lines: list[Line]
    currency: str = "EUR"
    shipping: Decimal = Decimal("4.90")
    phone: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    financial: str = "PAID"
    fulfillment: str = "UNFULFILLED"
    shipments: list[Shipment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    address: dict[str, Any] | None = None
    updated_at: datetime | None = None
    cancelled_at: datetime | None = None
    shipping_refunded: Decimal = Decimal(0)
    # Shipped by a fulfillment service: the app may only request fulfilment, not create it.
    by_service: bool = False

    @property
    def gid(self) -> str:
        return f"gid://shopify/Order/{self.number}"

    @property
    def total(self) -> Decimal:
        return sum((ln.price * ln.quantity for ln in self.lines), Decimal(0)) + self.shipping

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal(0))

    @property
    def fulfillment_order_id(self) -> str:
        return f"gid://shopify/FulfillmentOrder/{self.number}"

    @property
    def open_for_app(self) -> bool:
        """Whether the app may create a shipment from the order's one fulfillment order."""
        return (
            self.fulfillment == "UNFULFILLED" and self.cancelled_at is None and not self.by_service
        )

    def fulfillment_orders(self) -> list[dict]:
        unshipped = self.fulfillment == "UNFULFILLED" and self.cancelled_at is None
        action = "REQUEST_FULFILLMENT" if self.by_service else "CREATE_FULFILLMENT"
        return [
            {
                "id": self.fulfillment_order_id,
                "status": "OPEN" if unshipped else "CLOSED",
                "supportedActions": [{"action": action}] if unshipped else [],
            }
        ]

    def gql(self, shop: Shop) -> dict:
        currency = self.currency
        return {
            "__typename": "Order",
            "id": self.gid,
            "name": f"#{self.number}",
            "email": self.email,
            "phone": self.phone,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at or self.created_at),
            "cancelledAt": iso(self.cancelled_at),
            "closed": self.cancelled_at is not None,
            "note": self.note,
            "tags": self.tags,
            "displayFinancialStatus": self.financial,
            "displayFulfillmentStatus": self.fulfillment,
            "statusPageUrl": lambda info, **_: f"https://fake.example/orders/{self.number}/status",
            "presentmentCurrencyCode": currency,
            "totalPriceSet": money(self.total, currency),
            "customer": self.customer.gql(shop) if self.customer else None,
            "shippingAddress": self.address,
            "lineItems": lambda info, first=None, **_: {
                "nodes": [ln.gql(currency) for ln in self.lines[:first]],
                "pageInfo": {"hasNextPage": len(self.lines) > (first or 0), "endCursor": None},
            },
            "fulfillments": lambda info, first=None, **_: [s.gql() for s in self.shipments[:first]],
            "fulfillmentOrders": lambda info, first=None, **_: {
                "nodes": self.fulfillment_orders()[:first]
            },
            "refunds": lambda info, first=None: [
                {
                    "id": r.id,
                    "createdAt": iso(r.created_at),
                    "note": r.note,
                    "totalRefundedSet": money(r.amount, currency),
                }
                for r in self.refunds[:first]
            ],
            "suggestedRefund": lambda info, **args: shop.suggest_refund(self, **args),
        }


def encode_cursor(order: Order) -> str:
    key = [iso(order.updated_at or order.created_at), order.number]
    return base64.b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, int]:
    stamp, number = json.loads(base64.b64decode(cursor))
    return stamp, number


FILTER = re.compile(r"(\w+):(>=|<=|>|<)?'?([^' ]+)'?")


class Shop:
    """Orders, customers, refunds and jobs of one fake shop."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.currency = "EUR"
        self.orders: dict[str, Order] = {}
        self.customers: dict[str, Customer] = {}
        self.jobs: dict[str, dict] = {}
        # Each key with the input it was first used with and Shopify's answer.
        self.refund_keys: dict[str, tuple[dict, dict]] = {}
        self.scopes: set[str] = set()
        self.notifications: list[tuple[str, str]] = []
        self.drafts: list[dict] = []
        self._ids = itertools.count(1)

    def new_id(self, kind: str) -> str:
        return f"gid://shopify/{kind}/{next(self._ids)}"

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC).replace(microsecond=0)

    def visible(self, order: Order) -> bool:
        """Without read_all_orders an app sees the last 60 days of orders only."""
        return "read_all_orders" in self.scopes or order.created_at >= self.now() - timedelta(
            days=60
        )

    def add_customer(self, customer: Customer) -> Customer:
        self.customers[customer.id] = customer
        return customer

    def add_order(self, order: Order) -> Order:
        self.orders[order.gid] = order
        if order.customer is not None:
            order.customer.orders.append(order)
        return order

    def find_order(self, gid: str) -> Order:
        order = self.orders.get(gid)
        if order is None or not self.visible(order):
            raise GraphQLError(f"Order {gid} does not exist", extensions={"code": "NOT_FOUND"})
        return order

    def touch(self, order: Order) -> None:
        order.updated_at = self.now()

    # -- queries -------------------------------------------------------------------------------

    def order_connection(
        self,
        orders: list[Order],
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        reverse: bool = False,
        **_: Any,
    ) -> dict:
        chosen = [o for o in orders if self._matches(o, query or "")]
        chosen.sort(key=lambda o: (iso(o.updated_at or o.created_at), o.number), reverse=reverse)
        if after:
            mark = decode_cursor(after)
            keep = (lambda k: k < mark) if reverse else (lambda k: k > mark)
            chosen = [o for o in chosen if keep((iso(o.updated_at or o.created_at), o.number))]
        page = chosen[: first or 0]
        return {
            "nodes": [o.gql(self) for o in page],
            "pageInfo": {
                "hasNextPage": len(chosen) > len(page),
                "endCursor": encode_cursor(page[-1]) if page else None,
            },
        }

    def _matches(self, order: Order, query: str) -> bool:
        for name, op, value in FILTER.findall(query):
            if name == "email" and (order.email or "").lower() != value.lower():
                return False
            if name == "name" and f"#{order.number}" != value:
                return False
            if name in ("updated_at", "created_at"):
                stamp = iso(order.updated_at or order.created_at)
                if name == "created_at":
                    stamp = iso(order.created_at)
                bound = iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
                if not {">=": stamp >= bound, ">": stamp > bound, "<": stamp < bound}.get(
                    op, stamp == bound
                ):
                    return False
        return True

    def orders_field(self, info, **args) -> dict:
        return self.order_connection([o for o in self.orders.values() if self.visible(o)], **args)

    def customers_field(self, info, first=None, after=None, query=None, **_) -> dict:
        chosen = sorted(self.customers.values(), key=lambda c: (iso(c.updated_at), c.id))
        for _name, _op, value in FILTER.findall(query or ""):
            bound = iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
            chosen = [c for c in chosen if iso(c.updated_at) >= bound]
        if after:
            mark = json.loads(base64.b64decode(after))
            chosen = [c for c in chosen if [iso(c.updated_at), c.id] > mark]
        page = chosen[: first or 0]
        cursor = [iso(page[-1].updated_at), page[-1].id] if page else None
        return {
            "nodes": [c.gql(self) for c in page],
            "pageInfo": {
                "hasNextPage": len(chosen) > len(page),
                "endCursor": base64.b64encode(json.dumps(cursor).encode()).decode()
                if cursor
                else None,
            },
        }

    def customer_by_identifier(self, info, identifier: dict) -> dict | None:
        wanted = (identifier.get("emailAddress") or "").lower()
        for customer in self.customers.values():
            if customer.email and customer.email.lower() == wanted:
                return customer.gql(self)
        return None

    def suggest_refund(
        self,
        order: Order,
        refundLineItems: list[dict] | None = None,
        refundShipping: bool | None = None,
        suggestFullRefund: bool | None = None,
        refundMethodAllocation: str | None = None,
        **_: Any,
    ) -> dict:
        lines = {ln.id: ln for ln in order.lines}
        wanted = refundLineItems or []
        if suggestFullRefund:
            wanted = [
                {"lineItemId": ln.id, "quantity": ln.quantity - ln.refunded} for ln in order.lines
            ]
        chosen = []
        for item in wanted:
            line = lines.get(item["lineItemId"])
            if line is None:
                raise GraphQLError(f"Line item {item['lineItemId']} is not on {order.gid}")
            quantity = min(item["quantity"], line.quantity - line.refunded)
            chosen.append((line, quantity))
        subtotal = sum((ln.price * q for ln, q in chosen), Decimal(0))
        shipping = Decimal(0)
        if refundShipping or suggestFullRefund:
            shipping = order.shipping - order.shipping_refunded
        amount = min(subtotal + shipping, order.total - order.refunded)
        currency = order.currency
        transactions = []
        if refundMethodAllocation != "STORE_CREDIT" and amount > 0:
            transactions.append(
                {
                    "gateway": "shopify_payments",
                    "kind": "SUGGESTED_REFUND",
                    "amountSet": money(amount, currency),
                    "parentTransaction": {"id": f"gid://shopify/OrderTransaction/{order.number}"},
                }
            )
        return {
            "amountSet": money(amount, currency),
            "subtotalSet": money(subtotal, currency),
            "totalTaxSet": money(Decimal(0), currency),
            "shipping": {"amountSet": money(shipping, currency)},
            "refundLineItems": [
                {
                    "quantity": q,
                    "lineItem": {"id": ln.id, "title": ln.title},
                    "subtotalSet": money(ln.price * q, currency),
                }
                for ln, q in chosen
            ],
            "suggestedTransactions": transactions,
        }
