"""First Amazon order sync speed: N orders from the local fake SP-API, pulled through
AmazonConnector (searchOrders pages of 100 with includedData) and the sync engine into a fresh store.

    .venv/bin/python bench/bench_amazon.py [--orders 1000]

The fake validates every request and answer against Amazon's Swagger files and keeps each
operation's usage plan, as in the tests, so its time is part of the figure. searchOrders allows a
burst of 20 pages (2,000 orders); more waits for Amazon's 0.0056 requests per second. Prints
orders/s and the requests made.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.integration.amazon_fake

from deskterm.connector import Account
from deskterm.secrets import env_name
from deskterm.store import open_store
from deskterm.sync import engine
from tests.integration.amazon_fake import (
    CLIENT_ID,
    CLIENT_SECRET,
    MARKETPLACE,
    REFRESH_TOKEN,
    FakeServer,
    FakeSpApi,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    fake = FakeSpApi()
    for n in range(args.orders):
        fake.add_order(
            f"202-{n // 10_000_000:07d}-{n % 10_000_000:07d}",
            buyer_email=f"buyer{n}@marketplace.amazon.co.uk",
            updated=now - timedelta(minutes=args.orders - n),
        )
    name = "bench-amazon"
    for key, value in (
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", REFRESH_TOKEN),
    ):
        os.environ[env_name(name, key)] = value
    with FakeServer(fake) as running, tempfile.TemporaryDirectory() as tmp:
        settings = {
            "region": "eu",
            "marketplace": MARKETPLACE,
            "endpoint": running.base_url,
            "token_url": f"{running.base_url}/auth/o2/token",
        }
        store = open_store(Path(tmp) / "bench.db")
        account = Account(name, "amazon", "amazon", "amazon.co.uk", settings)
        started = time.perf_counter()
        report = engine.sync_account(store, account, now=now)
        elapsed = time.perf_counter() - started
        stored = store.conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        store.close()
    if report.error or running.violations:
        sys.exit(f"sync failed: {report.error or running.violations[:3]}")
    calls = ", ".join(f"{op} {n}" for op, n in Counter(running.calls).items())
    print(f"{stored} orders in {elapsed:.2f} s: {stored / elapsed:,.0f} orders/s ({calls})")


if __name__ == "__main__":
    main()
