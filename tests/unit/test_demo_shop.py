"""The demo workspace's shop answers order actions offline, through connector_calls like a real
shop, and the order in the workspace shows what they did."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import connector_calls
from deskterm.cli.main import app
from deskterm.connector_calls import LEASE
from deskterm.demo import build_demo
from deskterm.domain import Order, utcnow
from deskterm.simulated_shop import SimulatedShop, path_beside
from deskterm.store import Store, open_store
from deskterm.store import orders as store_orders
from deskterm.sync.orders import refresh_customer

PERSON = "agent:anna"


class Crash(BaseException):
    """The process dies: nothing after this line runs."""


@pytest.fixture
def demo(store: Store, now) -> Store:
    build_demo(store, seed=3, now=now, tickets=40)
    return store


def ticket_with_order(store: Store, fulfilment: str) -> tuple[int, Order]:
    row = store.conn.execute(
        "SELECT t.id, o.id FROM tickets t JOIN orders o ON o.id = t.order_id"
        " WHERE o.fulfillment_status = ? AND o.status != 'refunded' ORDER BY t.id LIMIT 1",
        (fulfilment,),
    ).fetchone()
    order = store_orders.order_by_id(store, row[1])
    assert order is not None
    return row[0], order


def stored(store: Store, order: Order) -> Order:
    """The order as the workspace has it after fetching it again from the shop."""
    refresh_customer(store, order.customer_id, max_age=timedelta(0))
    found = store_orders.order_by_id(store, order.id)
    assert found is not None
    return found


def test_the_demo_shop_lives_beside_the_workspace(demo: Store) -> None:
    assert demo.path is not None
    assert path_beside(demo.path).name == "deskterm-shop.db"
    assert path_beside(demo.path).exists()


def test_a_refund_in_the_demo_shows_in_the_order_and_the_timeline(demo: Store) -> None:
    ticket, order = ticket_with_order(demo, "fulfilled")
    preview = connector_calls.preview(demo, ticket, "demo.refund", {"order": order.number})
    assert preview is not None
    assert preview.startswith(f"The demo shop would refund {order.total} USD on")

    call = connector_calls.run(
        demo, ticket, "demo.refund", {"order": order.number, "items": "1"}, confirmed_by=PERSON
    )

    assert call.status == "done", call.outcome
    title = order.items[0]["title"]
    assert call.outcome == f"refunded {order.total} USD on {order.number} (1 × {title})"
    after = stored(demo, order)
    assert after.financial_status == "refunded"
    assert [r.amount for r in after.refunds] == [order.total]
    again = connector_calls.run(
        demo, ticket, "demo.refund", {"order": order.number}, confirmed_by=PERSON
    )
    assert (again.status, again.outcome) == (
        "failed",
        f"nothing is left to refund on {order.number}",
    )


def test_a_refund_interrupted_after_the_shop_made_it_refunds_once(
    demo: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, order = ticket_with_order(demo, "fulfilled")
    changed = SimulatedShop.change

    def dies_after_the_shop_answered(self, *args, **kwargs):
        changed(self, *args, **kwargs)
        raise Crash

    monkeypatch.setattr(SimulatedShop, "change", dies_after_the_shop_answered)
    with pytest.raises(Crash):
        connector_calls.run(
            demo, ticket, "demo.refund", {"order": order.number}, confirmed_by=PERSON
        )
    monkeypatch.setattr(SimulatedShop, "change", changed)

    [call] = connector_calls.recover(demo, now=utcnow() + LEASE + timedelta(minutes=1))

    assert call.status == "done", call.outcome
    assert call.outcome.startswith(f"refunded {order.total} USD on {order.number}")
    assert len(stored(demo, order).refunds) == 1


def test_tracking_an_unshipped_demo_order_fulfils_it(demo: Store) -> None:
    ticket, order = ticket_with_order(demo, "unfulfilled")
    params = {"order": order.number, "number": "JD0001", "carrier": "DHL"}
    preview = connector_calls.preview(demo, ticket, "demo.tracking", params)
    assert preview is not None and "would fulfil all its items" in preview

    call = connector_calls.run(demo, ticket, "demo.tracking", params, confirmed_by=PERSON)

    assert (call.status, call.outcome) == (
        "done",
        f"{order.number} fulfilled and tracked as DHL JD0001",
    )
    after = stored(demo, order)
    assert (after.fulfillment_status, after.tracking_number) == ("fulfilled", "JD0001")
    assert [(f.carrier, f.number) for f in after.fulfillments] == [("DHL", "JD0001")]


def test_a_shipped_demo_order_keeps_its_address_and_cannot_be_cancelled(demo: Store) -> None:
    ticket, order = ticket_with_order(demo, "fulfilled")
    moved = connector_calls.run(
        demo,
        ticket,
        "demo.address",
        {"order": order.number, "city": "Bristol"},
        confirmed_by=PERSON,
    )
    cancelled = connector_calls.run(
        demo, ticket, "demo.cancel", {"order": order.number}, confirmed_by=PERSON
    )

    assert moved.status == cancelled.status == "failed"
    assert "can't be changed because the order has been fulfilled" in moved.outcome
    assert "it has shipped already" in cancelled.outcome
    assert stored(demo, order).status == order.status


def test_cancelling_and_moving_an_unshipped_demo_order(demo: Store) -> None:
    ticket, order = ticket_with_order(demo, "unfulfilled")
    number = order.number
    moved = connector_calls.run(
        demo,
        ticket,
        "demo.address",
        {"order": number, "address1": "12 Harbour Road", "city": "Bristol"},
        confirmed_by=PERSON,
    )
    cancelled = connector_calls.run(
        demo, ticket, "demo.cancel", {"order": number, "reason": "customer"}, confirmed_by=PERSON
    )

    assert moved.outcome == f"{number} now ships to 12 Harbour Road, Bristol"
    assert cancelled.outcome == f"cancelled {number} (reason customer, money original)"
    after = stored(demo, order)
    assert after.status == "cancelled"
    assert after.shipping_address.city == "Bristol"
    assert sum(float(r.amount) for r in after.refunds) == float(order.total)


def test_deskterm_order_commands_work_on_the_demo_offline(demo: Store, db_path: Path) -> None:
    _, order = ticket_with_order(demo, "unfulfilled")
    number = order.number
    runner = CliRunner()

    tracked = runner.invoke(
        app, ["--db", str(db_path), "order", "tracking", number, "--number", "JD7", "--yes"]
    )
    shown = runner.invoke(app, ["--db", str(db_path), "order", "show", number])

    assert tracked.exit_code == 0, tracked.output
    assert f"done: {number} fulfilled and tracked as JD7" in tracked.output
    assert "JD7" in shown.output


def test_a_workspace_in_memory_has_no_shop_to_act_on(now) -> None:
    store = open_store(memory=True)
    build_demo(store, seed=3, now=now, tickets=5)
    ticket, order = ticket_with_order(store, "fulfilled")

    with pytest.raises(connector_calls.CallError, match="demo has no action 'refund'"):
        connector_calls.preview(store, ticket, "demo.refund", {"order": order.number})


def _raw_order(store: Store, number: str) -> dict:
    """The orders row as SQLite has it, its JSON columns decoded: what `order show --json` prints."""
    cursor = store.conn.execute("SELECT * FROM orders WHERE number = ?", (number,))
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    for column in ("items", "tags", "fulfillments", "refunds", "shipping_address"):
        row[column] = json.loads(row[column]) if row[column] else None
    return row


def test_order_show_json_prints_the_stored_row_byte_for_byte(demo: Store, db_path: Path) -> None:
    _, shipped = ticket_with_order(demo, "fulfilled")
    _, waiting = ticket_with_order(demo, "unfulfilled")
    runner = CliRunner()
    for args in (
        ["order", "refund", shipped.number, "--item", "1", "--yes"],
        ["order", "address", waiting.number, "--city", "Bristol", "--yes"],
        ["order", "tag", waiting.number, "--tags", "vip,gift", "--yes"],
        ["order", "tracking", waiting.number, "--number", "JD7", "--carrier", "DHL", "--yes"],
    ):
        done = runner.invoke(app, ["--db", str(db_path), *args])
        assert done.exit_code == 0, done.output

    shown = {}
    for number in (shipped.number, waiting.number):
        result = runner.invoke(app, ["--db", str(db_path), "order", "show", number, "--json"])
        assert result.exit_code == 0, result.output
        assert (
            result.output == json.dumps({"order": _raw_order(demo, number), "buyer": None}) + "\n"
        )
        shown[number] = json.loads(result.output)["order"]
    assert shown[shipped.number]["refunds"][0]["items"]
    tracked = shown[waiting.number]
    assert tracked["fulfillments"][0]["number"] == "JD7" and tracked["tags"] == ["vip", "gift"]
    assert tracked["shipping_address"]["city"] == "Bristol"


def test_a_replacement_proposed_in_the_demo_waits_for_a_person_then_makes_a_free_order(
    demo: Store,
) -> None:
    assert demo.path is not None
    ticket, order = ticket_with_order(demo, "fulfilled")
    number = order.number
    preview = connector_calls.preview(demo, ticket, "demo.replacement", {"order": number})
    assert preview is not None
    assert preview.startswith(f"A new order {number}-R1 replacing {number}")

    proposed = connector_calls.propose(
        demo, ticket, "demo.replacement", {"order": number}, actor="rule:damaged-replace"
    )
    assert proposed.status == "proposed"
    shop = SimulatedShop(path_beside(demo.path))
    assert "replaced by" not in shop.order(number).note

    done = connector_calls.confirm_proposed(demo, proposed.id, confirmed_by=PERSON)

    assert (done.status, done.outcome) == (
        "done",
        f"replacement order {number}-R1 for {number} (0.00 USD)",
    )
    made = shop.order(f"{number}-R1")
    assert (made.total, made.tags, made.fulfillment_status) == (
        "0.00",
        ("replacement",),
        "unfulfilled",
    )
    assert [i["price"] for i in made.items] == ["0.00"]
    assert made.shipping_address == shop.order(number).shipping_address
    refresh_customer(demo, order.customer_id, max_age=timedelta(0))
    numbers = [o.number for o in store_orders.orders_for_customer(demo, order.customer_id)]
    assert f"{number}-R1" in numbers


def test_an_unshipped_demo_order_is_not_replaced(demo: Store) -> None:
    ticket, order = ticket_with_order(demo, "unfulfilled")
    call = connector_calls.run(
        demo, ticket, "demo.replacement", {"order": order.number}, confirmed_by=PERSON
    )
    assert call.status == "failed"
    assert "has not shipped yet" in call.outcome
