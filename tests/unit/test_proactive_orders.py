"""Time rules with `open_on` write first about orders nobody has written about: the order gets a
ticket on the mail account, the message goes to its buyer, and it happens once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from deskterm import automation, ingest
from deskterm.domain import Fulfillment, Identity, OrderSnapshot, to_iso
from deskterm.store import Store

BUYER = Identity("email", "carla@example.com")
MONDAY = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


def stock(store: Store, *names: str) -> automation.Engine:
    rules = automation.load_stock_rules()
    chosen = automation.RuleSet({name: rules.get(name) for name in names})
    return automation.Engine(store, chosen, notify=lambda kind, text: None)


@pytest.fixture
def mail(store: Store, now) -> str:
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, created_at) VALUES (?, ?, ?, ?)",
            ("shop-mail", "email", "email", to_iso(now)),
        )
    return "shop-mail"


def order(store: Store, now, number: str = "#2001", **fields) -> int:
    placed = fields.pop("placed_at", MONDAY)
    snapshot = OrderSnapshot(
        account="shop",
        external_id=f"gid://shopify/Order/{number[1:]}",
        number=number,
        customer=BUYER,
        customer_name="Carla Costa",
        status=fields.pop("status", "open"),
        placed_at=placed,
        total="59.00",
        fulfillment_status=fields.pop("fulfillment_status", "unfulfilled"),
        **fields,
    )
    with store.tx() as conn:
        ingest.upsert_orders(conn, [snapshot], to_iso(now))
    return store.conn.execute("SELECT id FROM orders WHERE number = ?", (number,)).fetchone()[0]


def tickets(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT id, account, channel, subject, order_id, status FROM tickets ORDER BY id"
    ).fetchall()


def sent_to(store: Store) -> list[str]:
    return [
        json.loads(p)["to"]["value"] for (p,) in store.conn.execute("SELECT payload FROM outbox")
    ]


def test_a_late_order_nobody_wrote_about_gets_a_ticket_and_one_apology(
    store: Store, mail, now
) -> None:
    order_id = order(store, now)
    engine = stock(store, "delayed-order")

    fired = engine.on_schedule(now)  # Friday: four business days after Monday

    assert tickets(store) == [(1, mail, "email", "Your order #2001", order_id, "open")]
    assert [(f.rule, f.ticket_id) for f in fired] == [("delayed-order", 1)]
    assert sent_to(store) == ["carla@example.com"]
    opened = store.conn.execute(
        "SELECT actor, kind, json_extract(data, '$.order') FROM events WHERE ticket_id = 1"
        " ORDER BY id LIMIT 1"
    ).fetchone()
    assert opened == ("rule:delayed-order", "created", "#2001")
    assert engine.on_schedule(now + timedelta(minutes=5)) == []
    assert len(tickets(store)) == 1


def test_a_shipped_order_or_one_with_a_ticket_gets_no_new_ticket(
    store: Store, mail, now, make_message, deliver
) -> None:
    order(store, now, "#2002", fulfillment_status="fulfilled")
    order(store, now, "#2003", placed_at=now - timedelta(days=40))
    order(store, now, "#2004")
    deliver(make_message(sender=BUYER, order_numbers=("#2004",)), at=MONDAY)

    fired = stock(store, "delayed-order").on_schedule(now)

    assert [t[3] for t in tickets(store)] == ["Where is my order?"]
    assert [(f.rule, f.ticket_id) for f in fired] == [("delayed-order", 1)]


def test_a_delivered_order_gets_a_feedback_request_on_a_solved_ticket_of_its_own(
    store: Store, mail, now
) -> None:
    delivered = Fulfillment("f-1", delivery="delivered", delivered_at=now - timedelta(days=6))
    order(store, now, placed_at=now - timedelta(days=9), fulfillment_status="fulfilled",
          fulfillments=(delivered,))  # fmt: skip
    old = Fulfillment("f-2", delivery="delivered", delivered_at=now - timedelta(days=20))
    order(store, now, "#2005", placed_at=now - timedelta(days=25), fulfillment_status="fulfilled",
          fulfillments=(old,))  # fmt: skip

    fired = stock(store, "feedback-request").on_schedule(now)

    assert [(f.rule, f.ticket_id) for f in fired] == [("feedback-request", 1)]
    assert [(t[3], t[5]) for t in tickets(store)] == [("Your order #2001", "solved")]
    assert sent_to(store) == ["carla@example.com"]


def test_without_the_account_it_names_no_ticket_is_opened(store: Store, now) -> None:
    order(store, now)
    assert stock(store, "delayed-order").on_schedule(now) == []
    assert tickets(store) == []


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        (
            'when = ["ticket_created"]\nif.all = [{ field = "order_total", gte = 10 }]',
            "open_on is for time rules",
        ),
        (
            'when = "schedule"\nif.all = [{ field = "status", is = "new" }]',
            "open_on needs a condition on the order",
        ),
    ],
)
def test_a_rule_opening_tickets_is_checked_when_it_loads(rule: str, error: str) -> None:
    text = f'name = "x"\nopen_on = "email"\nthen = [{{ tag = "x" }}]\n{rule}\n'
    text = text.replace('{ field = "status", is = "new" }', '{ field = "tags", lacks = "x" }')
    with pytest.raises(automation.RuleError, match=error):
        automation.parse_rule(text)
