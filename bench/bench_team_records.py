"""What the team shares beside the event log, timed against a PostgreSQL this script starts and a
local Dovecot: orders published and joined, orders the worker changes reaching another replica,
and a worker taking a mail account over from one that stopped.

    python bench/bench_team_records.py                 # 2,000 orders, 200 changed, 300 mails
    python bench/bench_team_records.py --orders 10000 --mails 1000

The takeover is run twice: with the team's cursor, as deskterm keeps it, and with the cursor
removed from the server first, which is what every takeover did before cursors were shared (the
new worker reads the whole mailbox again, and the ingest dedup drops what the team has). It
prints the mails each second worker read and its time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.integration: the PostgreSQL and Dovecot launchers

from team_agent import keep_secrets_in  # noqa: E402

from deskterm import ingest  # noqa: E402
from deskterm.domain import Identity, OrderSnapshot, Refund, to_iso  # noqa: E402
from deskterm.secrets import env_name  # noqa: E402
from deskterm.store import Store, open_store  # noqa: E402
from deskterm.team import replica, server  # noqa: E402
from deskterm.team.worker import Worker  # noqa: E402
from tests.integration.conftest import mail  # noqa: E402
from tests.integration.postgres import Postgres, postgres_bin, running_postgres  # noqa: E402
from tests.integration.servers import PASSWORD, Dovecot, running_dovecot  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _order(n: int, status: str = "paid") -> OrderSnapshot:
    refunds = (Refund(f"r{n}", "5.00", "EUR", NOW),) if status == "refunded" else ()
    return OrderSnapshot(
        account="shop",
        external_id=f"gid://shopify/Order/{n}",
        number=f"#{1000 + n}",
        customer=Identity("email", f"buyer{n % 500}@example.net"),
        customer_name=f"Buyer {n % 500}",
        status=status,
        placed_at=NOW - timedelta(hours=n),
        total="59.90",
        currency="EUR",
        items=({"title": "Blue mug", "quantity": 2, "price": "19.95"},),
        refunds=refunds,
    )


def _timed(what: str, run: Callable[[], object]) -> object:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    print(
        f"{what}: {time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU"
        " (this process; PostgreSQL not counted)"
    )
    return result


def _team(pg: Postgres, agents: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """A shared database owned by anna, with a login role per agent: (address, role) by agent."""
    db = pg.new_database()
    roles = {name: pg.new_role(name) for name in agents}
    with pg.admin() as conn:
        conn.execute(f'ALTER DATABASE "{db}" OWNER TO "{roles["anna"]}"')
    return {name: pg.dsn(db, role, "pw") for name, role in roles.items()}, roles


def _add(owner_url: str, role: str, agent: str) -> None:
    conn = server.connect(owner_url)
    try:
        server.add_agent(conn, role, agent)
    finally:
        conn.close()


def _sync(store: Store) -> None:
    conn = replica.open_server(replica.configured(store))
    try:
        replica.sync_once(store, conn)
    finally:
        conn.close()


def orders(pg: Postgres, tmp: Path, count: int, changed: int) -> None:
    urls, roles = _team(pg, ("anna", "ben"))
    anna = open_store(tmp / "orders-anna.db")
    with anna.tx() as conn:
        ingest.upsert_orders(conn, [_order(n) for n in range(count)], to_iso(NOW))
    _timed(f"publish {count} orders (team init)", lambda: replica.init(anna, urls["anna"], "anna"))
    _add(urls["anna"], roles["ben"], "ben")
    ben = open_store(tmp / "orders-ben.db")
    _timed(f"join, pulling {count} orders", lambda: replica.join(ben, urls["ben"], "ben"))
    joined = ben.conn.execute("SELECT count(*) FROM orders").fetchone()[0]
    print(f"ben's replica: {joined} of {count} orders")
    with anna.tx() as conn:
        refunded = [_order(n, "refunded") for n in range(changed)]
        ingest.upsert_orders(conn, refunded, to_iso(NOW))
    _timed(f"push {changed} changed orders", lambda: _sync(anna))
    _timed(f"pull {changed} changed orders", lambda: _sync(ben))
    held = ben.conn.execute("SELECT count(*) FROM orders WHERE status = 'refunded'").fetchone()
    print(f"ben's replica: {held[0]} of {changed} orders refunded")


def takeover(pg: Postgres, dovecot: Dovecot, tmp: Path, mails: int, shared: bool) -> None:
    urls, _ = _team(pg, ("anna",))
    user = dovecot.add_user()
    name = f"mail-{user}"
    os.environ[env_name(name)] = PASSWORD
    client = dovecot.client(user)
    for n in range(mails):
        client.append(
            "INBOX", mail(f"Order {n}", sender=f"b{n}@example.net", message_id=f"<{n}@x>")
        )
    client.logout()
    label = "shared" if shared else "removed"
    first = open_store(tmp / f"take-{label}-1.db")
    settings = {
        "host": "127.0.0.1",
        "port": dovecot.port,
        "security": "none",
        "username": user,
        "folders": ["INBOX"],
        "data_dir": str(tmp / f"data-{label}"),
    }
    with first.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES (?, 'email', 'email', 'help@shop.example', ?, ?)",
            (name, json.dumps(settings), to_iso(NOW)),
        )
    replica.init(first, urls["anna"], "anna")
    worker = Worker(first)
    worker.run_once()
    worker.close()
    if not shared:
        conn = server.connect(urls["anna"])
        with conn.transaction():
            conn.execute("DELETE FROM deskterm.records WHERE kind = 'cursor'")
        conn.close()
    second = open_store(tmp / f"take-{label}-2.db")
    replica.join(second, urls["anna"], "anna")
    taker = Worker(second)
    what = f"takeover, cursor {label}"
    reports = _timed(what, taker.run_once)
    taker.close()
    read = sum(r.pulled + r.duplicates for r in reports)  # type: ignore[attr-defined]
    print(f"{what}: the second worker read {read} of {mails} mails")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--changed", type=int, default=200)
    parser.add_argument("--mails", type=int, default=300)
    args = parser.parse_args()
    bindir = postgres_bin()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_postgres(bindir) as pg,
        running_dovecot(Path(tmp) / "dovecot") as dovecot,
    ):
        keep_secrets_in(Path(tmp))
        orders(pg, Path(tmp), args.orders, args.changed)
        for shared in (False, True):
            takeover(pg, dovecot, Path(tmp), args.mails, shared)


if __name__ == "__main__":
    main()
