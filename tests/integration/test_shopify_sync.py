"""Shopify order context reaches the store through the real sync path, against the fake shop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm.connector import PermanentError
from deskterm.connectors.shopify import ShopifyConnector, documents
from deskterm.store import orders as store_orders
from deskterm.store import sync_state
from deskterm.sync import engine
from deskterm.sync.orders import refresh_customer

from .fake_shopify import seed
from .fake_shopify.server import check_document

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", sorted(documents.ALL))
def test_every_document_the_connector_sends_validates_against_the_schema(name: str) -> None:
    assert check_document(documents.ALL[name]) == []


def test_a_document_with_a_field_shopify_does_not_have_is_caught() -> None:
    broken = documents.ORDER.replace("displayFinancialStatus", "financialStatus")
    assert check_document(broken) != []


def test_a_first_sync_stores_orders_in_full_with_the_customers_lifetime_figures(
    fake_shopify, shopify_account, store, make_message, deliver
) -> None:
    shop = fake_shopify.shop
    anna = seed.customer(shop, 7, "anna@example.com", "Anna Adams", tags=["vip"], note="Regular")
    seed.order(shop, 1042, anna, placed=shop.now() - timedelta(days=3), fulfilled=True)
    seed.order(shop, 1043, anna, placed=shop.now() - timedelta(days=1))
    deliver(make_message())  # Anna's email ticket, before any order is known
    account = shopify_account()

    report = engine.sync_account(store, account)

    assert report.state == "online", report.error
    anna_id = store.conn.execute(
        "SELECT customer_id FROM identities WHERE value = 'anna@example.com'"
    ).fetchone()[0]
    orders = store_orders.orders_for_customer(store, anna_id)
    assert [o.number for o in orders] == ["#1043", "#1042"]
    shipped = orders[1]
    assert shipped.fulfillment_status == "fulfilled"
    assert shipped.tracking_number == "JD000000001042"
    assert shipped.fulfillments[0].delivery == "in_transit"
    assert shipped.items[0] == {
        "id": "gid://shopify/LineItem/104200",
        "title": "Wool scarf",
        "variant": "",
        "sku": "SKU-0",
        "quantity": 2,
        "price": "19.95",
        "refundable": 2,
    }
    assert shipped.shipping_address.city == "Berlin"
    assert shipped.admin_url == "https://admin.shopify.com/store/fake/orders/1042"
    assert shipped.status_url.endswith("/1042/status")
    profile = store_orders.profile(store, "shop", "gid://shopify/Customer/7")
    assert profile is not None
    assert (profile.orders_count, profile.amount_spent, profile.tags) == (
        2,
        "167.60",
        ("vip",),
    )


def test_the_next_sync_pulls_only_what_changed(fake_shopify, shopify_account, store) -> None:
    shop = fake_shopify.shop
    seed.backfill(shop, 40)
    account = shopify_account()
    engine.sync_account(store, account)
    pages_before = fake_shopify.operations.count("OrdersPage")
    changed = shop.orders["gid://shopify/Order/100005"]
    changed.note = "Leave at the door"
    shop.touch(changed)

    engine.sync_account(store, account)

    assert fake_shopify.operations.count("OrdersPage") == pages_before + 1
    [row] = store_orders.orders_by_number(store, "#100005")
    assert row.note == "Leave at the door"
    assert store.conn.execute("SELECT COUNT(*) FROM orders").fetchone() == (40,)


def test_a_paginated_backfill_of_2000_orders_arrives_whole(
    fake_shopify, shopify_account, store
) -> None:
    seed.backfill(fake_shopify.shop, 2000)
    # The pages are the point here, not the pace (bench/bench_shopify.py measures that).
    fake_shopify.bucket.restore_rate = 100_000.0

    report = engine.sync_account(store, shopify_account())

    assert report.state == "online", report.error
    assert store.conn.execute("SELECT COUNT(*) FROM orders").fetchone() == (2000,)
    pages = fake_shopify.operations.count("OrdersPage")
    # Pages grow to what Shopify's 1,000-point limit allows after the first small one.
    assert 2000 / 20 < pages < 2000 / 10
    cursor = sync_state.load_cursors(store.conn, "shop")["orders"]
    assert cursor["after"] is None


def test_without_read_all_orders_the_sync_sees_the_last_60_days_and_the_test_says_so(
    fake_shopify, shopify_account, store
) -> None:
    shop = fake_shopify.shop
    shop.scopes.discard("read_all_orders")
    anna = seed.customer(shop, 7, "anna@example.com", "Anna Adams")
    seed.order(shop, 1001, anna, placed=shop.now() - timedelta(days=90))
    seed.order(shop, 1002, anna, placed=shop.now() - timedelta(days=10))
    account = shopify_account()

    engine.sync_account(store, account)
    connector = ShopifyConnector(account)
    lines = list(connector.test())
    connector.close()

    assert [r[0] for r in store.conn.execute("SELECT number FROM orders")] == ["#1002"]
    assert (
        "orders older than 60 days: missing read_all_orders, so only the last 60 days of orders"
        " are visible" in lines
    )
    assert "order context: ready" in lines


def test_a_since_setting_that_is_neither_a_date_nor_an_age_is_refused(shopify_account) -> None:
    connector = ShopifyConnector(shopify_account(since="last tuesday"))
    with pytest.raises(PermanentError, match="neither a date"):
        list(connector.pull({}))


def test_opening_a_ticket_fetches_that_customers_orders_once_while_fresh(
    fake_shopify, shopify_account, store, make_message, deliver, now
) -> None:
    shop = fake_shopify.shop
    anna = seed.customer(shop, 7, "anna@example.com", "Anna Adams")
    seed.order(shop, 1042, anna, placed=shop.now() - timedelta(days=3))
    # A guest checkout with her address: no shop customer, only the order's email.
    seed.order(shop, 1050, None, placed=shop.now() - timedelta(days=1), email="Anna@Example.com")
    shopify_account()
    deliver(make_message())
    customer = store.conn.execute("SELECT customer_id FROM tickets").fetchone()[0]

    asked = refresh_customer(store, customer, now=now)
    again = refresh_customer(store, customer, now=now + timedelta(minutes=1))

    assert (asked, again) == (["shop"], [])
    numbers = [o.number for o in store_orders.orders_for_customer(store, customer)]
    assert numbers == ["#1050", "#1042"]
    assert fake_shopify.operations.count("OrdersOfEmail") == 1
