"""The words of the helpdesk: statuses, priorities, channels and the records that move between parts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, ClassVar


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        """True while the ticket still needs work (it is in the queue)."""
        return self not in (Status.SOLVED, Status.CLOSED)

    @property
    def waits(self) -> bool:
        """True while the ticket waits on someone else, which pauses SLA clocks."""
        return self in (Status.PENDING, Status.ON_HOLD)


# Which status changes a person may make. Closed is final: a new message opens a new ticket.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"


class Channel(StrEnum):
    """The channels deskterm ships connectors for. The set is open: any string is a valid channel."""

    EMAIL = "email"
    EBAY = "ebay"
    AMAZON = "amazon"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    DEMO = "demo"


DEFAULT_ESCALATION_LEVELS = ("tier 1", "tier 2", "lead")

# Articles and macros are read through once a quarter, as support playbooks advise; older ones are
# reported by `kb check` and `macro check`.
REVIEW_EVERY = timedelta(days=90)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def local_zone() -> tzinfo:
    """The machine's time zone, as its clock shows it now."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC  # astimezone() always names one; typeshed allows None


def to_iso(moment: datetime) -> str:
    """The one text form of a moment in the store: UTC, seconds, sortable as text."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: deskterm stores only aware times")
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    # isoformat, not strftime: this runs several times for every message written.
    return moment.isoformat(timespec="seconds")[:19] + "Z"


# Event data and cursors are stored with sorted keys, so equal data is equal text. One encoder for
# all of them: json.dumps(..., sort_keys=True) builds a new encoder on every call.
canonical_json = json.JSONEncoder(sort_keys=True).encode


def from_iso(text: str) -> datetime:
    """Read a moment written by to_iso (or any ISO 8601 time with an offset), in UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; add Z or an offset like +01:00")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Account:
    """A configured account as stored in the `accounts` table (secrets live in the keyring).

    `enabled` is False for an account the user switched off: kept, but not synced.
    """

    name: str
    connector: str
    channel: str
    address: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class AccountSync:
    """An account as the queue's header shows it: how its last sync went (None: never synced)
    and how many of its replies wait in the outbox."""

    name: str
    channel: str
    connector: str
    enabled: bool = True
    state: str | None = None
    last_attempt_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    outbox_waiting: int = 0


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """One way to reach a customer on one channel: an email address, an eBay user name, ..."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Customer:
    """One customer across channels: the name they gave and every identity, first known first."""

    id: int
    name: str
    identities: tuple[Identity, ...]


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as the store holds it, with its customer's name and identities and its tags.

    Moments are the store's ISO text, as the queue's rows carry them.
    """

    id: int
    customer_id: int
    account: str
    channel: str
    subject: str
    status: str
    priority: str
    escalation: int
    assignee: str | None
    snoozed_until: str | None
    next_deadline: str | None
    sla_state: str
    conversation_id: str | None
    order_id: int | None
    merged_into: int | None
    created_at: str
    updated_at: str
    last_message_at: str
    warn_at: str | None
    sla_recheck_at: str | None
    lang: str | None  # what offline triage read (deskterm.triage); None: not read yet
    intent: str | None
    mood: str | None
    gid: str | None  # the ticket's id across a team's replicas (deskterm.team); None: not shared
    customer_name: str
    tags: tuple[str, ...]
    identities: tuple[Identity, ...]


@dataclass(frozen=True, slots=True)
class Message:
    """A message of a ticket's thread as the store holds it; a reply carries its delivery too."""

    id: int
    direction: str
    author_name: str
    author_addr: str
    subject: str
    text: str
    html: str | None
    message_id: str | None
    automatic: bool
    attachments: tuple[Attachment, ...]
    warnings: tuple[str, ...]
    sent_at: str
    outbox_id: int | None = None
    delivery: str | None = None
    delivery_error: str | None = None


