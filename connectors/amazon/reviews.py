"""When Amazon lets a seller ask for a review: from 5 to 30 days after the order was delivered.

Amazon itself decides (getSolicitationActionsForOrder lists the request only inside the window);
this module says why it is not offered, so the seller learns when to come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deskterm.domain import OrderSnapshot, to_iso

OPENS_AFTER = timedelta(days=5)
CLOSES_AFTER = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ReviewWindow:
    opens: datetime
    closes: datetime
    # True while the order is not delivered yet: the window follows the promised delivery date.
    estimated: bool


def delivered_at(order: OrderSnapshot) -> datetime | None:
    """When the order's last package arrived, once every package has."""
    moments = [f.delivered_at for f in order.fulfillments]
    if not moments or any(m is None for m in moments):
        return None
    return max(m for m in moments if m is not None)


def review_window(order: OrderSnapshot) -> ReviewWindow | None:
    arrived = delivered_at(order)
    base = arrived or order.deliver_by
    if base is None:
        return None
    return ReviewWindow(base + OPENS_AFTER, base + CLOSES_AFTER, estimated=arrived is None)


def why_not(order: OrderSnapshot, now: datetime) -> str:
    """Why Amazon does not offer a review request for `order` at `now`, in the seller's words."""
    window = review_window(order)
    if window is None:
        return "the order has not shipped yet; Amazon allows a review request 5 to 30 days after delivery"
    day = "%Y-%m-%d"
    if now > window.closes:
        return f"the review window closed on {window.closes:{day}}"
    if window.estimated:
        when = f" (on {window.opens:{day}} if it arrives as promised)" if now < window.opens else ""
        return (
            f"the order is not delivered yet; the review window opens 5 days after delivery{when}"
        )
    if now < window.opens:
        return f"the review window opens on {window.opens:{day}}"
    return (
        "Amazon does not offer it for this order now (a review was already requested, "
        "or the order is not eligible)"
    )


def due_state(arrived: datetime, now: datetime, after: timedelta) -> str:
    """For an order delivered at `arrived`, asked for `after` delivery: "wait", "due" or "past"
    (the window closed). Never before the window opens, whatever `after` says."""
    if now > arrived + CLOSES_AFTER:
        return "past"
    return "due" if now >= max(arrived + after, arrived + OPENS_AFTER) else "wait"


def waiting(orders: list[OrderSnapshot]) -> dict[str, str]:
    """The delivered orders among `orders`, by id, with when they arrived (a cursor's form)."""
    found = {}
    for order in orders:
        arrived = delivered_at(order)
        if arrived is not None:
            found[order.external_id] = to_iso(arrived)
    return found
