"""Shopify backfill pace against the cost bucket, and the order sidebar's render time.

    .venv/bin/python bench/bench_shopify.py [--orders 50000] [--rate 100] [--real-time]
    .venv/bin/python bench/bench_shopify.py --sidebar-only

Backfill: the fake Shopify (tests/integration/fake_shopify) holds N orders and charges Shopify's
costs against a leaky bucket of 2,000 points restored at --rate points/s; a first sync pulls them
all through ShopifyConnector.pull + ingest into a fresh store. Achieved throughput is the points
Shopify charged per second of the run, against what the bucket allows over the same time (its
2,000 at the start plus the restore rate); THROTTLED answers are counted at the fake (the client
waits for the bucket instead) and any error reaching the sync report fails the run.

Waiting is what this measures, so by default the fake and the client share a clock whose sleeps
pass at once (the run's real work still counts as time): 50,000 orders at about 14 points each
take ~2 hours of bucket time. --real-time sleeps for real (use fewer orders).

Sidebar: the time to read a 40-line order (20 items, shipments, refunds) and its buyer from the
store and build the sidebar's text, median of 200 runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.integration.fake_shopify: the fake shop

from deskterm import ingest, secrets  # noqa: E402
from deskterm.connector import Account  # noqa: E402
from deskterm.connectors.shopify import ShopifyConnector  # noqa: E402
from deskterm.domain import (  # noqa: E402
    Address,
    Batch,
    CustomerProfile,
    Fulfillment,
    Identity,
    OrderSnapshot,
    Refund,
)
from deskterm.store import open_store  # noqa: E402
from deskterm.store import orders as store_orders  # noqa: E402
from deskterm.sync import engine, http  # noqa: E402
from tests.integration.fake_shopify import seed  # noqa: E402
from tests.integration.fake_shopify.server import FakeShopify  # noqa: E402


class SkippingClock:
    """Monotonic time in which sleeping takes no real time: sleeps are added, not waited."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._skipped += max(0.0, seconds)


def backfill(orders: int, rate: float, real_time: bool) -> None:
    clock = SkippingClock()
    now, sleep = (time.monotonic, time.sleep) if real_time else (clock.now, clock.sleep)
    fake = FakeShopify(restore_rate=rate, clock=now).start()
    seed.backfill(fake.shop, orders)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DESKTERM_SECRETS_FILE"] = str(Path(tmp) / "secrets.json")
        secrets._keyring = lambda: None  # the bench's token stays in its temp folder
        secrets.set_secret("bench", fake.admin_token(), "admin_token")
        settings = {"shop": "bench.myshopify.com", "api_url": fake.url, "auth": "admin_token"}
        account = Account("bench", "shopify", "shopify", "bench.myshopify.com", settings)
        store = open_store(Path(tmp) / "bench.db")
        limiter = http.TokenBucket(rate, 2000.0, clock=now, sleep=sleep)
        connector = ShopifyConnector(account, limiter=limiter, sleep=sleep)
        started, real_started = now(), time.perf_counter()
        report = engine.sync_account(store, account, connector=connector)
        elapsed, real = now() - started, time.perf_counter() - real_started
        stored = store.conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        store.close()
    fake.stop()
    allowed = fake.bucket.maximum + rate * elapsed
    ratio = fake.bucket.spent / allowed
    print(f"orders stored:        {stored:,} of {orders:,} (sync report: {report.state})")
    print(f"bucket time:          {elapsed:,.0f} s ({'real' if real_time else 'sleeps skipped'})")
    print(f"real time:            {real:,.1f} s")
    print(
        f"points charged:       {fake.bucket.spent:,.0f} ({fake.bucket.spent / stored:.1f} per order)"
    )
    print(f"achieved:             {fake.bucket.spent / elapsed:.1f} points/s of {rate:.0f}")
    print(f"of what the bucket allows ({allowed:,.0f} points): {ratio:.1%}")
    print(f"orders/s (bucket time): {stored / elapsed:.2f}")
    print(
        f"THROTTLED answers at the fake: {fake.throttled}; errors reaching the user: "
        f"{0 if report.state == 'online' else report.error}"
    )
    if report.state != "online" or stored != orders:
        sys.exit(1)


def forty_line_order() -> tuple[OrderSnapshot, CustomerProfile]:
    placed = datetime(2026, 11, 1, 12, tzinfo=UTC)
    items = tuple(
        {"id": f"li-{n}", "title": f"Item {n}", "sku": f"SKU-{n}", "quantity": 1 + n % 3,
         "price": "12.50", "refundable": 1}
        for n in range(20)
    )  # fmt: skip
    shipments = tuple(
        Fulfillment(f"f-{n}", "success", "in_transit", "DHL", f"JD{n:010d}",
                    f"https://dhl.example/{n}", placed + timedelta(days=1))
        for n in range(3)
    )  # fmt: skip
    refunds = tuple(Refund(f"r-{n}", "12.50", "EUR", placed, "damaged") for n in range(3))
    order = OrderSnapshot(
        "shop", "gid://shopify/Order/1", "#1001", Identity("email", "anna@example.com"), "open",
        placed, "500.00", "EUR", "partially_fulfilled", items=items, customer_name="Anna Adams",
        financial_status="partially_refunded", note="Leave at the door", tags=("vip",),
        shipping_address=Address("Anna", "Adams", address1="Hauptstr. 1", city="Berlin",
                                 zip="10115", country="DE"),
        fulfillments=shipments, refunds=refunds, status_url="https://shop.example/s/1",
        admin_url="https://admin.shopify.com/store/x/orders/1", customer_ref="c-1",
    )  # fmt: skip
    profile = CustomerProfile("shop", "c-1", "Anna Adams", (Identity("email", "anna@example.com"),),
                              12, "1200.00", "EUR", ("vip",), "Prefers email")  # fmt: skip
    return order, profile


def sidebar(runs: int = 200) -> None:
    from deskterm.tui.widgets.sidebar import order_section

    order, profile = forty_line_order()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        ingest.ingest_batch(store, "shop", Batch([], {}, orders=[order], customers=[profile]))
        customer = store.conn.execute("SELECT customer_id FROM orders").fetchone()[0]
        times, lines = [], 0
        for _ in range(runs):
            start = time.perf_counter()
            orders = store_orders.orders_for_customer(store, customer)
            found = store_orders.profile(store, orders[0].account, orders[0].customer_ref)
            text = order_section(orders, orders[0].id, found, UTC)
            times.append(time.perf_counter() - start)
            lines = len(text.plain.splitlines())
        store.close()
    print(
        f"sidebar order section: {lines} lines, median {statistics.median(times) * 1000:.2f} ms,"
        f" p90 {sorted(times)[int(runs * 0.9)] * 1000:.2f} ms (from the store, {runs} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=100.0, help="restore rate, points/s")
    parser.add_argument("--real-time", action="store_true", help="sleep for real")
    parser.add_argument("--sidebar-only", action="store_true")
    args = parser.parse_args()
    sidebar()
    if not args.sidebar_only:
        backfill(args.orders, args.rate, args.real_time)


if __name__ == "__main__":
    main()
