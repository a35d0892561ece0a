"""Opening a ticket that starts with no customer message: a rule writing first about an order."""

from __future__ import annotations

from datetime import datetime

from deskterm.actions.common import ActionError, Done, check_actor, finish, write_event
from deskterm.domain import to_iso
from deskterm.store import Store, inserted_id


def open_for_order(
    store: Store, order_id: int, account: str, subject: str, *, actor: str, at: datetime
) -> Done:
    """A new ticket on `account` about the order, for its buyer; its `created` event names the
    order instead of a message. Refused when a ticket is linked to the order already."""
    check_actor(actor)
    with store.tx() as conn:
        found = conn.execute(
            "SELECT o.customer_id, o.number, a.channel, EXISTS (SELECT 1 FROM tickets t"
            " WHERE t.order_id = o.id) FROM orders o, accounts a WHERE o.id = ? AND a.name = ?",
            (order_id, account),
        ).fetchone()
        if found is None or found[0] is None:
            raise ActionError(
                f"there is no order #{order_id} with a known buyer, or no account {account}"
            )
        customer_id, number, channel, linked = found
        if linked:
            raise ActionError(f"order {number} has a ticket already")
        moment = to_iso(at)
        cur = conn.execute(
            "INSERT INTO tickets (customer_id, account, channel, subject, status, order_id,"
            " created_at, updated_at, last_message_at) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?)",
            (customer_id, account, channel, subject, order_id, moment, moment, moment),
        )
        ticket_id = inserted_id(cur)
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
