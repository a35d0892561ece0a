"""The demo workspace: a small online shop two weeks into its season, built through the real ingest
and actions paths so every ticket has an honest event history. Same seed and `now`, same workspace.

It is the shop as an agent finds it at `now`: older conversations mostly dealt with, replies that
left long ago delivered, and in the queue a morning's mix of fresh mail, customers who wrote back,
a few warnings and a few breaches; you are one of its agents, with tickets of your own.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from deskterm import actions, automation, ingest, simulated_shop
from deskterm.demo_shop import (
    AGENTS,
    DEMO_MARK,
    SCENARIOS,
    SHOP_DOMAIN,
    Customer,
    customer_message,
    fill,
    inbound,
    random_customer,
)
from deskterm.domain import Batch, to_iso
from deskterm.sla import clocks
from deskterm.store import Store, meta, queries, sync_state
from deskterm.store import accounts as store_accounts
from deskterm.store import outbox as outbox_rows
from deskterm.store import tickets as store_tickets
from deskterm.sync import sending

ACCOUNTS = (
    ("support-mail", "email", f"support@{SHOP_DOMAIN}"),
    ("ebay-store", "ebay", "northwind_outfitters"),
    ("amazon-seller", "amazon", f"amazon@{SHOP_DOMAIN}"),
    ("shopify-store", "shopify", f"{SHOP_DOMAIN}"),
)
ACCOUNT_OF_CHANNEL = {channel: name for name, channel, _ in ACCOUNTS}
NOTES = (
    "Checked with the warehouse: parcel left on time, carrier issue.",
    "Customer is a repeat buyer (5 orders); be generous.",
    "Refund approved by Dev; waiting for the bank.",
    "Asked carrier for a trace, reference TR-{n}.",
)
ESCALATION_REASONS = (
    "Chargeback threatened",
    "Needs a refund above agent limit",
    "Carrier claim required",
)


def _customers(rng: random.Random, now: datetime, count: int) -> list[Customer]:
    customers = []
    order_no = 1001
    for index in range(count):
        customers.append(random_customer(rng, now, index, order_no))
        order_no += len(customers[-1].orders)
    return customers


LIVE_INTERVAL = timedelta(minutes=2)


def register_accounts(store: Store, now: datetime, shop: Path | None = None) -> None:
    """The demo's four accounts; their live messages are staggered so one arrives every ~30 s.
    The shop's account answers order actions from the simulated shop at `shop`, if given."""
    step = LIVE_INTERVAL / len(ACCOUNTS)
    with store.tx() as conn:
        for i, (name, channel, address) in enumerate(ACCOUNTS):
            settings: dict[str, object] = {"interval": LIVE_INTERVAL.total_seconds()}
            if shop is not None and channel == "shopify":
                settings["shop"] = str(shop)
            store_accounts.write_account(
                conn,
                name,
                connector="demo",
                channel=channel,
                address=address,
                settings=settings,
                created_at=to_iso(now),
            )
            last = now - LIVE_INTERVAL + step * (i + 1)
            sync_state.save_cursor(conn, name, "", {"delivered": 0, "last": to_iso(last)}, now)


