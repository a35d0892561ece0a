"""Start the fake Shopify on its own, with a small shop in it, to drive deskterm by hand.

    .venv/bin/python tests/run_fake_shopify.py [--port 8766]

It prints the `deskterm account add shopify` command that points at it (an admin token on
stdin), then each operation deskterm sends, as it arrives. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.fake_shopify import seed
from tests.integration.fake_shopify.server import FakeShopify


def fill(fake: FakeShopify) -> None:
    shop = fake.shop
    anna = seed.customer(shop, 7, "anna@example.com", "Anna Adams", tags=["vip"], note="Regular")
    seed.order(shop, 1042, anna, placed=shop.now() - timedelta(days=4), fulfilled=True, lines=3)
    seed.order(shop, 1043, anna, placed=shop.now() - timedelta(days=1))
    ben = seed.customer(shop, 8, "ben@example.com", "Ben Brown")
    seed.order(shop, 1044, ben, placed=shop.now() - timedelta(days=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    fake = FakeShopify().start(port=args.port)
    fill(fake)
    token = fake.admin_token()
    print(f"fake Shopify at {fake.url}")
    print(
        f"echo {token} | deskterm account add shopify shop --shop fake.myshopify.com"
        f" --auth admin-token --api-url {fake.url} --password-stdin"
    )
    seen = 0
    try:
        while True:
            time.sleep(0.5)
            for name in fake.operations[seen:]:
                print(f"  {name}", flush=True)
            seen = len(fake.operations)
            for _document, problems in fake.invalid:
                print(f"  INVALID: {problems}", flush=True)
            fake.invalid.clear()
    except KeyboardInterrupt:
        print(f"\n{len(fake.operations)} operations; {fake.mutations.refunds_created} refunds")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
