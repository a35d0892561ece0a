"""The order actions a Shopify account offers, and what they share: finding the order as it is
in Shopify right now, and turning Shopify's refusals into errors with its own words.

deskterm.connector_calls runs them (intent, call, outcome in the ticket's timeline); each has a
preview computed from Shopify's current data, shown before a person confirms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deskterm.connector import ConnectorAction, PermanentError
from deskterm.domain import OrderSnapshot

from .. import params
from . import documents, mapping
from .api import ShopifyAPI, user_errors

if TYPE_CHECKING:
    from .connector import ShopifyConnector


@dataclass(frozen=True, slots=True)
class Current:
    """An order as Shopify has it now: its GraphQL node and the same as a snapshot."""

    node: dict[str, Any]
    snapshot: OrderSnapshot

    @property
    def gid(self) -> str:
        return self.node["id"]

    @property
    def name(self) -> str:
        return self.node["name"]


class Shop:
    """What every action needs: the API, the shop's name, and a way to wait between polls."""

    def __init__(self, connector: ShopifyConnector) -> None:
        self.connector = connector
        self.sleep: Callable[[float], None] = connector.sleep

    @property
    def api(self) -> ShopifyAPI:
        return self.connector.api

    def order_id(self, given: Mapping[str, Any]) -> str:
        """The order's Shopify id from the `order` parameter: "#1042", "1042" or its gid."""
        wanted = params.required(given, "order")
        if wanted.startswith("gid://shopify/Order/"):
            return wanted
        name = "#" + wanted.lstrip("#")
        found = self.api.call(documents.ORDER_BY_NAME, {"query": f"name:'{name}'"})
        nodes = found["orders"]["nodes"]
        if not nodes or nodes[0]["name"] != name:
            raise PermanentError(f"{self.connector.shop} has no order {name}")
        return nodes[0]["id"]

    def current(self, given: Mapping[str, Any]) -> Current:
        gid = self.order_id(given)
        node = self.api.call(documents.ORDER, {"id": gid})["order"]
        if node is None:
            raise PermanentError(f"{self.connector.shop} has no order {gid}")
        account = self.connector.account.name
        return Current(node, mapping.order(account, self.connector.shop, node))

    def accepted(
        self, what: str, order: str, payload: dict | None, key: str = "userErrors"
    ) -> dict:
        """Shopify's answer to `what`; raises its own reason when it refused, or gave no answer."""
        reason = user_errors(payload, key)
        if reason:
            raise PermanentError(f"Shopify refused {what} on {order}: {reason}")
        if payload is None:
            raise PermanentError(f"Shopify gave no answer to {what} on {order}")
        return payload


def order_actions(connector: ShopifyConnector) -> list[ConnectorAction]:
    from .edits import edit_actions
    from .money import money_actions

    shop = Shop(connector)
    return money_actions(shop) + edit_actions(shop)