@dataclass(frozen=True, slots=True)
class NewMail:
    """Customer mail that reached an agent's ticket, as a notification names it."""

    ticket_id: int
    subject: str
    author_name: str | None
    author_addr: str | None


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a ticket's timeline as the store holds it, its data decoded.

    `author` is the database role that wrote a team's event; `overrode` the change by another
    agent, unseen by this one's writer, that it won over (deskterm.team). Both None otherwise.
    """

    id: int
    at: str
    actor: str
    kind: str
    data: dict[str, Any]
    undone_by: int | None = None
    author: str | None = None
    overrode: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """The outbox item a reply queued: where it stands, and the account sending it."""

    id: int
    status: str
    account: str


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """An event a macro's application (or its undo) wrote, with the outbox item of a reply."""

    id: int
    ticket_id: int
    at: str
    actor: str
    kind: str
    data: dict[str, Any]
    outbox: QueuedReply | None = None


@dataclass(frozen=True, slots=True)
class TicketLine:
    """A ticket as a one-line list names it: a customer's tickets, the oldest one waiting."""

    id: int
    subject: str
    status: str
    channel: str
    created_at: str


@dataclass(frozen=True, slots=True)
class SlaCrossing:
    """An active ticket whose SLA moment just passed: `crossed` is 'warning' or 'breached'."""

    id: int
    subject: str
    crossed: str


@dataclass(slots=True)
class InboundMessage:
    """A message as a connector hands it to ingest, already decoded to text."""

    account: str
    external_id: str
    channel: str
    sender: Identity
    sent_at: datetime
    text: str
    sender_name: str = ""
    subject: str = ""
    html: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    conversation_id: str | None = None
    direction: Direction = Direction.IN
    automatic: bool = False
    attachments: tuple[Attachment, ...] = ()
    order_numbers: tuple[str, ...] = ()
    # Marketplace listings (eBay item ids) the conversation is about: the ticket links to the
    # customer's latest order of one of them when no order number does.
    listing_refs: tuple[str, ...] = ()
    extra_identities: tuple[Identity, ...] = ()
    warnings: tuple[str, ...] = ()
    raw_path: str | None = None
    # An outgoing message that came in through a pull or an import (the shop's own mail in an
    # archive): who wrote it, as it said. `sender` is then the customer it went to.
    author_name: str = ""
    author_addr: str = ""


@dataclass(slots=True)
class Batch:
    """What one pull returns: messages and the cursor to store with them, in one transaction."""

    messages: list[InboundMessage]
    cursor: dict
    folder: str = ""
    orders: list[OrderSnapshot] = field(default_factory=list)
    customers: list[CustomerProfile] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address as every channel has one; `province` and `country` are codes (CA, US)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    province: str = ""
    zip: str = ""
    country: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Fulfillment:
    """One shipment of an order: its carrier and tracking, and how far delivery has got.

    `status` is the shipment's own state (success, cancelled, ...); `delivery` what the carrier
    last said (in_transit, out_for_delivery, delivered, failure, ...), empty when unknown.
    """

    external_id: str
    status: str = ""
    delivery: str = ""
    carrier: str = ""
    number: str = ""
    url: str = ""
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    """Money given back on an order; `items` are {"title", "quantity"} of what it covered."""

    external_id: str
    amount: str
    currency: str
    created_at: datetime
    note: str = ""
    items: tuple[dict, ...] = ()


@dataclass(slots=True)
class CustomerProfile:
    """A customer as one account (a shop, a seller account) knows them, with lifetime figures.

    `identities` are every email address and phone number the account has for them; ingest links
    them all to one deskterm customer.
    """

    account: str
    external_id: str
    name: str = ""
    identities: tuple[Identity, ...] = ()
    orders_count: int = 0
    amount_spent: str = "0.00"
    currency: str = "USD"
    tags: tuple[str, ...] = ()
    note: str = ""
    admin_url: str = ""
    changed_at: datetime | None = None


