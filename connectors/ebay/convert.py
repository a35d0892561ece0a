"""eBay's JSON as deskterm's records: messages as InboundMessage, orders as OrderSnapshot. Pure.

Buyers are `ebay` identities as eBay names them; an order also names the buyer's email address
while eBay still shows it, so a buyer whose eBay name changes (US members are moving to
immutable user ids) stays one customer through the orders that carry both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from deskterm.content import html_to_markdown, sanitize
from deskterm.domain import (
    Address,
    Attachment,
    Direction,
    Fulfillment,
    Identity,
    InboundMessage,
    OrderSnapshot,
    from_iso,
)

from .api import EBAY

IDENTITY = "ebay"
# eBay order numbers as buyers quote them: 12-34567-89012.
ORDER_NUMBER = re.compile(r"\b\d{2}-\d{5}-\d{5}\b")
_HTML = re.compile(r"<(?:p|br|div|table|a|b|strong|html|body|span|img)\b", re.IGNORECASE)
# Where a message came from, for the mailbox changes that mark it read: ebay:<type>:<conversation>.
LOCATION = "ebay:{kind}:{conversation}"
NOTICE_SENDER = "eBay"


def parse_time(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _text(body: str) -> tuple[str, str | None]:
    """The message as text, and the original HTML when eBay sent HTML (its notices do)."""
    body = sanitize(body or "")
    if _HTML.search(body):
        return html_to_markdown(body), body
    return body, None


def inbound(
    account: str,
    conversation: dict,
    message: dict,
    *,
    kind: str,
    seller: str,
    received: datetime,
    attachments: Sequence[Attachment] = (),
    warnings: Sequence[str] = (),
) -> InboundMessage:
    """One eBay message. Ours (sent on eBay's site) are outgoing on the buyer's ticket; eBay's own
    notices are automatic: stored and shown, never answered by a rule. A message without a date
    counts from `received`."""
    sender = message.get("senderUsername") or (NOTICE_SENDER if kind == EBAY else "")
    ours = bool(seller) and sender.lower() == seller.lower()
    buyer = message.get("recipientUsername", "") if ours else sender
    text, html = _text(message.get("messageBody", ""))
    reference = conversation.get("referenceId") if conversation.get("referenceType") else None
    conversation_id = conversation["conversationId"]
    return InboundMessage(
        account=account,
        external_id=message["messageId"],
        channel="ebay",
        sender=Identity(IDENTITY, buyer),
        sender_name="" if ours else sender,
        sent_at=parse_time(message.get("createdDate"))
        or parse_time(conversation.get("createdDate"))
        or received,
        text=text,
        html=html,
        subject=sanitize(conversation.get("conversationTitle") or message.get("subject") or ""),
        conversation_id=conversation_id,
        direction=Direction.OUT if ours else Direction.IN,
        automatic=kind == EBAY,
        attachments=tuple(attachments),
        order_numbers=tuple(dict.fromkeys(ORDER_NUMBER.findall(text))),
        listing_refs=(reference,) if reference else (),
        warnings=tuple(warnings),
        raw_path=LOCATION.format(kind=kind, conversation=conversation_id),
    )


def _amount(value: dict | None) -> tuple[str, str]:
    value = value or {}
    return str(value.get("value", "0.00")), str(value.get("currency", "USD"))


def _item(line: dict) -> dict:
    price, _ = _amount(line.get("lineItemCost"))
    quantity = int(line.get("quantity") or 1)
    unit = f"{float(price) / quantity:.2f}" if quantity else price
    item = {
        "id": line.get("lineItemId", ""),
        "listing": line.get("legacyItemId", ""),
        "title": line.get("title", ""),
        "quantity": quantity,
        "price": unit,
    }
    if line.get("sku"):
        item["sku"] = line["sku"]
    return item


def _ship_to(order: dict) -> tuple[Address | None, str]:
    """The shipping address of the first shipping instruction, and the name on it."""
    for instruction in order.get("fulfillmentStartInstructions") or ():
        contact = (instruction.get("shippingStep") or {}).get("shipTo")
        if not contact:
            continue
        where = contact.get("contactAddress") or {}
        name = contact.get("fullName", "")
        first, _, last = name.partition(" ")
        phone = (contact.get("primaryPhone") or {}).get("phoneNumber", "")
        return (
            Address(
                first_name=first,
                last_name=last,
                company=contact.get("companyName", ""),
                address1=where.get("addressLine1", ""),
                address2=where.get("addressLine2", ""),
                city=where.get("city", ""),
                province=where.get("stateOrProvince", ""),
                zip=where.get("postalCode", ""),
                country=where.get("countryCode", ""),
                phone=phone,
            ),
            name,
        )
    return None, ""


# Tracking pages of the carriers eBay sellers use most, by eBay's carrier code (upper case).
TRACKING_PAGES = {
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FEDEX": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={}",
    "ROYALMAIL": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "CANADAPOST": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    "AUSTRALIAPOST": "https://auspost.com.au/mypost/track/#/details/{}",
    "DEUTSCHEPOST": "https://www.deutschepost.de/sendung/simpleQueryResult.html?form.sendungsnummer={}",
}


def tracking_page(carrier: str, number: str) -> str:
    """The carrier's public tracking page for `number`, when deskterm knows the carrier."""
    page = TRACKING_PAGES.get(re.sub(r"[^A-Z]", "", carrier.upper()))
    return page.format(quote(number, safe="")) if page and number else ""


def _fulfillment(shipment: dict) -> Fulfillment:
    carrier = shipment.get("shippingCarrierCode", "")
    number = shipment.get("shipmentTrackingNumber", "")
    return Fulfillment(
        external_id=shipment.get("fulfillmentId", ""),
        status="shipped",
        carrier=carrier,
        number=number,
        url=tracking_page(carrier, number),
        shipped_at=parse_time(shipment.get("shippedDate")),
    )


CANCEL_IN_PROGRESS = "IN_PROGRESS"


def cancel_state(order: dict) -> str:
    return (order.get("cancelStatus") or {}).get("cancelState", "")


def _status(order: dict) -> str:
    state = cancel_state(order)
    if state == "CANCELED":
        return "cancelled"
    return "cancel requested" if state == CANCEL_IN_PROGRESS else "open"


def _note(order: dict) -> str:
    """The buyer's checkout note, and the cancellation requests still open (from getOrder)."""
    lines = [order.get("buyerCheckoutNotes", "")]
    for request in (order.get("cancelStatus") or {}).get("cancelRequests") or ():
        if request.get("cancelRequestState") == "REQUESTED":
            who = request.get("cancelInitiator") or "the buyer"
            reason = request.get("cancelReason") or "no reason given"
            lines.append(f"Cancellation requested by {who}: {reason}")
    return sanitize("\n".join(line for line in lines if line))


def snapshot(account: str, order: dict, shipments: Sequence[dict]) -> OrderSnapshot:
    """One Fulfillment API order with its shipments."""
    buyer = order.get("buyer") or {}
    username = buyer.get("username", "")
    contact = buyer.get("buyerRegistrationAddress") or {}
    identities = [Identity(IDENTITY, username)] if username else []
    if contact.get("email"):
        identities.append(Identity("email", contact["email"]))
    address, ship_name = _ship_to(order)
    total, currency = _amount((order.get("pricingSummary") or {}).get("total"))
    fulfillments = tuple(_fulfillment(s) for s in shipments)
    latest = max(
        fulfillments, key=lambda f: f.shipped_at.timestamp() if f.shipped_at else 0, default=None
    )
    return OrderSnapshot(
        account=account,
        external_id=order["orderId"],
        number=order["orderId"],
        customer=Identity(IDENTITY, username),
        status=_status(order),
        placed_at=from_iso(order["creationDate"]),
        total=total,
        currency=currency,
        fulfillment_status=str(order.get("orderFulfillmentStatus", "")).lower(),
        financial_status=str(order.get("orderPaymentStatus", "")).lower(),
        carrier=latest.carrier if latest else "",
        tracking_number=latest.number if latest else "",
        tracking_url=latest.url if latest else "",
        items=tuple(_item(line) for line in order.get("lineItems") or ()),
        customer_name=contact.get("fullName") or ship_name,
        identities=tuple(identities),
        note=_note(order),
        shipping_address=address,
        fulfillments=fulfillments,
        customer_ref=username,
        changed_at=parse_time(order.get("lastModifiedDate")),
    )
