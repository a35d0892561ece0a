"""The live demo channel: a new customer message every couple of minutes per demo account, delivered
through the real sync and ingest path, and replies that "leave" at once. The account whose
settings name a simulated shop (`shop`: its file) also answers order look-ups and the shop's
order actions (refund, cancel, address, tracking, note, tag, replacement) from that file. Needs no network.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from deskterm import demo_shop
from deskterm.connector import Account, Connector, ConnectorAction, Handover, PermanentError
from deskterm.domain import Batch, Identity, OrderSnapshot, Outbound, from_iso, to_iso, utcnow
from deskterm.simulated_shop import ShopRefused, SimulatedShop

from .orders import demo_order_actions


class DemoConnector(Connector):
    name = "demo"
    channel = "demo"
    can_send = True

    def __init__(self, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(account, clock=clock)
        self.interval = timedelta(seconds=float(account.settings.get("interval", 120)))
        shop = account.settings.get("shop")
        self.shop = SimulatedShop(Path(shop)) if shop else None

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        cursor = cursors.get("", {})
        now: datetime = self.clock()
        delivered = int(cursor.get("delivered", 0))
        last = from_iso(cursor["last"]) if "last" in cursor else None
        if last is not None and now - last < self.interval:
            return
        rng = random.Random(f"{self.account.name}/{delivered}")
        # Live customers get their own range of order numbers per account, clear of the build's.
        base = 100_000 + zlib.crc32(self.account.name.encode()) % 900 * 1_000
        customer = demo_shop.random_customer(rng, now, base + delivered, base + 3 * delivered)
        order = max(customer.orders, key=lambda o: o.placed_at)
        scenario = rng.choice(demo_shop.SCENARIOS)
        message = demo_shop.customer_message(
            self.account.name,
            self.account.channel,
            customer,
            order,
            scenario,
            rng,
            now,
            f"live-{self.account.name}-{delivered}",
        )
        if self.shop is not None:
            self._stock(customer.orders)
        yield Batch(
            [message],
            {"delivered": delivered + 1, "last": to_iso(now)},
            orders=list(customer.orders),
        )

    def send(self, outbound: Outbound, handover: Handover) -> str:
        # The demo channel accepts every reply and, like eBay's idempotent send, gives the same
        # id for the same key, so a retry after a crash can never create a second copy.
        return f"demo-sent-{outbound.idempotency_key}"

    def confirm_sent(self, outbound: Outbound) -> str | None:
        return f"demo-sent-{outbound.idempotency_key}"

    def _stock(self, orders: list[OrderSnapshot]) -> None:
        """A live customer's orders reach the simulated shop too, so its actions find them."""
        assert self.shop is not None
        try:
            self.shop.stock(orders)
        except ShopRefused as exc:
            raise PermanentError(str(exc)) from None

    def orders_for(self, identities: list[Identity]) -> list[OrderSnapshot]:
        if self.shop is None:
            return []
        try:
            return self.shop.orders_for(identities)
        except ShopRefused as exc:
            raise PermanentError(str(exc)) from None

    def actions(self) -> list[ConnectorAction]:
        return [] if self.shop is None else demo_order_actions(self.shop, self.clock)
