"""Order actions against the fake shop, through deskterm.connector_calls as people run them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from deskterm import connector_calls
from deskterm.connector_calls import LEASE
from deskterm.connectors.shopify import ShopifyConnector
from deskterm.connectors.shopify.api import ShopifyAPI
from deskterm.domain import utcnow
from deskterm.store import queries
from deskterm.sync import engine

from .fake_shopify import seed
from .fake_shopify.roots import FULFILLED_ADDRESS_ERROR

pytestmark = pytest.mark.integration

PERSON = "agent:anna"


class Crash(BaseException):
    """The process dies: nothing after this line runs."""


@pytest.fixture
def anna(fake_shopify, shopify_account, store, make_message, deliver):
    """Anna's ticket about #1042 (two scarves, a wallet; shipped) and #1043 (not shipped)."""
    shop = fake_shopify.shop
    buyer = seed.customer(shop, 7, "anna@example.com", "Anna Adams")
    seed.order(shop, 1042, buyer, placed=shop.now() - timedelta(days=3), fulfilled=True)
    seed.order(shop, 1043, buyer, placed=shop.now() - timedelta(days=1))
    shopify_account()
    deliver(make_message(order_numbers=("#1042",)))
    return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]


def timeline(store, ticket: int) -> list[tuple[str, str]]:
    return [
        (e.kind, e.data.get("text", ""))
        for e in queries.events(store, ticket)
        if e.kind.startswith("connector")
    ]


def test_a_refund_preview_is_shopifys_suggestion_for_the_chosen_item(
    fake_shopify, store, anna
) -> None:
    preview = connector_calls.preview(
        store, anna, "shopify.refund", {"order": "#1042", "items": "1:1"}
    )
    assert preview.splitlines()[:3] == [
        "Shopify suggests refunding 19.95 EUR on #1042 to shopify_payments:",
        "  1 × Wool scarf  19.95",
        "  shipping 0.00",
    ]
    assert fake_shopify.mutations.refunds_created == 0


def test_refunding_one_item_reaches_shopify_and_the_timeline(fake_shopify, store, anna) -> None:
    call = connector_calls.run(
        store, anna, "shopify.refund", {"order": "#1042", "items": "1:1"}, confirmed_by=PERSON
    )

    assert call.status == "done", call.outcome
    order = fake_shopify.shop.orders["gid://shopify/Order/1042"]
    assert [r.amount for r in order.refunds] == [Decimal("19.95")]
    assert order.lines[0].refunded == 1
    assert order.financial == "PARTIALLY_REFUNDED"
    assert timeline(store, anna)[-1] == (
        "connector_done",
        "refunded 19.95 EUR on #1042 (1 × Wool scarf)",
    )


def test_a_whole_order_refund_to_store_credit(fake_shopify, store, anna) -> None:
    call = connector_calls.run(
        store,
        anna,
        "shopify.refund",
        {"order": "1043", "store_credit": "yes"},
        confirmed_by=PERSON,
    )

    assert call.status == "done", call.outcome
    order = fake_shopify.shop.orders["gid://shopify/Order/1043"]
    assert order.refunded == order.total == Decimal("83.80")
    assert order.financial == "REFUNDED"


def test_a_dropped_answer_to_refund_create_is_asked_again_with_the_same_key_and_refunds_once(
    fake_shopify, store, anna
) -> None:
    fake_shopify.drop_once.add("RefundCreate")

    call = connector_calls.run(
        store, anna, "shopify.refund", {"order": "#1042", "items": "2"}, confirmed_by=PERSON
    )

    assert call.status == "done", call.outcome
    assert fake_shopify.operations.count("RefundCreate") == 2
    assert fake_shopify.mutations.refunds_created == 1


