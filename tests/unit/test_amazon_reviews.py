"""When a review request may go out, and what the seller is told when it may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deskterm.connectors.amazon.reviews import due_state, review_window, waiting, why_not
from deskterm.domain import Fulfillment, Identity, OrderSnapshot

DELIVERED = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _order(delivered: datetime | None, deliver_by: datetime | None = None) -> OrderSnapshot:
    package = Fulfillment(
        "p1", status="delivered" if delivered else "in_transit", delivered_at=delivered
    )
    return OrderSnapshot(
        account="amz",
        external_id="202-1",
        number="202-1",
        customer=Identity("email", "x@marketplace.amazon.co.uk"),
        status="shipped",
        placed_at=DELIVERED - timedelta(days=3),
        fulfillments=(package,),
        deliver_by=deliver_by,
    )


def test_the_window_runs_from_five_to_thirty_days_after_delivery() -> None:
    window = review_window(_order(DELIVERED))
    assert window is not None and not window.estimated
    assert (window.opens, window.closes) == (
        DELIVERED + timedelta(days=5),
        DELIVERED + timedelta(days=30),
    )


def test_before_the_window_the_seller_learns_when_it_opens() -> None:
    assert why_not(_order(DELIVERED), DELIVERED + timedelta(days=2)) == (
        "the review window opens on 2026-11-15"
    )


def test_after_the_window_the_seller_learns_it_closed() -> None:
    assert why_not(_order(DELIVERED), DELIVERED + timedelta(days=31)) == (
        "the review window closed on 2026-12-10"
    )


def test_an_order_on_its_way_gets_the_window_of_its_promised_delivery() -> None:
    promised = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    text = why_not(_order(None, promised), promised - timedelta(days=3))
    assert text == (
        "the order is not delivered yet; the review window opens 5 days after delivery"
        " (on 2026-11-25 if it arrives as promised)"
    )


def test_a_delivered_order_is_due_n_days_after_delivery_while_the_window_is_open() -> None:
    week = timedelta(days=7)
    assert due_state(DELIVERED, DELIVERED + timedelta(days=6), week) == "wait"
    assert due_state(DELIVERED, DELIVERED + week, week) == "due"
    assert due_state(DELIVERED, DELIVERED + timedelta(days=31), week) == "past"
    assert due_state(DELIVERED, DELIVERED + timedelta(days=4), timedelta(days=1)) == "wait"
    assert waiting([_order(DELIVERED), _order(None)]) == {"202-1": "2026-11-10T12:00:00Z"}
