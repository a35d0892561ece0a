"""Opening a ticket that starts with no customer message: a rule writing first about an order."""

from __future__ import annotations

from datetime import datetime

from deskterm.actions.common import ActionError, Done, check_actor, finish, write_event
from deskterm.domain import to_iso
from deskterm.store import Store, tickets


def open_for_order(
    store: Store, order_id: int, account: str, subject: str, *, actor: str, at: datetime
) -> Done:
    """A new ticket on `account` about the order, for its buyer; its `created` event names the
    order instead of a message. Refused when a ticket is linked to the order already."""
    check_actor(actor)
    with store.tx() as conn:
        found = tickets.order_to_open(conn, order_id, account)
        if found is None:
            raise ActionError(
                f"there is no order #{order_id} with a known buyer, or no account {account}"
            )
        customer_id, number, channel, linked = found
        if linked:
            raise ActionError(f"order {number} has a ticket already")
        ticket_id = tickets.insert_ticket(
            conn, customer_id, account, channel, subject, order_id, to_iso(at)
        )
        event = write_event(
            conn,
            ticket_id,
            "created",
            actor,
            at,
            {"account": account, "channel": channel, "order": number},
        )
        finish(conn, ticket_id, at)
    return Done(event)
