"""A replacement: a draft order with the original's items at zero price, to the same address.

Shopify's draftOrderCreate takes no idempotency key, so the draft carries a tag made from the
action's key; `confirm` looks for that tag before any retry, so an interrupted call never
makes a second draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deskterm.connector import ActionOutcome, PermanentError

from .. import params
from . import documents
from .actions import Shop

FREE = {"title": "Replacement", "value": 100.0, "valueType": "PERCENTAGE"}
ADDRESS_INPUT = {"countryCodeV2": "countryCode"}


def key_tag(idempotency_key: str) -> str:
    return f"deskterm-{idempotency_key}"


class Replacements:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def _source(self, given: Mapping[str, Any]) -> dict:
        gid = self.shop.order_id(given)
        order = self.shop.api.call(documents.REPLACEMENT_SOURCE, {"id": gid})["order"]
        if not order["lineItems"]["nodes"]:
            raise PermanentError(f"{order['name']} has no items to replace")
        return order

    def preview(self, given: Mapping[str, Any]) -> str:
        order = self._source(given)
        items = "\n".join(
            f"  {i['quantity']} × {i['title']} at 0.00" for i in order["lineItems"]["nodes"]
        )
        buyer = order.get("email") or "the same buyer"
        return f"A draft order replacing {order['name']}, for {buyer}:\n{items}"

    def confirm(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome | None:
        found = self.shop.api.call(
            documents.DRAFTS_TAGGED, {"query": f"tag:'{key_tag(idempotency_key)}'"}
        )["draftOrders"]["nodes"]
        return _outcome(found[0], params.text(given, "order")) if found else None

    def run(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        order = self._source(given)
        currency = order["presentmentCurrencyCode"]
        lines = []
        for item in order["lineItems"]["nodes"]:
            line: dict[str, Any] = {"quantity": item["quantity"], "appliedDiscount": FREE}
            if item.get("variant"):
                line["variantId"] = item["variant"]["id"]
            else:
                price = item["originalUnitPriceSet"]["presentmentMoney"]["amount"]
                line["title"] = item["title"]
                line["originalUnitPriceWithCurrency"] = {"amount": price, "currencyCode": currency}
            lines.append(line)
        address = order.get("shippingAddress")
        draft_input: dict[str, Any] = {
            "lineItems": lines,
            "note": params.text(given, "note") or f"Replacement for {order['name']}",
            "tags": ["replacement", key_tag(idempotency_key)],
            "presentmentCurrencyCode": currency,
        }
        if order.get("email"):
            draft_input["email"] = order["email"]
        if address:
            draft_input["shippingAddress"] = {
                ADDRESS_INPUT.get(k, k): v for k, v in address.items()
            }
        data = self.shop.api.call(
            documents.DRAFT_ORDER_CREATE, {"input": draft_input}, replayable=False
        )
        payload = self.shop.accepted("the replacement", order["name"], data.get("draftOrderCreate"))
        return _outcome(payload["draftOrder"], order["name"])


def _outcome(draft: dict, order: str) -> ActionOutcome:
    total = draft["totalPriceSet"]["presentmentMoney"]
    return ActionOutcome(
        f"replacement draft {draft['name']} for {order} ({total['amount']} {total['currencyCode']})",
        external_id=draft["id"],
        data={"order": order, "draft": draft["id"], "invoice_url": draft.get("invoiceUrl")},
    )