@dataclass(slots=True)
class OrderSnapshot:
    """An order as a channel last showed it, the same shape for Shopify, eBay and Amazon.

    `customer` and `identities` are every way the order names its buyer (the customer's and the
    order's own email addresses, phone numbers, marketplace handles): a ticket from any of them
    sees the order. `items` are dicts with "title", "quantity", "price" (per unit, as text) and,
    where the channel has them, "id", "sku", "variant" and "refundable" (quantity left to refund).
    `carrier`, `tracking_number` and `tracking_url` repeat the latest fulfillment's tracking.
    `customer_ref` is the channel's id of the buyer (CustomerProfile.external_id); `changed_at`
    the channel's last change to the order, which incremental pulls page by. `ship_by` and
    `deliver_by` are the latest moments the marketplace promised the buyer, where it has them.
    """

    account: str
    external_id: str
    number: str
    customer: Identity
    status: str
    placed_at: datetime
    total: str = "0.00"
    currency: str = "USD"
    fulfillment_status: str = ""
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    items: tuple[dict, ...] = ()
    customer_name: str = ""
    identities: tuple[Identity, ...] = ()
    financial_status: str = ""
    note: str = ""
    tags: tuple[str, ...] = ()
    shipping_address: Address | None = None
    fulfillments: tuple[Fulfillment, ...] = ()
    refunds: tuple[Refund, ...] = ()
    status_url: str = ""
    admin_url: str = ""
    customer_ref: str = ""
    changed_at: datetime | None = None
    ship_by: datetime | None = None
    deliver_by: datetime | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the store holds it: every orders column in table order.

    Its own moments are the store's ISO text, as Ticket's are; its shipments and refunds are the
    records an OrderSnapshot carries, and its items the channel's dicts, as described there.
    """

    id: int
    account: str
    external_id: str
    number: str
    customer_id: int | None
    status: str
    fulfillment_status: str
    total: str
    currency: str
    placed_at: str
    carrier: str
    tracking_number: str
    tracking_url: str
    items: tuple[dict, ...]
    updated_at: str
    financial_status: str
    note: str
    tags: tuple[str, ...]
    shipping_address: Address | None
    fulfillments: tuple[Fulfillment, ...]
    refunds: tuple[Refund, ...]
    status_url: str
    admin_url: str
    customer_ref: str | None
    changed_at: str | None
    ship_by: str | None
    deliver_by: str | None


@dataclass(frozen=True, slots=True)
class BuyerProfile:
    """What one account knows of a customer as the store holds it (customer_profiles, in order)."""

    account: str
    external_id: str
    customer_id: int | None
    name: str
    orders_count: int
    amount_spent: str
    currency: str
    tags: tuple[str, ...]
    note: str
    admin_url: str
    changed_at: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A reply in the outbox as people see it: where it stands, and to whom and about what."""

    id: int
    ticket_id: int
    account: str
    status: str  # queued, sending, failed, sent, cancelled (team: held by the team's server)
    attempts: int
    last_error: str | None
    next_attempt_at: str
    created_at: str
    sent_at: str | None
    external_id: str | None
    recipient: str | None
    subject: str | None


@dataclass(frozen=True, slots=True)
class Outbound:
    """A queued reply as the sync engine hands it to a connector's send()."""

    outbox_id: int
    ticket_id: int
    account: str
    channel: str
    to: Identity
    subject: str
    body: str
    message_id: str
    idempotency_key: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    conversation_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # When the reply was queued: a channel without idempotency keys looks for it from then on.
    queued_at: datetime | None = None
    # Sent by a rule, not a person: marked Auto-Submitted: auto-replied (RFC 3834).
    automatic: bool = False
    # Copies to other addresses (mail only).
    cc: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MailboxChange:
    """A change an account's own mailbox should follow, as the sync engine hands it to a connector.

    `change` is SEEN (an agent read the message) or ARCHIVE (its ticket was solved).
    `location` is where the connector said the message was (InboundMessage.raw_path).
    """

    SEEN: ClassVar[str] = "seen"
    ARCHIVE: ClassVar[str] = "archive"

    change_id: int
    change: str
    location: str | None
    message_id: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a user's file (a macro, a rule): an error keeps it out, a warning not."""

    source: str
    message: str
    error: bool = True

    def __str__(self) -> str:
        return f"{'error' if self.error else 'warning'}: {self.source}: {self.message}"
