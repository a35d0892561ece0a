"""The buyer message types of Amazon's Messaging API, their fields, and which ones an order allows.

Amazon decides per order and per moment which types may be sent (getMessagingActionsForOrder);
deskterm offers exactly those it can fill in, and says why the others are not offered.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BodyField:
    name: str
    label: str
    max_length: int = 0
    required: bool = True


@dataclass(frozen=True, slots=True)
class MessageType:
    name: str
    operation: str
    label: str
    fields: tuple[BodyField, ...] = ()
    # Types that carry a file need Amazon's Uploads API, which deskterm does not speak yet.
    needs_upload: bool = False


def _text(max_length: int) -> BodyField:
    return BodyField("text", "Message to the buyer", max_length=max_length)


MESSAGE_TYPES = {
    t.name: t
    for t in (
        MessageType(
            "unexpectedProblem",
            "createUnexpectedProblem",
            "Unexpected problem with the order",
            (_text(2000),),
        ),
        MessageType(
            "confirmDeliveryDetails",
            "createConfirmDeliveryDetails",
            "Confirm delivery details",
            (_text(2000),),
        ),
        MessageType(
            "confirmOrderDetails",
            "createConfirmOrderDetails",
            "Confirm order details",
            (_text(2000),),
        ),
        MessageType(
            "confirmServiceDetails",
            "createConfirmServiceDetails",
            "Confirm home service details",
            (_text(2000),),
        ),
        MessageType(
            "confirmCustomizationDetails",
            "confirmCustomizationDetails",
            "Confirm customization details",
            (_text(800),),
        ),
        MessageType(
            "digitalAccessKey", "createDigitalAccessKey", "Digital access key", (_text(400),)
        ),
        MessageType("warranty", "CreateWarranty", "Warranty information", needs_upload=True),
        MessageType(
            "legalDisclosure", "createLegalDisclosure", "Legal disclosure", needs_upload=True
        ),
        MessageType("invoice", "sendInvoice", "Invoice", needs_upload=True),
    )
}


@dataclass(frozen=True, slots=True)
class Offer:
    """One message type for one order: sendable, or the reason it is not offered."""

    name: str
    label: str
    reason: str = ""

    @property
    def available(self) -> bool:
        return not self.reason


def offers(allowed: list[str]) -> list[Offer]:
    """Every type deskterm knows, in the table's order, then any other type Amazon allows."""
    allowed_set = set(allowed)
    found = []
    for kind in MESSAGE_TYPES.values():
        if kind.name not in allowed_set:
            reason = "Amazon does not allow this message for the order now"
        elif kind.needs_upload:
            reason = "needs a file through Amazon's Uploads API, which deskterm cannot send yet"
        else:
            reason = ""
        found.append(Offer(kind.name, kind.label, reason))
    found += [
        Offer(
            name, name, "Amazon allows it, but deskterm cannot send this type; use Seller Central"
        )
        for name in allowed
        if name not in MESSAGE_TYPES and name != "attributes"
    ]
    return found


class MessageError(ValueError):
    """A message's fields do not fit its type; the text says which and why."""


def message_body(kind: str, values: dict[str, str]) -> dict:
    """The request body for `kind` from the form `values`, checked against the type's limits."""
    message_type = MESSAGE_TYPES.get(kind)
    if message_type is None:
        raise MessageError(f"{kind!r} is not an Amazon message type deskterm can send")
    if message_type.needs_upload:
        raise MessageError(f"{message_type.label} needs a file upload, which deskterm cannot send")
    body: dict[str, str] = {}
    for field in message_type.fields:
        value = (values.get(field.name) or "").strip()
        if not value:
            if field.required:
                raise MessageError(f"{field.label} is empty")
            continue
        if field.max_length and len(value) > field.max_length:
            raise MessageError(
                f"{field.label} has {len(value)} characters; Amazon takes at most {field.max_length}"
            )
        body[field.name] = value
    unknown = set(values) - {f.name for f in message_type.fields}
    if unknown:
        raise MessageError(f"{message_type.label} has no field {', '.join(sorted(unknown))}")
    return body
