"""The demo shop: its name and agents, its customers, their orders and what they write about, as
each channel's connector would hand a message over. Pure data and generators; the workspace builder
and the live demo channel both draw from here. Same random state, same customers and messages.
"""

from __future__ import annotations

import random
import sqlite3
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from deskterm.domain import Identity, InboundMessage, OrderSnapshot, Priority

SHOP_DOMAIN = "northwind-outfitters.example"
# The [shop] settings the demo's workspace works with (deskterm.cli.common.workspace_config).
SHOP_SETTINGS = {
    "name": "Northwind Outfitters",
    "url": f"https://{SHOP_DOMAIN}",
    "signature": "Northwind Outfitters customer care",
    "addresses": [f"support@{SHOP_DOMAIN}"],
}
AGENTS = ("anna", "ben", "chloe", "dev")
# Who you are in the demo: one of its agents, with tickets of her own.
YOU = AGENTS[0]

# The meta row that marks a database as a demo workspace deskterm built: only such a file is ever
# deleted and rebuilt by `deskterm demo`.
DEMO_MARK = ("workspace", "demo")


def is_demo_workspace(path: Path) -> bool:
    """True when the database at `path` was built by deskterm.demo (read without changing it)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (DEMO_MARK[0],)).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return row is not None and row[0] == DEMO_MARK[1]


FIRST_NAMES = [
    "Anna",
    "Ben",
    "Carla",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Xin",
    "Yara",
    "Zoe",
    "Aiko",
    "Bruno",
    "Chen",
    "Daria",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Omar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomas",
    "Uma",
    "Victor",
    "Wanda",
    "Yusuf",
    "Zara",
]
LAST_NAMES = [
    "Adams",
    "Brown",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Murphy",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinlan",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Young",
    "Zimmermann",
]
PRODUCTS = (
    ("Merino wool beanie", "24.00"),
    ("Waxed canvas backpack", "129.00"),
    ("Trail running shoes", "95.00"),
    ("Insulated water bottle 750 ml", "32.00"),
    ("Down vest", "149.00"),
    ("Rain shell jacket", "179.00"),
    ("Hiking socks, 3-pack", "27.00"),
    ("Camp mug, enamel", "18.00"),
    ("Fleece pullover", "79.00"),
    ("Headlamp 400 lm", "45.00"),
)
CARRIERS = (
    ("UPS", "1Z{n:016d}", "https://www.ups.com/track?tracknum={t}"),
    ("USPS", "9400{n:018d}", "https://tools.usps.com/go/TrackConfirmAction?tLabels={t}"),
    ("DHL", "JD{n:018d}", "https://www.dhl.com/en/express/tracking.html?AWB={t}"),
    (
        "Royal Mail",
        "RM{n:09d}GB",
        "https://www.royalmail.com/track-your-item#/tracking-results/{t}",
    ),
)
ORDER_STATES = (
    # (order status, fulfillment, weight)
    ("delivered", "fulfilled", 4),
    ("in_transit", "fulfilled", 4),
    ("delayed", "fulfilled", 2),
    ("refunded", "unfulfilled", 1),
    ("processing", "unfulfilled", 2),
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """What one kind of customer writes; `tag` and `priority` are what the stock keyword rules
    the demo runs give such a conversation."""

    tag: str
    subject: str
    opening: tuple[str, ...]
    follow_up: str
    reply: str
    priority: Priority = Priority.NORMAL


SCENARIOS = (
    Scenario(
        "wismo",
        "Where is my order {order}?",
        (
            "Hi, I ordered the {item} on {placed} and it still hasn't arrived. The tracking "
            "number {tracking} hasn't moved for days. Can you check what's going on?",
            "Hello, any news on order {order}? It said 3-5 days and it's been over a week.",
        ),
        "Still nothing here, and the tracking page shows the same status. I need it before the "
        "weekend, please.",
        "Hi {first}, thanks for your patience. Your {item} is with {carrier} ({tracking}); "
        "the latest scan shows it in transit. I'll keep an eye on it for you.",
    ),
    Scenario(
        "delayed",
        "Order {order} delayed?",
        (
            "My order {order} shows 'delayed' on the {carrier} site. Will it still arrive this "
            "week? It's a gift.",
        ),
        "Any update? The tracking still says exception.",
        "Hi {first}, I'm sorry about the delay. {carrier} reported a sorting backlog; I've "
        "opened a trace for {tracking} and will update you within 24 hours.",
        Priority.HIGH,
    ),
    Scenario(
        "return",
        "Return request for {order}",
        (
            "Hi, I'd like to return the {item} from order {order}. It's unused, with tags. "
            "How do I send it back?",
        ),
        "I haven't received the return label yet, could you resend it?",
        "Hi {first}, of course. I've emailed you a prepaid return label; drop the parcel at "
        "any {carrier} point within 30 days and we'll refund you once it's scanned.",
    ),
    Scenario(
        "damaged",
        "Item arrived damaged",
        (
            "The {item} arrived today with a torn seam and the box was crushed. Order {order}. "
            "What can you do?",
            "Really disappointed: the {item} from order {order} came broken.",
        ),
        "I've attached photos now. Can you send a replacement rather than a refund?",
        "Hi {first}, I'm so sorry. Could you send a photo of the item and the box? Then I "
        "can send a replacement right away.",
        Priority.HIGH,
    ),
    Scenario(
        "refund",
        "Refund for order {order}",
        (
            "I returned the {item} two weeks ago (order {order}) but haven't seen the refund "
            "yet. When will it come through?",
        ),
        "It's been another 5 days and still no refund on my card.",
        "Hi {first}, your refund of {total} {currency} for order {order} was issued today; "
        "banks usually show it within 3-5 business days.",
    ),
    Scenario(
        "wrong-size",
        "Wrong size - exchange?",
        ("The {item} I got (order {order}) is too small. Can I exchange it for one size up?",),
        "Great, which address do I send the old one to?",
        "Hi {first}, happy to swap it. I've reserved one size up for you; send the original "
        "back with the enclosed slip and we'll ship the new one as soon as it's scanned.",
    ),
    Scenario(
        "cancel",
        "Please cancel order {order}",
        ("I ordered by mistake, please cancel order {order} before it ships. Thanks!",),
        "Did the cancellation go through? I still see it as processing.",
        "Hi {first}, done: order {order} is cancelled and the payment voided. You won't be "
        "charged.",
        Priority.URGENT,
    ),
    Scenario(
        "address-change",
        "Change shipping address for {order}",
        (
            "I just moved. Can you change the delivery address for order {order} to "
            "12 Harbour Road, Bristol BS1 5TT?",
        ),
        "Just checking the new address was saved?",
        "Hi {first}, I've updated the shipping address on order {order}; the label now shows "
        "12 Harbour Road, Bristol.",
        Priority.HIGH,
    ),
    Scenario(
        "out-of-stock",
        "When is the {item} back in stock?",
        (
            "The {item} has been out of stock for weeks. Will you restock it in my size?",
            "Is the {item} coming back? I'd like to order two.",
        ),
        "Could you let me know as soon as it's back?",
        "Hi {first}, the next delivery is due on the 28th. I've added you to the restock "
        "list so you'll get an email the moment it's live.",
        Priority.LOW,
    ),
)


@dataclass(slots=True)
class Customer:
    name: str
    email: str
    ebay_user: str
    orders: list[OrderSnapshot]

    @property
    def first(self) -> str:
        return self.name.split()[0]


def random_customer(rng: random.Random, now: datetime, index: int, order_no: int) -> Customer:
    """A customer with one to three orders numbered from `order_no`."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first.lower()}.{last.lower()}{index}@{rng.choice(('mail.example', 'post.example'))}"
    customer = Customer(f"{first} {last}", email, f"{first.lower()}_{last.lower()}{index}", [])
    for number in range(order_no, order_no + rng.choice((1, 1, 1, 2, 2, 3))):
        item, price = rng.choice(PRODUCTS)
        status, fulfillment = rng.choices(
            [s[:2] for s in ORDER_STATES], weights=[s[2] for s in ORDER_STATES]
        )[0]
        carrier, pattern, url = rng.choice(CARRIERS)
        tracking = "" if status == "processing" else pattern.format(n=rng.randrange(10**9))
        placed = now - timedelta(days=rng.uniform(2, 40))
        customer.orders.append(
            OrderSnapshot(
                account="shopify-store",
                external_id=f"gid://shopify/Order/{5_000_000 + number}",
                number=f"#{number}",
                customer=Identity("email", email),
                customer_name=customer.name,
                status=status,
                placed_at=placed.replace(microsecond=0),
                total=price,
                currency="USD",
                fulfillment_status=fulfillment,
                carrier=carrier if tracking else "",
                tracking_number=tracking,
                tracking_url=url.format(t=tracking) if tracking else "",
                items=({"title": item, "quantity": 1, "price": price},),
            )
        )
    return customer


