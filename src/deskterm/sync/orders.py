"""One customer's orders fetched now from every shop that can say (a ticket was opened).

The sync pulls all orders now and then; this brings one person's up to date when their ticket is
opened and what the store holds is older than `max_age`. It calls the network: run it on a
worker, never on the UI thread.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from deskterm import ingest
from deskterm.connector import Account, Connector, ConnectorError, connector_for, registry
from deskterm.domain import from_iso, to_iso, utcnow
from deskterm.store import Store, queries
from deskterm.store import orders as store_orders

MAX_AGE = timedelta(minutes=10)
log = logging.getLogger("deskterm.sync.orders")


def _offers_orders(account: Account) -> bool:
    cls = registry().get(account.connector)
    return cls is not None and cls.orders_for is not Connector.orders_for


def refresh_customer(
    store: Store, customer_id: int, *, now: datetime | None = None, max_age: timedelta = MAX_AGE
) -> list[str]:
    """Fetch the customer's orders from each account whose copy is stale; the accounts asked.

    A failing account is skipped (and asked again next time); the others still run.
    """
    now = now or utcnow()
    customer = queries.customer(store, customer_id)
    identities = list(customer.identities) if customer else []
    asked = []
    for account in queries.enabled_accounts(store):
        if not _offers_orders(account):
            continue
        fetched = store_orders.fetched_at(store, account.name, customer_id)
        if fetched is not None and now - from_iso(fetched) < max_age:
            continue
        try:
            connector = connector_for(account)
            try:
                found = connector.orders_for(identities)
            finally:
                connector.close()
        except ConnectorError as exc:
            # The sync's own status shows the account's trouble; this was only a freshen-up.
            log.info("orders of customer %s from %s: %s", customer_id, account.name, exc)
            continue
        with store.tx() as conn:
            ingest.upsert_orders(conn, found, to_iso(now))
            store_orders.mark_fetched(conn, account.name, customer_id, now)
        asked.append(account.name)
    return asked
