"""Team mode under load: agent processes, each on its own replica of one workspace shared through
a PostgreSQL this script starts, act for a while (notes, tags, priorities, assignments), some
going offline for part of it; an observer replica notes when each agent's note arrives there.
At the end every replica must hold exactly the server's events, once each.

    python bench/bench_team.py                     # 8 agents for 60 s, two offline for 20 s
    python bench/bench_team.py --agents 50 --seconds 300 --offline 60

Prints the time from an agent's note to its arrival at the observer (p50, p99, max), online
notes and notes written offline apart (those wait for their writer to come back).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.integration.postgres: the PostgreSQL launcher

from tests.integration.postgres import Postgres, postgres_bin, running_postgres  # noqa: E402

TICKETS = 40
TAGS = ("vip", "refund", "late", "damaged", "wismo")


def _seed(path: Path) -> None:
    """The owner's workspace: TICKETS tickets from as many customers."""
    from datetime import UTC, datetime, timedelta

    from deskterm import ingest
    from deskterm.domain import Batch, Identity, InboundMessage
    from deskterm.store import open_store

    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    messages = [
        InboundMessage(
            account="mail",
            external_id=f"seed-{n}",
            channel="email",
            sender=Identity("email", f"customer{n}@example.com"),
            sender_name=f"Customer {n}",
            sent_at=start + timedelta(minutes=n),
            subject=f"Order {n}",
            text="Where is my order?",
            message_id=f"<seed{n}@example.com>",
        )
        for n in range(TICKETS)
    ]
    store = open_store(path)
    ingest.ingest_batch(store, "mail", Batch(messages, {}), now=start + timedelta(hours=1))
    store.close()


def _act(rng: random.Random, store, agent: str, tickets: list[int], offline: bool) -> None:
    from deskterm import actions

    ticket = rng.choice(tickets)
    actor = f"agent:{agent}"
    roll = rng.random()
    try:
        if roll < 0.4:
            mark = "offline" if offline else "online"
            actions.note(store, ticket, f"@{time.time():.6f} {mark} {agent}", actor=actor)
        elif roll < 0.6:
            actions.tag(store, ticket, rng.choice(TAGS), actor=actor)
        elif roll < 0.75:
            actions.untag(store, ticket, rng.choice(TAGS), actor=actor)
        elif roll < 0.9:
            actions.set_priority(store, ticket, rng.choice(["low", "normal", "high"]), actor=actor)
        else:
            actions.assign(store, ticket, agent, actor=actor)
    except actions.ActionError:
        pass


def _flush(store) -> None:
    from deskterm.team import replica

    conn = replica.open_server(replica.configured(store))
    try:
        replica.sync_once(store, conn)
    finally:
        conn.close()


def agent_main(path: str, agent: str, seconds: float, offline_at: float, offline_s: float) -> None:
    """One agent: acts about twice a second; its replica syncs in a thread, except offline."""
    from deskterm.store import open_store
    from deskterm.team import replica

    store = open_store(path)
    tickets = [t for (t,) in store.conn.execute("SELECT id FROM tickets")]
    rng = random.Random(agent)
    start = time.monotonic()

    def syncing(stop: threading.Event) -> threading.Thread:
        def run() -> None:
            own = open_store(path)
            try:
                replica.watch(own, stop, poll_s=5.0)
            finally:
                own.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    stop = threading.Event()
    thread = syncing(stop)
    went_offline = False
    while (elapsed := time.monotonic() - start) < seconds:
        offline = offline_at <= elapsed < offline_at + offline_s
        if offline and not went_offline:
            # The network goes once what was written so far has left: a note written just
            # before would otherwise count as online and wait the whole time away.
            stop.set()
            thread.join()
            _flush(store)
            went_offline = True
        elif not offline and went_offline and thread is not None and not thread.is_alive():
            stop = threading.Event()
            thread = syncing(stop)
        _act(rng, store, agent, tickets, offline)
        time.sleep(rng.uniform(0.2, 0.8))
    stop.set()
    thread.join()
    store.close()


