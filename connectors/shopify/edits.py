"""Order changes that move no money: shipping address, tracking, note, tags, a replacement.

Each has a `confirm` that looks at the order in Shopify, so an interrupted change is settled by
checking instead of guessing: done when Shopify already shows it, sent again when it does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from deskterm.connector import ActionOutcome, ConnectorAction, PermanentError
from deskterm.domain import Address, Fulfillment

from .. import params
from . import documents
from .actions import Current, Shop

ADDRESS_FIELDS = tuple(asdict(Address()))
# Address fields as Shopify's MailingAddressInput (camelCase) names them.
ADDRESS_INPUT = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company": "company",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "province": "provinceCode",
    "zip": "zip",
    "country": "countryCode",
    "phone": "phone",
}


def one_line(address: Address | None) -> str:
    if address is None:
        return "(no address)"
    name = " ".join(filter(None, [address.first_name, address.last_name]))
    parts = [
        name,
        address.company,
        address.address1,
        address.address2,
        " ".join(filter(None, [address.zip, address.city])),
        address.province,
        address.country,
    ]
    return ", ".join(p for p in parts if p)


class Edits:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    # -- shipping address ---------------------------------------------------------------------

    def _address(self, given: Mapping[str, Any]) -> tuple[Current, Address]:
        current = self.shop.current(given)
        changes = {f: params.text(given, f) for f in ADDRESS_FIELDS if f in given}
        if not changes:
            raise PermanentError(f"say what to change: {', '.join(ADDRESS_FIELDS)}")
        return current, replace(current.snapshot.shipping_address or Address(), **changes)

    def address_preview(self, given: Mapping[str, Any]) -> str:
        current, new = self._address(given)
        lines = [
            f"{current.name} ships to: {one_line(current.snapshot.shipping_address)}",
            f"would ship to:  {one_line(new)}",
        ]
        if current.snapshot.fulfillment_status == "fulfilled":
            lines.append("it is fulfilled already: Shopify is likely to refuse the change")
        return "\n".join(lines)

    def address_confirm(
        self, given: Mapping[str, Any], *, idempotency_key: str
    ) -> ActionOutcome | None:
        current, new = self._address(given)
        if current.snapshot.shipping_address == new:
            return ActionOutcome(f"{current.name} ships to {one_line(new)}")
        return None

    def address(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        current, new = self._address(given)
        shipping = {ADDRESS_INPUT[f]: getattr(new, f) or None for f in ADDRESS_FIELDS}
        data = self.shop.api.call(
            documents.ORDER_UPDATE, {"input": {"id": current.gid, "shippingAddress": shipping}}
        )
        self.shop.accepted("the address change", current.name, data.get("orderUpdate"))
        return ActionOutcome(
            f"{current.name} now ships to {one_line(new)}",
            data={"order": current.name, "address": asdict(new)},
        )

    # -- tracking -----------------------------------------------------------------------------

    def _fulfillment(self, current: Current, given: Mapping[str, Any]) -> Fulfillment | None:
        """The shipment to track: the one named, else the latest; None when the order has not
        shipped, so tracking it means fulfilling it."""
        wanted = params.text(given, "fulfillment")
        shipments = [f for f in current.snapshot.fulfillments if f.status != "cancelled"]
        if wanted:
            shipments = [f for f in shipments if f.external_id == wanted]
            if not shipments:
                raise PermanentError(f"{current.name} has no fulfillment {wanted}")
        if not shipments:
            return None
        return max(shipments, key=lambda f: f.shipped_at.isoformat() if f.shipped_at else "")

    def _to_fulfil(self, current: Current) -> list[str]:
        """The order's fulfillment orders this app may fulfil; when there are none, what Shopify
        requires instead."""
        found = self.shop.api.call(documents.FULFILLMENT_ORDERS, {"id": current.gid})
        nodes = found["order"]["fulfillmentOrders"]["nodes"]
        ours = [
            n["id"]
            for n in nodes
            if any(a["action"] == "CREATE_FULFILLMENT" for a in n["supportedActions"])
        ]
        if not ours:
            states = ", ".join(sorted({n["status"].lower() for n in nodes})) or "none"
            raise PermanentError(
                f"{current.name} has no fulfillment order this app can fulfil (Shopify lists:"
                f" {states}); Shopify creates a shipment only from an open fulfillment order of"
                " a location the shop ships from itself, so fulfil it where it is handled"
                " (a fulfillment service, or Shopify's admin)"
            )
        return ours

    @staticmethod
    def _tracking(given: Mapping[str, Any]) -> dict[str, str]:
        tracking = {"number": params.required(given, "number")}
        for key in ("carrier", "url"):
            if params.text(given, key):
                tracking["company" if key == "carrier" else key] = params.text(given, key)
        return tracking

    def tracking_preview(self, given: Mapping[str, Any]) -> str:
        current = self.shop.current(given)
        shipment = self._fulfillment(current, given)
        now = " ".join(
            filter(None, [params.text(given, "carrier"), params.required(given, "number")])
        )
        notify = "yes" if params.flag(given, "notify") else "no"
        if shipment is None:
            count = len(self._to_fulfil(current))
            return (
                f"{current.name} has not shipped: Shopify would fulfil what is left of it"
                f" ({count} fulfillment order{'s' if count > 1 else ''}) tracked as {now};"
                f" notify the customer: {notify}"
            )
        was = " ".join(filter(None, [shipment.carrier, shipment.number])) or "no tracking"
        return f"{current.name}: {was} → {now}; notify the customer: {notify}"

    def tracking_confirm(
        self, given: Mapping[str, Any], *, idempotency_key: str
    ) -> ActionOutcome | None:
        current = self.shop.current(given)
        shipment = self._fulfillment(current, given)
        if shipment is not None and shipment.number == params.required(given, "number"):
            return ActionOutcome(f"{current.name} is tracked as {shipment.number}")
        return None

    def tracking(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        current = self.shop.current(given)
        shipment = self._fulfillment(current, given)
        tracking = self._tracking(given)
        notify = params.flag(given, "notify")
        if shipment is None:
            orders = self._to_fulfil(current)
            data = self.shop.api.call(
                documents.FULFILLMENT_CREATE,
                {
                    "fulfillment": {
                        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": o} for o in orders],
                        "notifyCustomer": notify,
                        "trackingInfo": tracking,
                    }
                },
            )
            made = self.shop.accepted("the shipment", current.name, data.get("fulfillmentCreate"))
            shipment_id, done = made["fulfillment"]["id"], "fulfilled and tracked as"
        else:
            data = self.shop.api.call(
                documents.TRACKING_UPDATE,
                {"id": shipment.external_id, "tracking": tracking, "notify": notify},
            )
            self.shop.accepted(
                "the tracking update", current.name, data.get("fulfillmentTrackingInfoUpdate")
            )
            shipment_id, done = shipment.external_id, "tracking is now"
        told = " (customer notified)" if notify else ""
        shown = " ".join(filter(None, [tracking.get("company"), tracking["number"]]))
        return ActionOutcome(
            f"{current.name} {done} {shown}{told}",
            external_id=shipment_id,
            data={"order": current.name, **tracking},
        )

    # -- note and tags ------------------------------------------------------------------------

    def note_preview(self, given: Mapping[str, Any]) -> str:
        current = self.shop.current(given)
        note = _with_note(current.snapshot.note, params.required(given, "text"))
        return f"{current.name} note would read:\n{note}"

    def note_confirm(
        self, given: Mapping[str, Any], *, idempotency_key: str
    ) -> ActionOutcome | None:
        current = self.shop.current(given)
        if params.required(given, "text") in current.snapshot.note:
            return ActionOutcome(f"{current.name} note has it")
        return None

    def note(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        current = self.shop.current(given)
        note = _with_note(current.snapshot.note, params.required(given, "text"))
        data = self.shop.api.call(
            documents.ORDER_UPDATE, {"input": {"id": current.gid, "note": note}}
        )
        self.shop.accepted("the note", current.name, data.get("orderUpdate"))
        return ActionOutcome(f"note added to {current.name}", data={"order": current.name})

    def _tags(self, given: Mapping[str, Any]) -> list[str]:
        tags = params.words(given, "tags")
        if not tags:
            raise PermanentError("tags is required")
        return tags

    def tag_preview(self, given: Mapping[str, Any]) -> str:
        current = self.shop.current(given)
        tags = sorted(set(current.snapshot.tags) | set(self._tags(given)))
        return f"{current.name} tags would be: {', '.join(tags)}"

    def tag_confirm(
        self, given: Mapping[str, Any], *, idempotency_key: str
    ) -> ActionOutcome | None:
        current = self.shop.current(given)
        if set(self._tags(given)) <= set(current.snapshot.tags):
            return ActionOutcome(f"{current.name} is tagged {', '.join(self._tags(given))}")
        return None

    def tag(self, given: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
        tags = self._tags(given)
        gid = self.shop.order_id(given)
        data = self.shop.api.call(documents.TAGS_ADD, {"id": gid, "tags": tags})
        self.shop.accepted("the tags", params.text(given, "order"), data.get("tagsAdd"))
        return ActionOutcome(
            f"tagged {params.text(given, 'order')} {', '.join(tags)}",
            data={"order": params.text(given, "order"), "tags": tags},
        )


def _with_note(old: str, added: str) -> str:
    return f"{old}\n{added}" if old else added


def edit_actions(shop: Shop) -> list[ConnectorAction]:
    from .replacement import Replacements

    edits, replacements = Edits(shop), Replacements(shop)
    return [
        ConnectorAction(
            "address",
            "Change the shipping address (address1=..., city=..., zip=..., country=DE, ...)",
            edits.address,
            preview=edits.address_preview,
            confirm=edits.address_confirm,
        ),
        ConnectorAction(
            "tracking",
            "Add or correct tracking; an unshipped order is fulfilled (number=..., carrier=...)",
            edits.tracking,
            preview=edits.tracking_preview,
            confirm=edits.tracking_confirm,
        ),
        ConnectorAction(
            "note",
            "Add a line to the order's note (text=...)",
            edits.note,
            preview=edits.note_preview,
            confirm=edits.note_confirm,
        ),
        ConnectorAction(
            "tag",
            "Tag the order (tags=a,b)",
            edits.tag,
            preview=edits.tag_preview,
            confirm=edits.tag_confirm,
        ),
        ConnectorAction(
            "replacement",
            "Create a draft order with the original's items at zero price",
            replacements.run,
            preview=replacements.preview,
            confirm=replacements.confirm,
        ),
    ]
