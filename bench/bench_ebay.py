"""First eBay sync speed: N buyer conversations (and one order each) from the local fake eBay,
pulled through EbayConnector and the sync engine into a fresh store.

    .venv/bin/python bench/bench_ebay.py [--conversations 1000] [--messages 3]

The fake validates every request and response against eBay's OpenAPI descriptions, as in the
tests, so its time is part of the figure; the connector's own rate limit is lifted. Prints
conversations/s and requests per conversation.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.integration.fake_ebay

from deskterm.connector import Account
from deskterm.secrets import env_name
from deskterm.store import open_store
from deskterm.sync import engine
from tests.integration.fake_ebay import CLIENT_SECRET, FakeEbay, specs_dir

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def fill(fake: FakeEbay, conversations: int, messages: int) -> None:
    for n in range(conversations):
        buyer = f"buyer{n}"
        fake.order(f"{10 + n % 90}-{n:05d}-{n:05d}", buyer, email=f"{buyer}@example.net")
        cid = fake.conversation(buyer, f"Question {n}", listing="110000000001")
        for m in range(messages):
            fake.message(cid, f"Message {m} about item {n}", at=NOW - timedelta(minutes=n + m))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=3, help="messages per conversation")
    args = parser.parse_args()
    specs = specs_dir()
    if specs is None:
        sys.exit("eBay's OpenAPI descriptions are not in ../shared/specs; set DESKTERM_SPECS")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request
    fake = FakeEbay(specs, NOW).start()
    try:
        fill(fake, args.conversations, args.messages)
        with tempfile.TemporaryDirectory() as tmp:
            os.environ[env_name("bench-ebay")] = CLIENT_SECRET
            os.environ[env_name("bench-ebay", "refresh_token")] = "refresh-token-1"
            assert os.environ[env_name("bench-ebay")] == CLIENT_SECRET
            settings = fake.settings(data_dir=tmp, requests_per_second=10_000)
            store = open_store(Path(tmp) / "bench.db")
            with store.tx() as conn:
                conn.execute(
                    "INSERT INTO accounts (name, connector, channel, settings, created_at)"
                    " VALUES ('bench-ebay', 'ebay', 'ebay', ?, '2026-11-01T00:00:00Z')",
                    (json.dumps(settings),),
                )
            account = Account("bench-ebay", "ebay", "ebay", "", settings)
            started = time.perf_counter()
            report = engine.sync_account(store, account, now=NOW)
            took = time.perf_counter() - started
            store.close()
    finally:
        fake.stop()
    if report.error:
        sys.exit(f"sync failed: {report.error}")
    if fake.violations:
        sys.exit(f"off-spec requests: {fake.violations[:3]}")
    print(
        f"{args.conversations} conversations, {report.pulled} messages, "
        f"{args.conversations} orders in {took:.1f} s: "
        f"{args.conversations / took:,.0f} conversations/s, "
        f"{len(fake.seen) / args.conversations:.2f} requests per conversation"
    )


if __name__ == "__main__":
    main()
