"""The live demo channel: a new customer message every couple of minutes per demo account, delivered
through the real sync and ingest path, and replies that "leave" at once. Needs no network.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from deskterm import demo_shop
from deskterm.connector import Account, Connector, Handover
from deskterm.domain import Batch, Outbound, from_iso, to_iso, utcnow


class DemoConnector(Connector):
    name = "demo"
    channel = "demo"
    can_send = True

    def __init__(self, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(account, clock=clock)
        self.interval = timedelta(seconds=float(account.settings.get("interval", 120)))

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