def _setup(pg: Postgres, tmp: Path, agents: int) -> tuple[str, dict[str, Path]]:
    from deskterm.store import open_store
    from deskterm.team import replica, server

    db = pg.new_database()
    owner = pg.new_role("owner")
    with pg.admin() as conn:
        conn.execute(f'ALTER DATABASE "{db}" OWNER TO "{owner}"')
    paths = {"owner": tmp / "owner.db"}
    _seed(paths["owner"])
    store = open_store(paths["owner"])
    replica.init(store, pg.dsn(db, owner, "pw"), "owner")
    store.close()
    admin = server.connect(pg.dsn(db, owner, "pw"))
    for name in ["observer", *(f"agent{n}" for n in range(agents))]:
        role = pg.new_role(name)
        server.add_agent(admin, role, name)
        paths[name] = tmp / f"{name}.db"
        store = open_store(paths[name])
        replica.join(store, pg.dsn(db, role, "pw"), name)
        store.close()
    admin.close()
    return pg.dsn(db, owner, "pw"), paths


def _observe(path: Path, stop: threading.Event, arrivals: dict[str, tuple[float, str]]) -> None:
    """Run the observer's replica; note when each agent's note arrives."""
    from deskterm.store import open_store
    from deskterm.team import replica

    store = open_store(path)
    last = [0]

    def seen(pushed: int, pulled: int) -> None:
        now = time.time()
        for row_id, text in store.conn.execute(
            "SELECT id, text FROM messages WHERE id > ? AND direction = 'note' ORDER BY id",
            (last[0],),
        ):
            last[0] = row_id
            if text.startswith("@"):
                stamp, mark, _ = text[1:].split(" ", 2)
                arrivals[text] = (now - float(stamp), mark)

    replica.watch(store, stop, poll_s=5.0, on_pass=seen)
    store.close()


def _final_check(owner_url: str, paths: dict[str, Path]) -> tuple[int, int]:
    """Sync everyone twice; (server events, replicas that differ from the server)."""
    from deskterm.store import open_store
    from deskterm.team import server

    stores = {name: open_store(path) for name, path in paths.items()}
    for _ in range(2):
        for store in stores.values():
            _flush(store)
    conn = server.connect(owner_url)
    uids = sorted(r[0] for r in conn.execute("SELECT uid::text FROM deskterm.events"))
    conn.close()
    differing = 0
    for store in stores.values():
        local = sorted(
            r[0] for r in store.conn.execute("SELECT uid FROM events WHERE seq IS NOT NULL")
        )
        differing += local != uids
        store.close()
    return len(uids), differing


def _quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--offline", type=float, default=20.0, help="seconds some agents are away")
    args = parser.parse_args()
    bindir = postgres_bin()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    with tempfile.TemporaryDirectory() as tmp, running_postgres(bindir) as pg:
        owner_url, paths = _setup(pg, Path(tmp), args.agents)
        arrivals: dict[str, tuple[float, str]] = {}
        stop = threading.Event()
        observer = threading.Thread(target=_observe, args=(paths["observer"], stop, arrivals))
        observer.start()
        procs = []
        for n in range(args.agents):
            # Every fourth agent goes offline for a while, a third of the way in.
            away = args.offline if n % 4 == 0 else 0.0
            proc = multiprocessing.get_context("spawn").Process(
                target=agent_main,
                args=(str(paths[f"agent{n}"]), f"agent{n}", args.seconds, args.seconds / 3, away),
            )
            proc.start()
            procs.append(proc)
        for proc in procs:
            proc.join()
        time.sleep(3)  # the observer's last wake-ups
        stop.set()
        observer.join()
        events, differing = _final_check(owner_url, paths)
    online = [d for d, mark in arrivals.values() if mark == "online"]
    offline = [d for d, mark in arrivals.values() if mark == "offline"]
    print(f"{args.agents} agents for {args.seconds:.0f} s; {events} events on the server")
    print(f"replicas that differ from the server at the end: {differing} of {len(paths)}")
    print(f"note to observer, online ({len(online)}): {_quantiles(online)}")
    print(f"note to observer, written offline ({len(offline)}): {_quantiles(offline)}")


if __name__ == "__main__":
    main()
