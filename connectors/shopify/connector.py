"""The Shopify connector: order context pulled into the store, and order actions.

Shopify has no customer messages; it gives orders and customers, pulled incrementally by their
`updatedAt` (one cursor per kind), and named actions on orders (shopify.actions).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, ClassVar

import httpx

from deskterm.connector import (
    Account,
    Connector,
    ConnectorAction,
    Field,
    NewAccount,
    PermanentError,
)
from deskterm.domain import Batch, Identity, OrderSnapshot, utcnow
from deskterm.sync import http

from . import accounts, documents, mapping, scopes
from .api import ShopifyAPI
from .auth import ClientCredentials, auth_for

MAX_QUERY_COST = 1000
MAX_PAGE = 250
FIRST_PAGE = 10
# Orders of one person fetched when their ticket is opened: the recent ones are the context
# (two lists of this many orders stay under the 1,000 points one query may cost).
PERSON_ORDERS = 8


class ShopifyConnector(Connector):
    name: ClassVar[str] = "shopify"
    channel: ClassVar[str] = "shopify"
    account_help: ClassVar[str] = accounts.HELP
    account_fields: ClassVar[tuple[Field, ...]] = accounts.FIELDS

    @classmethod
    def new_account(cls, name: str, values: dict[str, Any], today: date) -> NewAccount:
        return accounts.new_account(values, today)

    def __init__(
        self,
        account: Account,
        *,
        clock: Callable[[], datetime] = utcnow,
        limiter: http.TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(account, clock=clock)
        settings = account.settings
        if not settings.get("shop"):
            raise PermanentError(f"account {account.name} has no shop; add it again with --shop")
        self.shop: str = settings["shop"]
        self.base_url: str = settings.get("api_url") or f"https://{self.shop}"
        # How the connector waits (backoff, a cancel job's polls): tests and benches pass their own.
        self.sleep = sleep
        self._options: dict[str, Any] = {"limiter": limiter, "sleep": sleep, "transport": transport}
        self._api: ShopifyAPI | None = None

    @property
    def api(self) -> ShopifyAPI:
        """The GraphQL client, made on first use (reading the keyring only when needed)."""
        if self._api is None:
            auth = auth_for(self.account.name, self.account.settings, self.base_url)
            self._api = ShopifyAPI(
                self.account.name, self.shop, base_url=self.base_url, auth=auth, **self._options
            )
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()

    # -- pull ----------------------------------------------------------------------------------

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        since = accounts.first_since(self.account.settings.get("since"), self.clock().date())
        yield from self._pages("customers", cursors.get("customers") or {}, since)
        yield from self._pages("orders", cursors.get("orders") or {}, since)

    def _pages(self, folder: str, cursor: dict, since: str | None) -> Iterator[Batch]:
        """Every page changed since the cursor, each a batch carrying the cursor after it."""
        document = documents.ORDERS_PAGE if folder == "orders" else documents.CUSTOMERS_PAGE
        name = "OrdersPage" if folder == "orders" else "CustomersPage"
        start = cursor.get("since", since)
        after = cursor.get("after")
        newest = cursor.get("newest") or start
        first = int(cursor.get("first") or FIRST_PAGE)
        per_item: float | None = None
        while True:
            query = f"updated_at:>='{start}'" if start else None
            data = self.api.call(
                document,
                {"first": first, "after": after, "query": query},
                cost=2 + first * per_item if per_item else None,
            )
            requested = self.api.costs.get(name)
            if requested:
                # Learnt from this page: the biggest next page under Shopify's per-query limit.
                per_item = max(1.0, (requested - 2) / first)
                first = max(1, min(MAX_PAGE, int((MAX_QUERY_COST - 2) // per_item)))
            connection = data[folder]
            nodes = connection["nodes"]
            for node in nodes:
                newest = max(newest or node["updatedAt"], node["updatedAt"])
            more = bool(connection["pageInfo"]["hasNextPage"])
            after = connection["pageInfo"]["endCursor"] if more else None
            next_cursor = (
                {"since": start, "after": after, "newest": newest, "first": first}
                if more
                else {"since": newest, "after": None}
            )
            yield self._batch(folder, nodes, next_cursor)
            if not more:
                return

    def _batch(self, folder: str, nodes: list[dict], cursor: dict) -> Batch:
        name, shop = self.account.name, self.shop
        if folder == "orders":
            return Batch([], cursor, folder, orders=[mapping.order(name, shop, n) for n in nodes])
        return Batch([], cursor, folder, customers=[mapping.profile(name, shop, n) for n in nodes])

    # -- one person's orders, on demand ------------------------------------------------------

    def orders_for(self, identities: list[Identity]) -> list[OrderSnapshot]:
        """Fresh orders of the person with these identities, by each email address."""
        found: dict[str, OrderSnapshot] = {}
        for identity in identities:
            if identity.kind != "email" or not identity.value:
                continue
            address = identity.value.replace("'", "")
            data = self.api.call(
                documents.ORDERS_OF_EMAIL,
                {"email": identity.value, "query": f"email:'{address}'", "first": PERSON_ORDERS},
            )
            nodes = list(data["orders"]["nodes"])
            if data.get("customerByIdentifier"):
                nodes += data["customerByIdentifier"]["orders"]["nodes"]
            for node in nodes:
                found[node["id"]] = mapping.order(self.account.name, self.shop, node)
        return sorted(found.values(), key=lambda o: o.placed_at, reverse=True)

    # -- checks and actions --------------------------------------------------------------------

    def test(self) -> Iterator[str]:
        """Reach the shop, and report the granted scopes and what each feature still lacks."""
        data = self.api.call(documents.ACCESS)
        shop = data["shop"]
        granted = {s["handle"] for s in data["currentAppInstallation"]["accessScopes"]}
        kind = (
            "client credentials (tokens minted as they expire)"
            if isinstance(self.api.client.auth, ClientCredentials)
            else "admin API token"
        )
        yield f"{shop['name']} ({shop['myshopifyDomain']}, {shop['currencyCode']}) via {kind}"
        yield f"API version {documents.API_VERSION}; scopes: {', '.join(sorted(granted))}"
        yield from scopes.report(granted)

    def actions(self) -> list[ConnectorAction]:
        from .actions import order_actions

        return order_actions(self)
