"""The team worker's mail path: new mail lands in a local Dovecot at a steady rate while the
worker (`deskterm sync --watch`, a process on the owner's replica) sends a backlog of replies
through a slow SMTP server; then the worker is told to stop (SIGINT) with replies still waiting.

    python bench/bench_team_mail.py                # 40 mails at 1/s, 150 replies at 0.5 s each
    python bench/bench_team_mail.py --mails 60 --replies 200 --smtp-delay 0.5 --interval 2

Prints the time from each mail landing in Dovecot to its event on the team server (p50, p99,
max), the replies sent meanwhile, the time from SIGINT to the worker's exit (killed after 120 s)
and its exit status, the worker's CPU time and the load. At the end no reply may be at the SMTP
sink twice.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.integration.*: the PostgreSQL, Dovecot and SMTP fixtures
sys.path.insert(0, str(ROOT / "bench"))

from bench_team import _mail_account  # noqa: E402
from team_agent import keep_secrets_in  # noqa: E402
from team_measures import cpu_of  # noqa: E402

from tests.integration.postgres import Postgres, postgres_bin, running_postgres  # noqa: E402
from tests.integration.sending import running_smtp  # noqa: E402
from tests.integration.servers import Dovecot, running_dovecot  # noqa: E402

WORKER = (sys.executable, "-m", "deskterm", "sync", "--watch", "--interval")


def _mail(n: int, prefix: str) -> tuple[str, bytes]:
    mid = f"<{prefix}-{n}-{time.time():.6f}@bench.example>"
    raw = (
        f"From: Buyer {n} <{prefix}{n}@example.net>\r\nTo: help@shop.example\r\n"
        f"Subject: {prefix} order {n}\r\nMessage-ID: {mid}\r\n"
        "Date: Thu, 20 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my parcel?\r\n"
    )
    return mid, raw.encode()


def _team_with_backlog(pg: Postgres, tmp: Path, dovecot: Dovecot, settings: dict, replies: int):
    """The owner's replica with the account and `replies` tickets that ben answered, his replies
    on the server waiting for the worker; the owner's address."""
    from deskterm import actions
    from deskterm.store import open_store
    from deskterm.team import replica, server
    from deskterm.team.worker import Worker

    client = dovecot.client(settings["username"])
    for n in range(replies):
        client.append("INBOX", _mail(n, "seed")[1])
    client.logout()
    db, owner, ben_role = pg.new_database(), pg.new_role("owner"), pg.new_role("ben")
    with pg.admin() as conn:
        conn.execute(f'ALTER DATABASE "{db}" OWNER TO "{owner}"')
    store = open_store(tmp / "owner.db")
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES ('mail', 'email', 'email', 'help@shop.example', ?, '2026-11-20T00:00:00Z')",
            (json.dumps(settings),),
        )
    replica.init(store, pg.dsn(db, owner, "pw"), "owner")
    worker = Worker(store)
    worker.run_once()  # the seed mail, pulled and pushed
    worker.close()
    store.close()
    admin = server.connect(pg.dsn(db, owner, "pw"))
    server.add_agent(admin, ben_role, "ben")
    admin.close()
    ben = open_store(tmp / "ben.db")
    replica.join(ben, pg.dsn(db, ben_role, "pw"), "ben")
    for (ticket,) in ben.conn.execute("SELECT id FROM tickets").fetchall():
        actions.reply(ben, ticket, "On its way.", actor="agent:ben")
    conn = replica.open_server(replica.configured(ben))
    replica.sync_once(ben, conn)
    conn.close()
    ben.close()
    return pg.dsn(db, owner, "pw")