def build_demo(store: Store, *, seed: int = 1, now: datetime, tickets: int = 520) -> int:
    """Fill an empty store with the demo shop; returns the number of tickets created.

    A store kept in a file gets its simulated shop beside it (simulated_shop.path_beside), so the
    shop's order actions work offline; one in memory has none."""
    if queries.has_tickets(store):
        raise ValueError("the demo workspace needs an empty database")
    rng = random.Random(seed)
    now = now.replace(microsecond=0)
    with store.tx() as conn:
        meta.put(conn, *DEMO_MARK)
    shop = simulated_shop.path_beside(store.path) if store.path else None
    register_accounts(store, now, shop)
    customers = _customers(rng, now, max(tickets * 3 // 5, 1))
    if shop is not None:
        simulated_shop.SimulatedShop(shop).open_fresh(o for c in customers for o in c.orders)
    with store.tx() as conn:
        ingest.upsert_orders(conn, [o for c in customers for o in c.orders], to_iso(now))
    channels = ("email", "email", "email", "ebay", "ebay", "amazon", "amazon", "shopify")
    # The agents' scripted work sets off the demo's rules too, never the user's.
    with actions.rules_in_force(demo_rules()):
        for n in range(tickets):
            _build_ticket(store, rng, n, rng.choice(customers), rng.choice(channels), now)
    _deliver_sent(store, now)
    with store.tx() as conn:
        clocks.refresh(conn, store_tickets.all_ids(conn), now)
    return tickets


# The stock rules that tag and raise the demo's conversations by their words, run as ingest runs
# them. The user's own rules stay out of the demo, so the same seed builds the same workspace on
# every machine.
DEMO_RULES = (
    "wismo-keywords",
    "delayed-keywords",
    "return-keywords",
    "damaged-keywords",
    "refund-keywords",
    "exchange-keywords",
    "cancel-keywords",
    "address-change-keywords",
    "stock-keywords",
)


@cache
def demo_rules() -> automation.RuleSet:
    stock = automation.load_stock_rules()
    return automation.RuleSet({name: stock.get(name) for name in DEMO_RULES})


def _build_ticket(
    store: Store, rng: random.Random, n: int, customer: Customer, channel: str, now: datetime
) -> None:
    scenario = rng.choice(SCENARIOS)
    order = max(customer.orders, key=lambda o: o.placed_at)
    # Recent days are busier, as in any live queue.
    age = timedelta(hours=14 * 24 * rng.random() ** 1.6)
    opened = now - age
    first = customer_message(
        ACCOUNT_OF_CHANNEL[channel], channel, customer, order, scenario, rng, opened, f"{n}-0"
    )
    ingest.ingest_batch(store, first.account, Batch([first], {}), now=opened, rules=demo_rules())
    ticket_id = store_tickets.ticket_of_message(store.conn, first.account, first.external_id)
    assert ticket_id is not None  # ingest has just stored it
    agent = rng.choice(AGENTS)
    actor = f"agent:{agent}"
    fate = _fate(rng, age)
    t = opened + timedelta(minutes=rng.randint(3, 40))
    if t >= now or fate == "new":
        return
    t += timedelta(minutes=rng.randint(5, 120))
    if t >= now:
        return
    actions.assign(store, ticket_id, agent, actor=actor, at=t)
    if rng.random() < 0.25:
        note = rng.choice(NOTES).format(n=rng.randint(1000, 9999))
        actions.note(store, ticket_id, note, actor=actor, at=t)
    if fate == "open":
        return
    done = actions.reply(store, ticket_id, fill(scenario.reply, customer, order), actor=actor, at=t)
    t += timedelta(minutes=rng.randint(30, 24 * 60))
    if t >= now:
        return
    if fate == "follow_up":
        # The customer wrote back this morning; their answer waits for ours.
        t = max(t, now - timedelta(minutes=rng.randint(5, 8 * 60)))
        if t >= now:
            return
        reply_to = (
            store_tickets.message_header_id(store.conn, done.message_id)
            if done.message_id
            else None
        )
        follow = inbound(
            first.account,
            channel,
            customer,
            order,
            "Re: " + fill(scenario.subject, customer, order),
            scenario.follow_up,
            t,
            f"{n}-1",
            reply_to=reply_to,
        )
        ingest.ingest_batch(store, follow.account, Batch([follow], {}), now=t, rules=demo_rules())
    else:
        _settle(store, rng, ticket_id, fate, actor, t, now)


# How likely each fate is for a conversation opened this long ago: (age below, weights of FATES).
FATES = ("new", "open", "pending", "follow_up", "on_hold", "solved", "escalated")
FATE_WEIGHTS = (
    # This morning's mail mostly waits for a first look.
    (timedelta(hours=2), (55, 15, 15, 0, 0, 10, 5)),
    # The last two days: mostly answered; some customers wrote back, a few slipped through.
    (timedelta(days=2), (1, 2, 30, 14, 6, 43, 4)),
    # Older ones have been dealt with or wait on the customer.
    (timedelta.max, (0, 0, 8, 0, 5, 87, 0)),
)


def _fate(rng: random.Random, age: timedelta) -> str:
    """Where a conversation of this age has got to by now."""
    weights = next(w for below, w in FATE_WEIGHTS if age < below)
    return rng.choices(FATES, weights=weights)[0]


def _deliver_sent(store: Store, now: datetime) -> None:
    """Replies written before the last sync have left: the demo channel took each a minute after
    it was written (with the id it gives, deskterm.connectors.demo). The newest wait in the outbox
    for the first sync, as in a live shop."""
    for name, channel, _ in ACCOUNTS:
        for row in outbox_rows.due(store.conn, name, to_iso(now - LIVE_INTERVAL)):
            item = sending.outbound(row[:-1], channel)
            at = (item.queued_at or now) + timedelta(minutes=1)
            sending.record_sent(store, item, f"demo-sent-{item.idempotency_key}", at)


def _settle(
    store: Store,
    rng: random.Random,
    ticket_id: int,
    fate: str,
    actor: str,
    t: datetime,
    now: datetime,
) -> None:
    """The agent's last step on a replied ticket: wait, hold, solve or escalate it."""
    if fate == "pending":
        actions.set_status(store, ticket_id, "pending", actor=actor, at=t)
    elif fate == "on_hold":
        actions.set_status(store, ticket_id, "on_hold", actor=actor, at=t)
        if rng.random() < 0.5:
            actions.snooze(
                store, ticket_id, now + timedelta(hours=rng.randint(2, 48)), actor=actor, at=t
            )
    elif fate == "solved":
        actions.resolve(store, ticket_id, actor=actor, at=t)
    elif fate == "escalated":
        actions.escalate(store, ticket_id, rng.choice(ESCALATION_REASONS), actor=actor, at=t)
