"""Start the fake eBay on its own, with a small shop in it, to drive deskterm by hand.

    .venv/bin/python tests/run_fake_ebay.py [--port 8765]

It prints the `deskterm account add ebay` command that points at it, then each message deskterm
sends, as it arrives. Ctrl-C stops it and prints how many messages it received.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deskterm.domain import utcnow
from tests.integration.fake_ebay import (
    CLIENT_ID,
    CLIENT_SECRET,
    RU_NAME,
    SELLER,
    FakeEbay,
    specs_dir,
)


def seed(fake: FakeEbay) -> None:
    now = fake.now
    fake.order(
        "12-34567-89012",
        "anna_b",
        email="anna@example.net",
        listing="110000000042",
        title="Trail running shoes, size 39",
        shipped=("USPS", "9400111899223100"),
    )
    cid = fake.conversation("anna_b", "Where are my trail shoes?", listing="110000000042")
    fake.message(
        cid,
        "Hi, I ordered the trail shoes last week and nothing has arrived yet. Can you check?",
        at=now - timedelta(hours=3),
    )
    notice = fake.conversation("eBay", "Your item sold: Trail running shoes", kind="FROM_EBAY")
    fake.message(
        notice,
        "<p>Congratulations, your item sold to <b>anna_b</b>.</p>",
        at=now - timedelta(days=3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    args = parser.parse_args()
    specs = specs_dir()
    if specs is None:
        sys.exit("eBay's OpenAPI descriptions are not in ../shared/specs; set DESKTERM_SPECS")
    fake = FakeEbay(specs, utcnow(), port=args.port).start()
    seed(fake)
    print(f"fake eBay on {fake.url}", flush=True)
    print(
        f"deskterm account add ebay shop-ebay --client-id {CLIENT_ID} --ru-name {RU_NAME}"
        f" --seller {SELLER} --api-url {fake.url} --auth-url {fake.url}/oauth2/authorize",
        flush=True,
    )
    print(f"client secret: {CLIENT_SECRET}; open the printed link with curl -sI", flush=True)
    shown = 0
    try:
        while True:
            for sent in fake.sent[shown:]:
                print(f"received send_message #{shown + 1}: {sent}", flush=True)
                shown += 1
            for problem in fake.violations:
                print(f"VIOLATION: {problem}", flush=True)
            fake.violations.clear()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(f"\nreceived {len(fake.sent)} message(s)")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