def test_a_crash_between_sending_refund_create_and_recording_it_refunds_once(
    fake_shopify, store, anna, monkeypatch
) -> None:
    sent = ShopifyAPI.call

    def dies_after_refund(self, document, variables=None, **options):
        data = sent(self, document, variables, **options)
        if "refundCreate" in data:
            raise Crash
        return data

    monkeypatch.setattr(ShopifyAPI, "call", dies_after_refund)
    with pytest.raises(Crash):
        connector_calls.run(
            store, anna, "shopify.refund", {"order": "#1042", "items": "2"}, confirmed_by=PERSON
        )
    monkeypatch.setattr(ShopifyAPI, "call", sent)
    later = utcnow() + LEASE + timedelta(minutes=1)

    [call] = connector_calls.recover(store, now=later)

    # The retry sends the input worked out before the crash: Shopify refuses a key reused with
    # other variables, and a suggestion asked again now would find nothing left to refund.
    assert call.status == "done", call.outcome
    assert call.outcome == "refunded 39.00 EUR on #1042 (1 × Leather wallet)"
    assert fake_shopify.operations.count("RefundCreate") == 2
    assert fake_shopify.mutations.refunds_created == 1
    assert len(fake_shopify.shop.orders["gid://shopify/Order/1042"].refunds) == 1


def test_a_proposed_refund_is_worked_out_when_a_person_runs_it(fake_shopify, store, anna) -> None:
    proposed = connector_calls.propose(
        store, anna, "shopify.refund", {"order": "#1042", "items": "1:1"}, actor="rule:refunds"
    )
    assert "prepared" not in proposed.params

    call = connector_calls.confirm_proposed(store, proposed.id, confirmed_by=PERSON)

    assert call.status == "done", call.outcome
    assert call.params["prepared"]["input"]["refundLineItems"][0]["quantity"] == 1
    assert fake_shopify.mutations.refunds_created == 1


def test_refunding_what_was_refunded_already_is_refused_before_anything_is_recorded(
    fake_shopify, store, anna
) -> None:
    asked = {"order": "#1042", "items": "1"}
    connector_calls.run(store, anna, "shopify.refund", asked, confirmed_by=PERSON)

    with pytest.raises(connector_calls.CallError, match="nothing to refund of 'Wool scarf'"):
        connector_calls.run(store, anna, "shopify.refund", asked, confirmed_by=PERSON)
    assert len(connector_calls.calls(store, anna)) == 1


def test_an_address_change_after_fulfilment_is_refused_with_shopifys_reason(
    fake_shopify, store, anna
) -> None:
    call = connector_calls.run(
        store,
        anna,
        "shopify.address",
        {"order": "#1042", "address1": "Neue Str. 5"},
        confirmed_by=PERSON,
    )

    assert call.status == "failed"
    assert call.outcome == (
        f"Shopify refused the address change on #1042: {FULFILLED_ADDRESS_ERROR}"
    )
    assert timeline(store, anna)[-1] == ("connector_failed", call.outcome)


def test_an_address_change_before_fulfilment_keeps_the_fields_not_named(
    fake_shopify, store, anna
) -> None:
    preview = connector_calls.preview(
        store, anna, "shopify.address", {"order": "#1043", "address1": "Neue Str. 5"}
    )
    call = connector_calls.run(
        store,
        anna,
        "shopify.address",
        {"order": "#1043", "address1": "Neue Str. 5"},
        confirmed_by=PERSON,
    )

    assert (
        preview.splitlines()[1] == "would ship to:  Anna Adams, Neue Str. 5, 10115 Berlin, BE, DE"
    )
    assert call.status == "done", call.outcome
    address = fake_shopify.shop.orders["gid://shopify/Order/1043"].address
    assert (address["address1"], address["city"]) == ("Neue Str. 5", "Berlin")


def test_cancelling_polls_shopifys_job_to_its_end(fake_shopify, store, anna) -> None:
    call = connector_calls.run(
        store,
        anna,
        "shopify.cancel",
        {"order": "#1043", "reason": "customer", "notify": "yes"},
        confirmed_by=PERSON,
    )

    assert call.status == "done", call.outcome
    assert fake_shopify.operations.count("Job") == 3
    order = fake_shopify.shop.orders["gid://shopify/Order/1043"]
    assert order.cancelled_at is not None
    assert ("cancel", order.gid) in fake_shopify.shop.notifications
    assert call.outcome == "cancelled #1043 (reason customer, money original)"


