"""Orders in the store: every detail a channel gives survives a round trip, and a customer sees
the orders of each of their email addresses and phone numbers."""

from __future__ import annotations

from datetime import timedelta

from deskterm import ingest
from deskterm.domain import (
    Address,
    Batch,
    CustomerProfile,
    Fulfillment,
    Identity,
    OrderSnapshot,
    Refund,
    to_iso,
)
from deskterm.store import Store
from deskterm.store import orders as store_orders
from tests.conftest import NOW


def snapshot(number: str = "#1042", email: str = "anna@example.com", **fields) -> OrderSnapshot:
    values = {
        "account": "shop",
        "external_id": f"gid://shopify/Order/{number.lstrip('#')}",
        "number": number,
        "customer": Identity("email", email),
        "customer_name": "Anna Adams",
        "status": "open",
        "placed_at": NOW - timedelta(days=3),
        "total": "59.90",
        "currency": "EUR",
    }
    values.update(fields)
    return OrderSnapshot(**values)


def customer_of(store: Store, kind: str, value: str) -> int:
    return store.conn.execute(
        "SELECT customer_id FROM identities WHERE kind = ? AND value = ?", (kind, value)
    ).fetchone()[0]


def store_batch(store: Store, **parts) -> None:
    ingest.ingest_batch(store, "shop", Batch([], {}, **parts), now=NOW)


def test_an_order_keeps_items_address_fulfillments_refunds_note_and_tags(store: Store) -> None:
    shipped = NOW - timedelta(days=2)
    order = snapshot(
        items=({"id": "li-1", "title": "Wool scarf", "quantity": 2, "price": "19.95"},),
        financial_status="partially_refunded",
        fulfillment_status="fulfilled",
        note="Gift wrap please",
        tags=("vip", "gift"),
        shipping_address=Address(first_name="Anna", address1="Hauptstr. 1", city="Berlin"),
        fulfillments=(
            Fulfillment(
                "gid://shopify/Fulfillment/1",
                status="success",
                delivery="in_transit",
                carrier="DHL",
                number="JD0001",
                url="https://dhl.example/JD0001",
                shipped_at=shipped,
            ),
        ),
        refunds=(Refund("gid://shopify/Refund/1", "19.95", "EUR", NOW, items=({"title": "x"},)),),
        status_url="https://shop.example/orders/abc",
        admin_url="https://admin.shopify.com/store/x/orders/1042",
        customer_ref="gid://shopify/Customer/7",
        changed_at=NOW,
    )
    store_batch(store, orders=[order])

    [row] = store_orders.orders_for_customer(
        store, customer_of(store, "email", order.customer.value)
    )
    assert row.items[0]["quantity"] == 2
    assert row.shipping_address.city == "Berlin"
    assert row.fulfillments[0].delivery == "in_transit"
    assert to_iso(row.fulfillments[0].shipped_at) == "2026-11-18T12:00:00Z"
    assert row.refunds[0].amount == "19.95"
    assert (row.note, row.tags) == ("Gift wrap please", ("vip", "gift"))
    assert row.financial_status == "partially_refunded"
    assert row.customer_ref == "gid://shopify/Customer/7"
    assert row.changed_at == "2026-11-20T12:00:00Z"


def test_pulling_an_order_again_updates_it_in_place(store: Store) -> None:
    store_batch(store, orders=[snapshot()])
    store_batch(
        store,
        orders=[snapshot(fulfillment_status="fulfilled", tracking_number="JD0002", tags=("late",))],
    )

    [row] = store_orders.orders_by_number(store, "1042")
    assert (row.fulfillment_status, row.tracking_number, row.tags) == (
        "fulfilled",
        "JD0002",
        ("late",),
    )
    assert store.conn.execute("SELECT COUNT(*) FROM orders").fetchone() == (1,)


def test_a_customer_with_two_email_addresses_sees_the_orders_of_both(
    store: Store, make_message, deliver
) -> None:
    # Anna writes from her home address; the shop knows her by her work address and phone.
    deliver(make_message(sender=Identity("email", "anna@home.example")))
    store_batch(
        store,
        customers=[
            CustomerProfile(
                "shop",
                "gid://shopify/Customer/7",
                "Anna Adams",
                (Identity("email", "Anna@Work.example"), Identity("phone", "+49 30 1234-56")),
                orders_count=4,
                amount_spent="240.00",
            )
        ],
        orders=[
            snapshot("#1001", "anna@work.example"),
            # An order placed with her home address, on her shop customer.
            snapshot(
                "#1002", "anna@work.example", identities=(Identity("email", "anna@home.example"),)
            ),
            snapshot("#1003", "", identities=(Identity("phone", "+4930123456"),)),
        ],
    )

    home = customer_of(store, "email", "anna@home.example")
    work = customer_of(store, "email", "anna@work.example")
    seen_from_home = [o.number for o in store_orders.orders_for_customer(store, home)]
    seen_from_work = [o.number for o in store_orders.orders_for_customer(store, work)]
    assert seen_from_home == ["#1002"]
    assert sorted(seen_from_work) == ["#1001", "#1002", "#1003"]
    profile = store_orders.profile(store, "shop", "gid://shopify/Customer/7")
    assert profile is not None
    assert (profile.orders_count, profile.amount_spent, profile.customer_id) == (
        4,
        "240.00",
        work,
    )


def test_one_customer_with_two_addresses_sees_orders_placed_with_either(
    store: Store, make_message, deliver
) -> None:
    deliver(
        make_message(
            sender=Identity("email", "anna@home.example"),
            extra_identities=(Identity("email", "anna@work.example"),),
        )
    )
    store_batch(
        store,
        orders=[snapshot("#1001", "anna@home.example"), snapshot("#1002", "anna@work.example")],
    )

    anna = customer_of(store, "email", "anna@home.example")
    numbers = [o.number for o in store_orders.orders_for_customer(store, anna)]
    assert sorted(numbers) == ["#1001", "#1002"]


def test_an_order_number_is_found_with_or_without_its_hash(store: Store) -> None:
    store_batch(store, orders=[snapshot("#1042")])

    assert [o.number for o in store_orders.orders_by_number(store, "1042")] == ["#1042"]
    assert [o.number for o in store_orders.orders_by_number(store, "#1042", "shop")] == ["#1042"]
    assert store_orders.orders_by_number(store, "#1042", "other-shop") == []
