"""Presence latency: how long after anna opens a ticket (or starts writing) ben's workstation
knows it. Starts a PostgreSQL of its own; anna announces through team.presence as `team here`
does, ben listens with the beacon the workstation runs (team/beacon.py), riding his replica's
sync on its one connection as a syncing workstation does, or with --own-connection on a thread
and connection of its own (a workstation that does not sync).

    python bench/bench_presence.py                 # 200 announcements, one every 0.2 s

Prints p50, p99 and max of announce -> ben's beacon reporting it, and the CPU time used.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.integration.postgres: the PostgreSQL launcher

from team_agent import keep_secrets_in  # noqa: E402
from team_agent import seed as _seed  # noqa: E402

from tests.integration.postgres import postgres_bin, running_postgres  # noqa: E402


def main() -> None:
    from deskterm.store import open_store
    from deskterm.sync.engine import Watcher
    from deskterm.team import beacon, presence, replica, server

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--times", type=int, default=200)
    parser.add_argument("--every", type=float, default=0.2)
    parser.add_argument(
        "--own-connection", action="store_true", help="the beacon alone, not riding the sync"
    )
    args = parser.parse_args()
    bindir = postgres_bin()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    with tempfile.TemporaryDirectory() as tmp, running_postgres(bindir) as pg:
        keep_secrets_in(Path(tmp))
        db, roles = pg.new_database(), {a: pg.new_role(a) for a in ("anna", "ben")}
        with pg.admin() as conn:
            conn.execute(f'ALTER DATABASE "{db}" OWNER TO "{roles["anna"]}"')
        _seed(Path(tmp) / "anna.db")
        anna = open_store(Path(tmp) / "anna.db")
        replica.init(anna, pg.dsn(db, roles["anna"], "pw"), "anna")
        conn = replica.open_server(replica.configured(anna))
        server.add_agent(conn, roles["ben"], "ben")
        ben = open_store(Path(tmp) / "ben.db")
        replica.join(ben, pg.dsn(db, roles["ben"], "pw"), "ben")
        ben_ids = {g: t for t, g in ben.conn.execute("SELECT id, gid FROM tickets")}
        anna_ids = {t: ben_ids[g] for t, g in anna.conn.execute("SELECT id, gid FROM tickets")}
        heard: dict[tuple[int, str], float] = {}
        changed = threading.Event()

        def on_others(others: dict[int, list[tuple[str, str]]]) -> None:
            for ticket, entries in others.items():
                for _agent, doing in entries:
                    heard.setdefault((ticket, doing), time.perf_counter())
            changed.set()

        listening = beacon.Beacon(Path(tmp) / "ben.db", on_others)
        syncing = Watcher(Path(tmp) / "ben.db", team_rider=listening)
        if args.own_connection:
            listening.start()
        else:
            syncing.start()
        time.sleep(1.0)
        delays = []
        cpu = time.process_time()
        last = None
        for _ in range(args.times):
            ticket, doing = last or (0, "")
            while (ticket, doing) == last or ticket == 0:  # a change, or ben hears nothing new
                ticket, doing = random.choice(list(anna_ids)), random.choice(presence.DOINGS)
            last = (ticket, doing)
            heard.pop((anna_ids[ticket], doing), None)
            sent = time.perf_counter()
            presence.announce(conn, anna, ticket, doing)
            while (anna_ids[ticket], doing) not in heard and time.perf_counter() - sent < 10:
                changed.wait(0.05)
                changed.clear()
            delays.append(heard.get((anna_ids[ticket], doing), sent + 10) - sent)
            time.sleep(args.every)
        cpu = time.process_time() - cpu
        listening.stop()
        syncing.stop()
        conn.close()
    ms = sorted(d * 1000 for d in delays)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{len(ms)} announcements: p50 {statistics.median(ms):.0f} ms, p99 {p99:.0f} ms,")
    print(f"max {ms[-1]:.0f} ms; CPU {cpu:.1f} s (this process, both sides)")


if __name__ == "__main__":
    main()
