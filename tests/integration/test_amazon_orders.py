"""Amazon orders pulled from the fake SP-API into the store, joined with relay mail."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import ingest
from deskterm.connector import Account, PermanentError
from deskterm.connectors.amazon import AmazonConnector
from deskterm.connectors.email.parse import ParseOptions, parse_message
from deskterm.domain import Batch
from deskterm.store import orders as store_orders
from deskterm.store import sync_state
from deskterm.store.attachments import AttachmentStore
from deskterm.sync import engine

pytestmark = pytest.mark.integration

RELAY = "8fjw7d2kx@marketplace.amazon.co.uk"
MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail" / "amazon.eml"
ORDER = "202-1234567-7654321"
OTHER = "305-7654321-1234567"


def _add_orders(fake, now, count: int) -> list[str]:
    ids = [f"202-0000000-{n:07d}" for n in range(count)]
    for n, order_id in enumerate(ids):
        fake.add_order(
            order_id,
            buyer_email=f"b{n}@marketplace.amazon.co.uk",
            updated=now - timedelta(hours=count - n),
        )
    return ids


def _connector(account: Account, now, **settings) -> AmazonConnector:
    changed = dataclasses.replace(account, settings={**account.settings, **settings})
    return AmazonConnector(changed, clock=lambda: now)


def test_a_sync_pages_through_changed_orders_and_keeps_their_tracking(
    amazon_api, amazon_account, store, now
) -> None:
    ids = _add_orders(amazon_api, now, 5)
    connector = _connector(amazon_account, now, page_size=2)
    report = engine.sync_account(store, amazon_account, connector=connector, now=now)
    assert report.error is None
    assert amazon_api.calls.count("searchOrders") == 3
    assert store.conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 5
    stored = store_orders.order_by_external_id(store, amazon_account.name, ids[4])
    assert (stored.carrier, stored.tracking_number) == ("Royal Mail", "RR123456789GB")
    assert (stored.ship_by, stored.deliver_by) == (
        "2026-11-20T11:00:00Z",
        "2026-11-23T11:00:00Z",
    )
    assert sync_state.load_cursors(store.conn, amazon_account.name)[""] == {
        "updated_after": "2026-11-20T11:00:00Z"
    }


def test_the_next_sync_asks_only_for_orders_changed_since_the_newest_it_has(
    amazon_api, amazon_account, store, now
) -> None:
    _add_orders(amazon_api, now, 2)
    engine.sync_account(store, amazon_account, connector=_connector(amazon_account, now), now=now)
    amazon_api.add_order(ORDER, buyer_email=RELAY, updated=now + timedelta(minutes=5))
    later = now + timedelta(minutes=10)
    engine.sync_account(
        store, amazon_account, connector=_connector(amazon_account, later), now=later
    )
    assert store_orders.order_by_external_id(store, amazon_account.name, ORDER) is not None
    assert sync_state.load_cursors(store.conn, amazon_account.name)[""] == {
        "updated_after": "2026-11-20T12:05:00Z"
    }


def test_an_access_token_that_expires_mid_sync_is_renewed(
    amazon_api, amazon_account, store, now
) -> None:
    _add_orders(amazon_api, now, 4)
    connector = _connector(amazon_account, now, page_size=2)
    pages = 0
    for batch in connector.pull({}):
        ingest.ingest_batch(store, amazon_account.name, batch, now=now)
        pages += 1
        amazon_api.expire_tokens()
    assert pages == 2
    assert amazon_api.tokens_issued == 2
    assert store.conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 4


def test_a_throttled_search_is_retried_and_the_sync_completes(
    amazon_api, amazon_account, store, now
) -> None:
    _add_orders(amazon_api, now, 1)
    amazon_api.throttle("searchOrders")
    report = engine.sync_account(
        store, amazon_account, connector=_connector(amazon_account, now), now=now
    )
    assert report.error is None
    assert amazon_api.calls.count("searchOrders") == 2
    assert store.conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 1


def _relay_mail(tmp_path) -> Batch:
    options = ParseOptions(
        account="shop-mail",
        own_addresses=frozenset({"support@shop.example"}),
        attachments=AttachmentStore(tmp_path / "attachments"),
    )
    return Batch([parse_message(MAIL.read_bytes(), options)], {})


@pytest.mark.parametrize("mail_first", [True, False], ids=["mail-first", "order-first"])
def test_relay_mail_and_the_amazon_order_join_into_one_customer_and_ticket(
    amazon_api, amazon_account, store, now, tmp_path, mail_first
) -> None:
    # The mail's text also names an older order of the same buyer: the subject's order wins.
    amazon_api.add_order(ORDER, buyer_email=RELAY, buyer_name="Jane Doe", updated=now)
    amazon_api.add_order(OTHER, buyer_email=RELAY, updated=now - timedelta(days=3))
    steps = [
        lambda: ingest.ingest_batch(store, "shop-mail", _relay_mail(tmp_path), now=now),
        lambda: engine.sync_account(
            store, amazon_account, connector=_connector(amazon_account, now), now=now
        ),
    ]
    for step in steps if mail_first else reversed(steps):
        step()
    assert store.conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 1
    ticket = store.conn.execute("SELECT channel, order_id, customer_id FROM tickets").fetchall()
    order = store_orders.order_by_external_id(store, amazon_account.name, ORDER)
    assert ticket == [("amazon", order.id, order.customer_id)]


def test_amazons_error_list_is_shown_as_it_is(amazon_api, amazon_account, now) -> None:
    connector = _connector(amazon_account, now)
    with pytest.raises(PermanentError) as caught:
        connector.order("TEST_CASE_400")
    assert str(caught.value) == (
        "Amazon rejected reading order TEST_CASE_400: HTTP 400: InvalidInput: Invalid Input"
    )


def test_a_missing_role_is_named(amazon_api, amazon_account, now) -> None:
    amazon_api.roles = {"orders"}
    connector = _connector(amazon_account, now)
    lines = []
    with pytest.raises(PermanentError) as caught:
        lines.extend(connector.test())
    assert lines == ["orders API: allowed (Inventory and Order Tracking role)"]
    assert str(caught.value) == (
        "the app may not use: messaging (Buyer Communication role), "
        "solicitations (Buyer Solicitation role)"
    )
    with pytest.raises(PermanentError, match="needs the Buyer Communication role"):
        connector.api.messaging_actions(ORDER)


def test_a_refused_refresh_token_says_which_credentials_to_fix(
    amazon_api, amazon_account, monkeypatch, now
) -> None:
    from deskterm.secrets import env_name

    monkeypatch.setenv(env_name(amazon_account.name, "refresh_token"), "Atzr|revoked")
    with pytest.raises(PermanentError, match="Login with Amazon refused the account's credentials"):
        _connector(amazon_account, now).order(ORDER)


def test_reviews_are_requested_once_n_days_after_delivery(
    amazon_api, amazon_account, store, now
) -> None:
    early, late = "202-0000001-0000001", "202-0000002-0000002"
    for order_id, days in ((early, 8), (late, 2)):
        amazon_api.add_order(
            order_id,
            buyer_email=f"{order_id}@marketplace.amazon.co.uk",
            updated=now - timedelta(days=days),
            package_status="DELIVERED",
            review=True,
        )
    for moment in (now, now + timedelta(days=1), now + timedelta(days=6)):
        connector = _connector(amazon_account, moment, review_after_days=7)
        assert (
            engine.sync_account(store, amazon_account, connector=connector, now=moment).error
            is None
        )
        if moment == now:
            assert amazon_api.sent == [(early, "productReviewAndSellerFeedback", {})]
    assert [order for order, *_ in amazon_api.sent] == [early, late]
    assert "reviews" not in sync_state.load_cursors(store.conn, amazon_account.name)[""]
