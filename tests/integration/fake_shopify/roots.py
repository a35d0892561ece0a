"""The fake shop's query and mutation roots: what each field does to the shop's data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphql import GraphQLError, value_from_ast_untyped

from .model import Refund, Shipment, Shop, money

FULFILLED_ADDRESS_ERROR = "Shipping address can't be changed because the order has been fulfilled"


class Queries:
    def __init__(self, shop: Shop) -> None:
        self._shop = shop
        self.shop = {
            "name": "Fake Shop",
            "myshopifyDomain": "fake.myshopify.com",
            "currencyCode": "EUR",
        }

    def orders(self, info, **args) -> dict:
        return self._shop.orders_field(info, **args)

    def customers(self, info, **args) -> dict:
        return self._shop.customers_field(info, **args)

    def customerByIdentifier(self, info, identifier: dict) -> dict | None:
        return self._shop.customer_by_identifier(info, identifier)

    def order(self, info, id: str) -> dict:
        return self._shop.find_order(id).gql(self._shop)

    def job(self, info, id: str) -> dict:
        """An orderCancel job finishes on its third poll."""
        job = self._shop.jobs[id]
        job["polls"] += 1
        if job["polls"] >= 3 and not job["done"]:
            job["done"] = True
            job["finish"]()
        return {"id": id, "done": job["done"]}

    def draftOrders(self, info, query: str = "", **_: Any) -> dict:
        tag = query.partition(":")[2].strip("'")
        found = [d for d in self._shop.drafts if tag in d["input"].get("tags", [])]
        return {"nodes": found[:1]}

    def currentAppInstallation(self, info) -> dict:
        return {"accessScopes": [{"handle": s} for s in sorted(self._shop.scopes)]}


def idempotency_key(info) -> str | None:
    for directive in info.field_nodes[0].directives:
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                if argument.name.value == "key":
                    return value_from_ast_untyped(argument.value, info.variable_values.coerced)
    return None


def user_error(field: str, message: str) -> list[dict]:
    return [{"field": [field], "message": message}]


class Mutations:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.refunds_created = 0

    def refundCreate(self, info, input: dict) -> dict:
        key = idempotency_key(info)
        if not key or not key.strip():
            raise GraphQLError(
                "The @idempotent directive is required for this mutation",
                extensions={"code": "BAD_REQUEST"},
            )
        if key in self.shop.refund_keys:
            first, answer = self.shop.refund_keys[key]
            if first != input:
                raise GraphQLError(
                    "The same idempotency key cannot be used with different operation parameters.",
                    extensions={"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"},
                )
            return answer
        order = self.shop.find_order(input["orderId"])
        lines = {ln.id: ln for ln in order.lines}
        for item in input.get("refundLineItems") or []:
            line = lines.get(item["lineItemId"])
            if line is None or item["quantity"] > line.quantity - line.refunded:
                return {
                    "refund": None,
                    "order": None,
                    "userErrors": user_error(
                        "refundLineItems", "Quantity cannot refund more items than were purchased"
                    ),
                }
        amount = sum(
            (Decimal(t["amount"]) for t in input.get("transactions") or []), Decimal(0)
        ) + sum(
            (
                Decimal(m["storeCreditRefund"]["amount"]["amount"])
                for m in input.get("refundMethods") or []
            ),
            Decimal(0),
        )
        if amount > order.total - order.refunded:
            return {
                "refund": None,
                "order": None,
                "userErrors": user_error("transactions", "Amount exceeds the refundable amount"),
            }
        for item in input.get("refundLineItems") or []:
            lines[item["lineItemId"]].refunded += item["quantity"]
        shipping = (input.get("shipping") or {}).get("amount")
        if shipping:
            order.shipping_refunded += Decimal(shipping)
        refund = Refund(
            self.shop.new_id("Refund"),
            self.shop.now(),
            amount,
            input.get("note"),
            [(i["lineItemId"], i["quantity"]) for i in input.get("refundLineItems") or []],
            key,
        )
        order.refunds.append(refund)
        self.refunds_created += 1
        order.financial = "REFUNDED" if order.refunded >= order.total else "PARTIALLY_REFUNDED"
        self.shop.touch(order)
        result = {
            "refund": {
                "id": refund.id,
                "createdAt": order.gql(self.shop)["updatedAt"],
                "totalRefundedSet": money(amount, order.currency),
            },
            "order": order.gql(self.shop),
            "userErrors": [],
        }
        self.shop.refund_keys[key] = (input, result)
        return result

    def orderCancel(
        self,
        info,
        orderId: str,
        reason: str,
        restock: bool,
        notifyCustomer: bool | None = None,
        staffNote: str | None = None,
        refundMethod: dict | None = None,
        **_: Any,
    ) -> dict:
        order = self.shop.find_order(orderId)
        if order.cancelled_at is not None:
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {
                        "field": ["orderId"],
                        "message": "Order has already been cancelled",
                        "code": "INVALID",
                    }
                ],
            }
        job_id = self.shop.new_id("Job")

        def finish() -> None:
            order.cancelled_at = self.shop.now()
            if refundMethod and (
                refundMethod.get("originalPaymentMethodsRefund")
                or refundMethod.get("storeCreditRefund") is not None
            ):
                order.financial = "REFUNDED"
            else:
                order.financial = "VOIDED" if order.financial == "AUTHORIZED" else order.financial
            if staffNote:
                order.note = "\n".join(filter(None, [order.note, staffNote]))
            if notifyCustomer:
                self.shop.notifications.append(("cancel", order.gid))
            self.shop.touch(order)

        self.shop.jobs[job_id] = {"polls": 0, "done": False, "finish": finish}
        return {"job": {"id": job_id, "done": False}, "orderCancelUserErrors": []}

    def orderUpdate(self, info, input: dict) -> dict:
        order = self.shop.find_order(input["id"])
        if "shippingAddress" in input and order.fulfillment == "FULFILLED":
            return {
                "order": None,
                "userErrors": user_error("shippingAddress", FULFILLED_ADDRESS_ERROR),
            }
        if "shippingAddress" in input:
            address = dict(input["shippingAddress"])
            address["countryCodeV2"] = address.pop("countryCode", None)
            order.address = address
        if "note" in input:
            order.note = input["note"]
        if "tags" in input:
            order.tags = list(input["tags"])
        self.shop.touch(order)
        return {"order": order.gql(self.shop), "userErrors": []}

    def fulfillmentTrackingInfoUpdate(
        self,
        info,
        fulfillmentId: str,
        trackingInfoInput: dict,
        notifyCustomer: bool | None = None,
    ) -> dict:
        for order in self.shop.orders.values():
            for shipment in order.shipments:
                if shipment.id == fulfillmentId:
                    shipment.company = trackingInfoInput.get("company")
                    shipment.number = trackingInfoInput.get("number")
                    shipment.url = trackingInfoInput.get("url")
                    if notifyCustomer:
                        self.shop.notifications.append(("tracking", order.gid))
                    self.shop.touch(order)
                    return {"fulfillment": shipment.gql(), "userErrors": []}
        return {
            "fulfillment": None,
            "userErrors": user_error("fulfillmentId", "Fulfillment does not exist"),
        }

    def fulfillmentCreate(self, info, fulfillment: dict, message: str | None = None) -> dict:
        orders = {o.fulfillment_order_id: o for o in self.shop.orders.values()}
        wanted = [w["fulfillmentOrderId"] for w in fulfillment["lineItemsByFulfillmentOrder"]]
        for fulfillment_order in wanted:
            order = orders.get(fulfillment_order)
            if order is None or not order.open_for_app:
                return {
                    "fulfillment": None,
                    "userErrors": user_error(
                        "fulfillment", "Fulfillment order is not in an open state"
                    ),
                }
        tracking = fulfillment.get("trackingInfo") or {}
        shipment = Shipment(
            self.shop.new_id("Fulfillment"),
            self.shop.now(),
            company=tracking.get("company"),
            number=tracking.get("number"),
            url=tracking.get("url"),
        )
        for fulfillment_order in wanted:
            order = orders[fulfillment_order]
            order.shipments.append(shipment)
            order.fulfillment = "FULFILLED"
            if fulfillment.get("notifyCustomer"):
                self.shop.notifications.append(("shipped", order.gid))
            self.shop.touch(order)
        return {"fulfillment": shipment.gql(), "userErrors": []}

    def tagsAdd(self, info, id: str, tags: list[str]) -> dict:
        order = self.shop.find_order(id)
        order.tags = sorted(set(order.tags) | set(tags))
        self.shop.touch(order)
        return {"node": {"__typename": "Order", "id": order.gid}, "userErrors": []}

    def draftOrderCreate(self, info, input: dict) -> dict:
        total = Decimal(0)
        for item in input.get("lineItems") or []:
            discount = item.get("appliedDiscount") or {}
            price = Decimal((item.get("originalUnitPriceWithCurrency") or {}).get("amount", "10"))
            if discount.get("valueType") == "PERCENTAGE":
                price = price * (100 - Decimal(str(discount["value"]))) / 100
            total += price * item["quantity"]
        draft = {
            "id": self.shop.new_id("DraftOrder"),
            "name": f"#D{len(self.shop.drafts) + 1}",
            "invoiceUrl": "https://fake.example/invoices/1",
            "totalPriceSet": money(total, input.get("presentmentCurrencyCode") or "EUR"),
            "input": input,
        }
        self.shop.drafts.append(draft)
        return {"draftOrder": draft, "userErrors": []}
