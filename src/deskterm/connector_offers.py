"""Which connector actions a ticket offers now, filled in with its order, and why others are not.

A ticket's order belongs to an account (an Amazon seller account, a shop); that account's
connector lists its actions and says which the channel refuses for this order right now (Amazon
decides per order which buyer messages may be sent). This asks the channel: never call it on the
UI thread or inside a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deskterm.connector import ConnectorError, Field, connector_for
from deskterm.store import Store
from deskterm.store import orders as store_orders
from deskterm.store.accounts import account


@dataclass(frozen=True, slots=True)
class Offer:
    """One connector action for one ticket: runnable now, or the reason it is not."""

    name: str  # "amazon.unexpectedProblem", as connector_calls and macros name it
    description: str
    params: dict[str, Any]  # what the ticket fills in: {"order": its number}
    fields: tuple[Field, ...] = ()
    has_preview: bool = False
    reason: str = ""

    @property
    def available(self) -> bool:
        return not self.reason


def offers(store: Store, ticket_id: int) -> list[Offer]:
    """The connector actions of the ticket's order accounts, each with why it cannot run now."""
    found: list[Offer] = []
    for order in store_orders.orders_of_ticket(store, ticket_id):
        owner = account(store, order.account)
        if owner is None or not owner.enabled:
            continue
        try:
            connector = connector_for(owner)
        except ConnectorError:
            continue  # not installed here: it has no actions to offer
        params = {"order": order.number}
        try:
            actions = connector.actions()
            try:
                refused = connector.unavailable(params) if actions else {}
            except ConnectorError as exc:
                refused = {a.name: str(exc) for a in actions}
        finally:
            connector.close()
        found += [
            Offer(
                f"{owner.connector}.{action.name}",
                action.description,
                params,
                action.fields,
                action.preview is not None,
                refused.get(action.name, ""),
            )
            for action in actions
        ]
    return found