def test_tracking_is_corrected_and_the_customer_told(fake_shopify, store, anna) -> None:
    call = connector_calls.run(
        store,
        anna,
        "shopify.tracking",
        {"order": "#1042", "number": "JD999", "carrier": "DHL", "notify": "yes"},
        confirmed_by=PERSON,
    )

    assert call.status == "done", call.outcome
    shipment = fake_shopify.shop.orders["gid://shopify/Order/1042"].shipments[0]
    assert (shipment.company, shipment.number) == ("DHL", "JD999")
    assert ("tracking", "gid://shopify/Order/1042") in fake_shopify.shop.notifications


def test_tracking_an_unshipped_order_fulfils_it_with_that_tracking(
    fake_shopify, store, anna
) -> None:
    asked = {"order": "#1043", "number": "X1", "carrier": "DHL"}
    preview = connector_calls.preview(store, anna, "shopify.tracking", asked)

    call = connector_calls.run(
        store, anna, "shopify.tracking", {**asked, "notify": "yes"}, confirmed_by=PERSON
    )

    assert preview == (
        "#1043 has not shipped: Shopify would fulfil what is left of it (1 fulfillment order)"
        " tracked as DHL X1; notify the customer: no"
    )
    assert (call.status, call.outcome) == (
        "done",
        "#1043 fulfilled and tracked as DHL X1 (customer notified)",
    )
    order = fake_shopify.shop.orders["gid://shopify/Order/1043"]
    assert order.fulfillment == "FULFILLED"
    assert [(s.company, s.number) for s in order.shipments] == [("DHL", "X1")]
    assert ("shipped", order.gid) in fake_shopify.shop.notifications


def test_tracking_an_order_a_fulfillment_service_ships_says_what_shopify_requires(
    fake_shopify, store, anna
) -> None:
    order = fake_shopify.shop.orders["gid://shopify/Order/1043"]
    order.by_service = True

    call = connector_calls.run(
        store, anna, "shopify.tracking", {"order": "#1043", "number": "X1"}, confirmed_by=PERSON
    )

    assert call.status == "failed"
    assert call.outcome.startswith(
        "#1043 has no fulfillment order this app can fulfil (Shopify lists: open); Shopify"
        " creates a shipment only from an open fulfillment order"
    )
    assert order.shipments == []


def test_a_note_and_tags_are_added_to_the_order(fake_shopify, store, anna) -> None:
    for name, given in (("note", {"text": "Called the customer"}), ("tag", {"tags": "vip,late"})):
        call = connector_calls.run(
            store, anna, f"shopify.{name}", {"order": "#1042", **given}, confirmed_by=PERSON
        )
        assert call.status == "done", call.outcome

    order = fake_shopify.shop.orders["gid://shopify/Order/1042"]
    assert (order.note, order.tags) == ("Called the customer", ["late", "vip"])


def test_a_replacement_is_a_draft_of_the_same_items_at_zero_and_is_made_once(
    fake_shopify, store, anna
) -> None:
    call = connector_calls.run(
        store, anna, "shopify.replacement", {"order": "#1042"}, confirmed_by=PERSON
    )

    assert call.status == "done", call.outcome
    [draft] = fake_shopify.shop.drafts
    assert [
        (i["quantity"], i["appliedDiscount"]["value"]) for i in draft["input"]["lineItems"]
    ] == [
        (2, 100.0),
        (1, 100.0),
    ]
    assert draft["totalPriceSet"]["presentmentMoney"]["amount"] == "0.00"
    # After an interruption the draft is found by its key instead of being made again.
    [account] = engine.enabled_accounts(store)
    connector = ShopifyConnector(account)
    [replacement] = [a for a in connector.actions() if a.name == "replacement"]
    assert replacement.confirm is not None
    again = replacement.confirm({"order": "#1042"}, idempotency_key=call.idempotency_key)
    connector.close()
    assert again is not None and again.external_id == draft["id"]