def _arrivals(url: str, prefix: str, expected: int, seconds: float) -> dict[str, float]:
    """When each mail whose Message-ID starts with `prefix` reached the team's log, polled every
    20 ms until `expected` have or `seconds` passed."""
    from deskterm.team import server

    conn = server.connect(url)
    conn.autocommit = True
    seen: dict[str, float] = {}
    end = time.monotonic() + seconds
    try:
        while len(seen) < expected and time.monotonic() < end:
            found = conn.execute(
                "SELECT data -> 'message_row' ->> 'message_id' FROM deskterm.events"
                " WHERE kind = 'created' AND data -> 'message_row' ->> 'message_id' LIKE %s",
                (prefix + "%",),
            ).fetchall()
            moment = time.time()
            for (mid,) in found:
                seen.setdefault(mid, moment)
            time.sleep(0.02)
    finally:
        conn.close()
    return seen


def _quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    pick = lambda q: ordered[min(int(q * len(ordered)), len(ordered) - 1)]  # noqa: E731
    return f"p50 {pick(0.5) * 1000:.0f} ms, p99 {pick(0.99) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


def _feed(dovecot: Dovecot, user: str, mails: int, rate: float) -> dict[str, float]:
    """`mails` new mails into INBOX at `rate` a second; Message-ID -> when each landed."""
    client = dovecot.client(user)
    landed = {}
    for n in range(mails):
        mid, raw = _mail(n, "stream")
        client.append("INBOX", raw)
        landed[mid] = time.time()
        time.sleep(1 / rate)
    client.logout()
    return landed


def _stop(worker: subprocess.Popen) -> tuple[float, str]:
    """SIGINT, then the seconds until the worker exited and how it ended."""
    told = time.monotonic()
    worker.send_signal(signal.SIGINT)
    try:
        code = worker.wait(120)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        return time.monotonic() - told, "killed after 120 s"
    return time.monotonic() - told, f"exit status {code}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=40)
    parser.add_argument("--rate", type=float, default=1.0, help="new mails a second")
    parser.add_argument("--replies", type=int, default=150, help="replies waiting to be sent")
    parser.add_argument("--smtp-delay", type=float, default=0.5, help="seconds per reply")
    parser.add_argument("--interval", type=float, default=2.0, help="the worker's --interval")
    args = parser.parse_args()
    bindir = postgres_bin()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_postgres(bindir) as pg,
        running_dovecot() as dovecot,
        running_smtp(args.smtp_delay) as sink,
    ):
        keep_secrets_in(Path(tmp))
        settings = _mail_account(dovecot, sink.port, Path(tmp))
        url = _team_with_backlog(pg, Path(tmp), dovecot, settings, args.replies)
        load = os.getloadavg()[0]
        owner = str(Path(tmp) / "owner.db")
        worker = subprocess.Popen(
            [*WORKER, str(args.interval), "--db", owner],
            stdout=subprocess.DEVNULL,
            stderr=(Path(tmp) / "worker.log").open("ab"),
        )
        time.sleep(2)  # the worker is under way with its backlog
        arrived: dict[str, float] = {}
        most = args.mails / args.rate + 120
        watcher = threading.Thread(
            target=lambda: arrived.update(_arrivals(url, "<stream-", args.mails, most))
        )
        watcher.start()
        landed = _feed(dovecot, settings["username"], args.mails, args.rate)
        watcher.join()
        cpu = cpu_of(worker.pid)
        sent_by_then = len(sink.accepted)
        took, ended = _stop(worker)
        twice = sum(1 for count in sink.counts().values() if count > 1)
        print(
            f"{args.mails} mails at {args.rate:g}/s while {args.replies} replies wait"
            f" ({args.smtp_delay:g} s each at the SMTP server); worker --interval"
            f" {args.interval:g}; load {load:.1f} -> {os.getloadavg()[0]:.1f}"
        )
        waits = [arrived[mid] - landed[mid] for mid in arrived]
        print(f"mail into Dovecot -> the team server ({len(arrived)}): {_quantiles(waits)}")
        print(
            f"replies sent meanwhile: {sent_by_then} of {args.replies}; at the sink twice: {twice}"
        )
        print(f"SIGINT -> worker gone: {took:.1f} s ({ended}); worker CPU {cpu:.2f} s")


if __name__ == "__main__":
    main()
