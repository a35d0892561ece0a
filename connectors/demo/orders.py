"""The demo shop's order actions, answered offline by the simulated shop (deskterm.simulated_shop).

They take the same parameters as a Shopify account's (refund items=1:1, cancel reason=...,
address city=..., tracking number=..., note text=..., tag tags=..., replacement) and run through the same
connector_calls path: the preview first, a person's yes, the intent with its idempotency key, the
outcome in the ticket's timeline. The shop stores each change under its key, so a retry after a
crash gets the first outcome back instead of refunding twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from deskterm.connector import ActionOutcome, ConnectorAction, PermanentError
from deskterm.domain import Address, Fulfillment, OrderSnapshot, Refund
from deskterm.order_text import address_text
from deskterm.simulated_shop import ShopRefused, SimulatedShop

from .. import params

SIMULATED = "(the demo shop is simulated: nothing leaves this machine)"
ADDRESS_FIELDS = tuple(asdict(Address()))


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _refundable(order: OrderSnapshot) -> list[dict]:
    return [{**i, "refundable": i.get("refundable", i["quantity"])} for i in order.items]


def _left(order: OrderSnapshot) -> Decimal:
    return Decimal(order.total) - sum((Decimal(r.amount) for r in order.refunds), Decimal(0))


def _outcome(result: Mapping[str, Any]) -> ActionOutcome:
    return ActionOutcome(result["text"], result.get("external_id"), result.get("data") or {})


class DemoOrders:
    def __init__(self, shop: SimulatedShop, clock: Callable[[], datetime]) -> None:
        self.shop = shop
        self.clock = clock

    def _order(self, given: Mapping[str, Any]) -> OrderSnapshot:
        try:
            return self.shop.order(params.required(given, "order"))
        except ShopRefused as exc:
            raise PermanentError(str(exc)) from None

    def _change(
        self,
        action: str,
        given: Mapping[str, Any],
        key: str,
        change: Callable[[OrderSnapshot], tuple[OrderSnapshot, dict[str, Any]]],
    ) -> ActionOutcome:
        def stamped(order: OrderSnapshot) -> tuple[OrderSnapshot, dict[str, Any]]:
            changed, outcome = change(order)
            return replace(changed, changed_at=self.clock().replace(microsecond=0)), outcome

        try:
            found = self.shop.change(key, action, params.required(given, "order"), stamped)
        except ShopRefused as exc:
            raise PermanentError(str(exc)) from None
        return _outcome(found)

    # -- refund -------------------------------------------------------------------------------

    @staticmethod
    def _refund_lines(
        order: OrderSnapshot, given: Mapping[str, Any], items: list[dict]
    ) -> list[tuple[dict, int]]:
        """The chosen `items` (the order's, with what is left to refund) and quantities."""
        if params.flag(given, "shipping_only") or params.flag(given, "shipping"):
            raise PermanentError(f"the demo shop charged no shipping on {order.number}")
        if params.words(given, "items"):
            chosen = params.lines(given, items)
        else:
            chosen = [(i, i["refundable"]) for i in items if i["refundable"] > 0]
        for item, quantity in chosen:
            if quantity > item["refundable"]:
                raise PermanentError(
                    f"the demo shop refused the refund on {order.number}: only "
                    f"{item['refundable']} × {item['title']} left to refund"
                )
        if not chosen or order.status == "cancelled":
            raise PermanentError(f"nothing is left to refund on {order.number}")
        return chosen

    def refund_preview(self, given: Mapping[str, Any]) -> str:
        order = self._order(given)
        chosen = self._refund_lines(order, given, _refundable(order))
        amount = sum((Decimal(i["price"]) * q for i, q in chosen), Decimal(0))
        to = "store credit" if params.flag(given, "store_credit") else "the original payment"
        lines = [
            f"The demo shop would refund {_money(amount)} {order.currency} on {order.number}"
            f" to {to}:"
        ]
        lines += [f"  {q} × {i['title']}  {_money(Decimal(i['price']) * q)}" for i, q in chosen]
        lines.append(
            f"restock: {'yes' if params.flag(given, 'restock', True) else 'no'};"
            f" notify the customer: {'yes' if params.flag(given, 'notify') else 'no'}"
        )
        return "\n".join([*lines, SIMULATED])

    def refund(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        def change(order: OrderSnapshot) -> tuple[OrderSnapshot, dict[str, Any]]:
            items = _refundable(order)
            chosen = self._refund_lines(order, given, items)
            amount = sum((Decimal(i["price"]) * q for i, q in chosen), Decimal(0))
            taken = {id(i): q for i, q in chosen}
            left = tuple({**i, "refundable": i["refundable"] - taken.get(id(i), 0)} for i in items)
            refund = Refund(
                external_id=f"demo-refund-{idempotency_key}",
                amount=_money(amount),
                currency=order.currency,
                created_at=self.clock().replace(microsecond=0),
                note=params.text(given, "note"),
                items=tuple({"title": i["title"], "quantity": q} for i, q in chosen),
            )
            whole = _left(order) - amount <= 0
            changed = replace(
                order,
                items=left,
                refunds=(*order.refunds, refund),
                financial_status="refunded" if whole else "partially_refunded",
            )
            what = ", ".join(f"{q} × {i['title']}" for i, q in chosen)
            text = f"refunded {refund.amount} {order.currency} on {order.number} ({what})"
            data = {"order": order.number, "refund": refund.external_id, "amount": refund.amount}
            return changed, {"text": text, "external_id": refund.external_id, "data": data}

        return self._change("refund", given, idempotency_key, change)

    # -- cancel -------------------------------------------------------------------------------

    @staticmethod
    def _cancellable(order: OrderSnapshot) -> None:
        if order.status == "cancelled":
            raise PermanentError(f"{order.number} is already cancelled")
        if order.fulfillment_status == "fulfilled":
            raise PermanentError(
                f"the demo shop refused to cancel {order.number}: it has shipped already;"
                " refund it, or ask for a return"
            )

    def cancel_preview(self, given: Mapping[str, Any]) -> str:
        reason, method = params.cancel_choices(given)
        order = self._order(given)
        self._cancellable(order)
        money = {"original": "to the original payment", "store_credit": "as store credit"}
        return (
            f"Cancel {order.number} ({order.fulfillment_status or 'unfulfilled'},"
            f" {order.total} {order.currency}): reason {reason};"
            f" money {money.get(method, 'not refunded')};"
            f" restock {'yes' if params.flag(given, 'restock', True) else 'no'};"
            f" notify the customer {'yes' if params.flag(given, 'notify') else 'no'}\n{SIMULATED}"
        )

    def cancel(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        reason, method = params.cancel_choices(given)

        def change(order: OrderSnapshot) -> tuple[OrderSnapshot, dict[str, Any]]:
            self._cancellable(order)
            left = _left(order)
            refunds = order.refunds
            if method != "none" and left > 0:
                refunds += (
                    Refund(
                        external_id=f"demo-refund-{idempotency_key}",
                        amount=_money(left),
                        currency=order.currency,
                        created_at=self.clock().replace(microsecond=0),
                        note=f"order cancelled ({reason})",
                    ),
                )
            changed = replace(
                order,
                status="cancelled",
                refunds=refunds,
                financial_status="refunded" if method != "none" else order.financial_status,
                tags=(*order.tags, "cancelled") if "cancelled" not in order.tags else order.tags,
            )
            text = f"cancelled {order.number} (reason {reason}, money {method.replace('_', ' ')})"
            return changed, {"text": text, "data": {"order": order.number}}

        return self._change("cancel", given, idempotency_key, change)

    # -- address ------------------------------------------------------------------------------

    def _address(self, order: OrderSnapshot, given: Mapping[str, Any]) -> Address:
        changes = {f: params.text(given, f) for f in ADDRESS_FIELDS if f in given}
        if not changes:
            raise PermanentError(f"say what to change: {', '.join(ADDRESS_FIELDS)}")
        return replace(order.shipping_address or Address(), **changes)

    @staticmethod
    def _where(address: Address | None) -> str:
        return address_text(address)

    def address_preview(self, given: Mapping[str, Any]) -> str:
        order = self._order(given)
        new = self._address(order, given)
        lines = [
            f"{order.number} ships to: {self._where(order.shipping_address)}",
            f"would ship to:  {self._where(new)}",
        ]
        if order.fulfillment_status == "fulfilled":
            lines.append("it is fulfilled already: the shop will refuse the change")
        return "\n".join([*lines, SIMULATED])

    def address(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        def change(order: OrderSnapshot) -> tuple[OrderSnapshot, dict[str, Any]]:
            if order.fulfillment_status == "fulfilled":
                raise ShopRefused(
                    f"the demo shop refused the address change on {order.number}: the shipping"
                    " address can't be changed because the order has been fulfilled"
                )
            new = self._address(order, given)
            text = f"{order.number} now ships to {self._where(new)}"
            return replace(order, shipping_address=new), {
                "text": text,
                "data": {"order": order.number, "address": asdict(new)},
            }

        return self._change("address", given, idempotency_key, change)

    # -- tracking -----------------------------------------------------------------------------

    def tracking_preview(self, given: Mapping[str, Any]) -> str:
        order = self._order(given)
        now = " ".join(
            filter(None, [params.text(given, "carrier"), params.required(given, "number")])
        )
        notify = "yes" if params.flag(given, "notify") else "no"
        if order.fulfillment_status != "fulfilled":
            return (
                f"{order.number} has not shipped: the demo shop would fulfil all its items and"
                f" track them as {now}; notify the customer: {notify}\n{SIMULATED}"
            )
        was = " ".join(filter(None, [order.carrier, order.tracking_number])) or "no tracking"
        return f"{order.number}: {was} → {now}; notify the customer: {notify}\n{SIMULATED}"

    def tracking(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        number = params.required(given, "number")
        carrier, url = params.text(given, "carrier"), params.text(given, "url")
        told = " (customer notified)" if params.flag(given, "notify") else ""

        def change(order: OrderSnapshot) -> tuple[OrderSnapshot, dict[str, Any]]:
            if order.status == "cancelled":
                raise ShopRefused(f"the demo shop refused: {order.number} is cancelled")
            shipped = order.fulfillment_status == "fulfilled"
            by = carrier or (order.carrier if shipped else "")
            # A page of the old carrier does not track the new number.
            page = url or (order.tracking_url if shipped and by == order.carrier else "")
            shipment = Fulfillment(
                external_id=f"demo-fulfillment-{idempotency_key}",
                status="success",
                delivery="in_transit",
                shipped_at=self.clock().replace(microsecond=0),
            )
            kept = order.fulfillments
            if shipped and order.fulfillments:
                kept, shipment = order.fulfillments[:-1], order.fulfillments[-1]
            shipment = replace(shipment, carrier=by, number=number, url=page)
            changed = replace(
                order,
                fulfillment_status="fulfilled",
                status=order.status if shipped else "in_transit",
                carrier=by,
                tracking_number=number,
                tracking_url=page,
                fulfillments=(*kept, shipment),
            )
            made = "" if shipped else "fulfilled and "
            text = f"{order.number} {made}tracked as {' '.join(filter(None, [by, number]))}{told}"
            return changed, {
                "text": text,
                "external_id": shipment.external_id,
                "data": {"order": order.number, "number": number, "carrier": by},
            }

        return self._change("tracking", given, idempotency_key, change)

    # -- replacement --------------------------------------------------------------------------

    @staticmethod
    def _replaceable(order: OrderSnapshot) -> None:
        if not order.items:
            raise PermanentError(f"{order.number} has no items to replace")
        if order.status == "cancelled":
            raise PermanentError(f"{order.number} is cancelled: there is nothing to replace")
        if order.fulfillment_status != "fulfilled":
            raise PermanentError(
                f"{order.number} has not shipped yet: change or cancel it instead of replacing it"
            )

    @staticmethod
    def _replacement_number(order: OrderSnapshot) -> str:
        return f"{order.number}-R{order.note.count('replaced by ') + 1}"

    def replacement_preview(self, given: Mapping[str, Any]) -> str:
        order = self._order(given)
        self._replaceable(order)
        items = "\n".join(f"  {i['quantity']} × {i['title']} at 0.00" for i in order.items)
        return (
            f"A new order {self._replacement_number(order)} replacing {order.number}, for"
            f" {order.customer_name or order.customer.value}, to {self._where(order.shipping_address)}:"
            f"\n{items}\n{SIMULATED}"
        )

    def replacement(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        now = self.clock().replace(microsecond=0)

        def make(order: OrderSnapshot) -> tuple[OrderSnapshot, OrderSnapshot, dict[str, Any]]:
            self._replaceable(order)
            number = self._replacement_number(order)
            made = replace(
                order,
                external_id=f"demo-replacement-{idempotency_key}",
                number=number,
                status="processing",
                placed_at=now,
                changed_at=now,
                total="0.00",
                fulfillment_status="unfulfilled",
                financial_status="paid",
                carrier="",
                tracking_number="",
                tracking_url="",
                items=tuple({**i, "price": "0.00", "refundable": 0} for i in order.items),
                note=params.text(given, "note") or f"Replacement for {order.number}",
                tags=("replacement",),
                fulfillments=(),
                refunds=(),
                ship_by=None,
                deliver_by=None,
            )
            line = f"replaced by {number}"
            changed = replace(
                order, note=f"{order.note}\n{line}" if order.note else line, changed_at=now
            )
            text = f"replacement order {number} for {order.number} (0.00 {order.currency})"
            return (
                changed,
                made,
                {
                    "text": text,
                    "external_id": made.external_id,
                    "data": {"order": order.number, "replacement": number},
                },
            )

        try:
            found = self.shop.make(
                idempotency_key, "replacement", params.required(given, "order"), make
            )
        except ShopRefused as exc:
            raise PermanentError(str(exc)) from None
        return _outcome(found)

    # -- note and tags ------------------------------------------------------------------------

    def note_preview(self, given: Mapping[str, Any]) -> str:
        order = self._order(given)
        text = params.required(given, "text")
        note = f"{order.note}\n{text}" if order.note else text
        return f"{order.number} note would read:\n{note}\n{SIMULATED}"

    def note(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        text = params.required(given, "text")

        def change(order: OrderSnapshot) -> tuple[OrderSnapshot, dict[str, Any]]:
            note = f"{order.note}\n{text}" if order.note else text
            return replace(order, note=note), {
                "text": f"note added to {order.number}",
                "data": {"order": order.number},
            }

        return self._change("note", given, idempotency_key, change)

    def tag_preview(self, given: Mapping[str, Any]) -> str:
        order = self._order(given)
        tags = sorted(set(order.tags) | set(_tags(given)))
        return f"{order.number} tags would be: {', '.join(tags)}\n{SIMULATED}"

    def tag(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        tags = _tags(given)

        def change(order: OrderSnapshot) -> tuple[OrderSnapshot, dict[str, Any]]:
            merged = (*order.tags, *(t for t in tags if t not in order.tags))
            return replace(order, tags=merged), {
                "text": f"tagged {order.number} {', '.join(tags)}",
                "data": {"order": order.number, "tags": tags},
            }

        return self._change("tag", given, idempotency_key, change)


def _tags(given: Mapping[str, Any]) -> list[str]:
    tags = params.words(given, "tags")
    if not tags:
        raise PermanentError("tags is required")
    return tags


def demo_order_actions(shop: SimulatedShop, clock: Callable[[], datetime]) -> list[ConnectorAction]:
    """The simulated shop's actions; the shop keeps each key's outcome, so all are idempotent."""
    orders = DemoOrders(shop, clock)
    offered = (
        ("refund", "Refund the order or chosen items (items=2:1,3), or to store credit"),
        ("cancel", "Cancel the order (reason, restock, notify, refund=original|store_credit|none)"),
        ("address", "Change the shipping address (address1=..., city=..., zip=..., ...)"),
        ("tracking", "Add or correct tracking; an unshipped order is fulfilled (number=...)"),
        ("note", "Add a line to the order's note (text=...)"),
        ("tag", "Tag the order (tags=a,b)"),
        ("replacement", "Send the order's items again as a new order at zero price (note=...)"),
    )
    return [
        ConnectorAction(
            name,
            description,
            getattr(orders, name),
            preview=getattr(orders, f"{name}_preview"),
            idempotent=True,
        )
        for name, description in offered
    ]