def fill(template: str, customer: Customer, order: OrderSnapshot) -> str:
    return template.format(
        first=customer.first,
        order=order.number,
        item=order.items[0]["title"],
        placed=order.placed_at.strftime("%d %B"),
        tracking=order.tracking_number or "(none yet)",
        carrier=order.carrier or "the carrier",
        total=order.total,
        currency=order.currency,
    )


def inbound(
    account: str,
    channel: str,
    customer: Customer,
    order: OrderSnapshot,
    subject: str,
    text: str,
    at: datetime,
    key: str,
    reply_to: str | None = None,
) -> InboundMessage:
    """A customer message as each channel's connector would hand it over."""
    sender = Identity("email", customer.email)
    extra: tuple[Identity, ...] = ()
    conversation = None
    numbers: tuple[str, ...] = (order.number,)
    if channel == "ebay":
        sender, extra = Identity("ebay", customer.ebay_user), (Identity("email", customer.email),)
        conversation = f"ebay-conv-{key.split('-')[0]}"
    elif channel == "amazon":
        relay = f"{customer.ebay_user.replace('_', '')}@marketplace.amazon.com"
        digest = zlib.crc32(f"{order.number}/{key}".encode())
        amazon_order = f"{100 + digest % 900}-{order.number[1:]:0>7}-{digest % 10_000_000:07d}"
        sender, extra = Identity("email", relay), (Identity("email", customer.email),)
        subject = f"Inquiry from Amazon customer {customer.first} (Order: {amazon_order})"
        numbers = (amazon_order, order.number)
    elif channel == "shopify":
        subject = f"New customer message on {SHOP_DOMAIN}: {subject}"
    return InboundMessage(
        account=account,
        external_id=f"demo-{key}",
        channel=channel,
        sender=sender,
        sender_name=customer.name,
        sent_at=at.replace(microsecond=0),
        subject=subject,
        text=text,
        message_id=f"<demo-{key}@{channel}.example>",
        in_reply_to=reply_to,
        conversation_id=conversation,
        extra_identities=extra,
        order_numbers=numbers,
    )


def customer_message(
    account: str,
    channel: str,
    customer: Customer,
    order: OrderSnapshot,
    scenario: Scenario,
    rng: random.Random,
    at: datetime,
    key: str,
) -> InboundMessage:
    """The opening message of a new conversation about `scenario`."""
    return inbound(
        account,
        channel,
        customer,
        order,
        fill(scenario.subject, customer, order),
        fill(rng.choice(scenario.opening), customer, order),
        at,
        key,
    )
