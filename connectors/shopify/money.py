"""Refund and cancel: the actions that move money.

A refund is what Shopify's `suggestedRefund` says for the chosen items and shipping, in the
order's presentment currency, created with `@idempotent(key:)`. Its input is worked out once
(`prepare`) and kept with the call, so a retry after a crash sends the same input with the same
key and gets the first refund back instead of making a second. A cancel is a job Shopify runs;
it is polled to its end, and a retry first checks whether the order is already cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from deskterm.connector import ActionOutcome, ConnectorAction, PermanentError, TemporaryError

from .. import params
from . import documents
from .actions import Current, Shop

JOB_POLLS = 30
JOB_POLL_SECONDS = 1.0


def _amount(bag: dict | None) -> str:
    return str(((bag or {}).get("presentmentMoney") or {}).get("amount") or "0.00")


class Refunds:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def _suggestion(self, given: Mapping[str, Any]) -> tuple[Current, dict, bool]:
        """Shopify's suggested refund for `given`; refuses when nothing is left to refund."""
        current = self.shop.current(given)
        chosen = params.lines(given, list(current.snapshot.items))
        shipping_only = params.flag(given, "shipping_only")
        whole = not params.words(given, "items") and not shipping_only
        store_credit = params.flag(given, "store_credit")
        variables = {
            "id": current.gid,
            "lines": [
                {"lineItemId": item["id"], "quantity": quantity} for item, quantity in chosen
            ],
            "shipping": shipping_only or params.flag(given, "shipping", whole),
            "full": whole,
            "method": "STORE_CREDIT" if store_credit else "ORIGINAL_PAYMENT_METHODS",
        }
        data = self.shop.api.call(documents.SUGGESTED_REFUND, variables)
        suggestion = data["order"]["suggestedRefund"]
        if suggestion is None or Decimal(_amount(suggestion["amountSet"])) <= 0:
            raise PermanentError(f"nothing is left to refund on {current.name}")
        return current, suggestion, store_credit

    def preview(self, given: Mapping[str, Any]) -> str:
        current, suggestion, store_credit = self._suggestion(given)
        currency = current.snapshot.currency
        to = "store credit" if store_credit else _gateways(suggestion) or "the original payment"
        lines = [
            f"Shopify suggests refunding {_amount(suggestion['amountSet'])} {currency}"
            f" on {current.name} to {to}:"
        ]
        for item in suggestion["refundLineItems"]:
            lines.append(
                f"  {item['quantity']} × {item['lineItem']['title']}"
                f"  {_amount(item['subtotalSet'])}"
            )
        lines.append(f"  shipping {_amount(suggestion['shipping']['amountSet'])}")
        lines.append(f"  tax {_amount(suggestion['totalTaxSet'])}")
        restock = params.flag(given, "restock", True) and suggestion["refundLineItems"]
        lines.append(
            f"restock: {'yes' if restock else 'no'};"
            f" notify the customer: {'yes' if params.flag(given, 'notify') else 'no'}"
        )
        return "\n".join(lines)

    def prepare(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The refundCreate input made from Shopify's suggestion now, kept with the call: a retry
        after a crash sends this same input with the same key. Shopify deduplicates only a
        request whose variables are the same, and a suggestion worked out again after the first
        refund went through would differ (nothing left to refund)."""
        current, suggestion, store_credit = self._suggestion(given)
        currency = current.snapshot.currency
        restock = "RETURN" if params.flag(given, "restock", True) else "NO_RESTOCK"
        amount = _amount(suggestion["amountSet"])
        refund_input: dict[str, Any] = {
            "orderId": current.gid,
            "notify": params.flag(given, "notify"),
            "currency": currency,
            "refundLineItems": [
                {
                    "lineItemId": i["lineItem"]["id"],
                    "quantity": i["quantity"],
                    "restockType": restock,
                }
                for i in suggestion["refundLineItems"]
                if i["quantity"] > 0
            ],
        }
        if params.text(given, "note"):
            refund_input["note"] = params.text(given, "note")
        shipping = _amount(suggestion["shipping"]["amountSet"])
        if Decimal(shipping) > 0:
            refund_input["shipping"] = {"amount": shipping}
        if store_credit:
            refund_input["refundMethods"] = [
                {"storeCreditRefund": {"amount": {"amount": amount, "currencyCode": currency}}}
            ]
        else:
            refund_input["transactions"] = [
                {
                    "orderId": current.gid,
                    "parentId": (t.get("parentTransaction") or {}).get("id"),
                    "amount": _amount(t["amountSet"]),
                    "gateway": t["gateway"],
                    "kind": "REFUND",
                }
                for t in suggestion["suggestedTransactions"]
            ]
        items = ", ".join(
            f"{i['quantity']} × {i['lineItem']['title']}" for i in suggestion["refundLineItems"]
        )
        prepared = {"input": refund_input, "order": current.name, "items": items}
        return {**given, "prepared": prepared}

    def run(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        prepared = given.get("prepared") or self.prepare(given)["prepared"]
        name, currency = prepared["order"], prepared["input"]["currency"]
        data = self.shop.api.call(
            documents.REFUND_CREATE, {"input": prepared["input"], "key": idempotency_key}
        )
        payload = self.shop.accepted("the refund", name, data.get("refundCreate"))
        refund = payload["refund"]
        total = _amount(refund["totalRefundedSet"])
        what = f" ({prepared['items']})" if prepared["items"] else ""
        return ActionOutcome(
            f"refunded {total} {currency} on {name}{what}",
            external_id=refund["id"],
            data={"order": name, "refund": refund["id"], "amount": total, "currency": currency},
        )


def _gateways(suggestion: dict) -> str:
    return ", ".join(
        sorted({t["gateway"] for t in suggestion["suggestedTransactions"] if t.get("gateway")})
    )


class Cancels:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def preview(self, given: Mapping[str, Any]) -> str:
        reason, method = params.cancel_choices(given)
        current = self.shop.current(given)
        order = current.snapshot
        if order.status == "cancelled":
            return f"{current.name} is already cancelled"
        money = {
            "original": "to the original payment",
            "store_credit": "as store credit",
            "none": "not refunded",
        }[method]
        return (
            f"Cancel {current.name} ({order.financial_status or 'unpaid'},"
            f" {order.fulfillment_status or 'unfulfilled'}, {order.total} {order.currency}):"
            f" reason {reason}; money {money};"
            f" restock {'yes' if params.flag(given, 'restock', True) else 'no'};"
            f" notify the customer {'yes' if params.flag(given, 'notify') else 'no'}"
        )

    def confirm(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome | None:
        """After an interruption: done when Shopify shows the order cancelled, else not yet."""
        current = self.shop.current(given)
        if current.snapshot.status == "cancelled":
            return ActionOutcome(f"{current.name} is cancelled", data={"order": current.name})
        return None

    def run(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        reason, method = params.cancel_choices(given)
        gid = self.shop.order_id(given)
        variables: dict[str, Any] = {
            "id": gid,
            "reason": reason.upper(),
            "restock": params.flag(given, "restock", True),
            "notify": params.flag(given, "notify"),
        }
        if params.text(given, "staff_note"):
            variables["staffNote"] = params.text(given, "staff_note")
        if method == "original":
            variables["refundMethod"] = {"originalPaymentMethodsRefund": True}
        elif method == "store_credit":
            variables["refundMethod"] = {"storeCreditRefund": {}}
        data = self.shop.api.call(documents.ORDER_CANCEL, variables, replayable=False)
        payload = self.shop.accepted(
            "the cancellation",
            params.text(given, "order"),
            data.get("orderCancel"),
            "orderCancelUserErrors",
        )
        self._wait(payload["job"])
        done = self.confirm({"order": gid}, idempotency_key=idempotency_key)
        if done is None:
            raise PermanentError(
                f"Shopify finished the cancel job but {given['order']} is not cancelled"
            )
        return ActionOutcome(
            f"cancelled {done.data['order']} (reason {reason}, money {method.replace('_', ' ')})",
            external_id=payload["job"]["id"],
            data=dict(done.data),
        )

    def _wait(self, job: dict) -> None:
        """Poll Shopify's job until it is done (about a second apart)."""
        for _ in range(JOB_POLLS):
            if job["done"]:
                return
            self.shop.sleep(JOB_POLL_SECONDS)
            job = self.shop.api.call(documents.JOB, {"id": job["id"]})["job"]
        raise TemporaryError(f"Shopify's cancel job {job['id']} is still running; will check again")


def money_actions(shop: Shop) -> list[ConnectorAction]:
    refunds, cancels = Refunds(shop), Cancels(shop)
    return [
        ConnectorAction(
            "refund",
            "Refund the order, chosen items (items=2:1,3), shipping only, or to store credit",
            refunds.run,
            preview=refunds.preview,
            prepare=refunds.prepare,
            idempotent=True,
        ),
        ConnectorAction(
            "cancel",
            "Cancel the order (reason, restock, notify, refund=original|store_credit|none)",
            cancels.run,
            preview=cancels.preview,
            confirm=cancels.confirm,
        ),
    ]
