"""Team mode under load: agent processes, each on its own replica of one workspace shared through
a PostgreSQL this script starts, act at a person's pace (notes, replies, tags, priorities,
assignments, resolves, with reads of the queue and of tickets between), some going offline for
part of it, while new mail streams into a local Dovecot and one `deskterm sync --watch` worker
process pulls it and sends the team's replies to an SMTP sink. Every replica notes when each
other agent's action, and each new mail, arrives there. At the end every replica must hold
exactly the server's events, once each, every action must be on the server, and every reply the
team sent must have reached the sink once.

    python bench/bench_team.py                     # 8 agents for 60 s, two offline for 20 s
    python bench/bench_team.py --agents 50 --seconds 300 --offline 60
    python bench/bench_team.py --agents 50 --seconds 300 --offline 60 --pace 1-3   # heavier

Pace: each agent acts once every --pace seconds (uniform; 5-15 by default, a person working a
queue), reading the queue and a ticket every --read-every seconds in between. Every fourth agent
goes offline for --offline seconds a third of the way in. After the last action every agent
keeps syncing for a few seconds, so the last actions' arrivals are measured too.

Prints the time from an agent's action to its arrival on each other agent's replica (p50, p99,
max; online, and written or received offline apart), from the action to its push reaching the
server, from a mail landing in Dovecot to the replicas, the replies at the SMTP sink, and the
CPU used by each kind of process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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

from team_agent import Plan, agent_main, keep_secrets_in, seed  # noqa: E402
from team_measures import Measures, report  # noqa: E402

from tests.integration.postgres import Postgres, postgres_bin, running_postgres  # noqa: E402
from tests.integration.sending import running_smtp  # noqa: E402
from tests.integration.servers import PASSWORD, Dovecot, running_dovecot  # noqa: E402

WORKER = (sys.executable, "-m", "deskterm", "sync", "--watch", "--interval", "2")


def _setup(pg: Postgres, tmp: Path, agents: int) -> tuple[str, dict[str, Path]]:
    from deskterm.store import open_store
    from deskterm.team import replica, server

    db = pg.new_database()
    owner = pg.new_role("owner")
    with pg.admin() as conn:
        conn.execute(f'ALTER DATABASE "{db}" OWNER TO "{owner}"')
    paths = {"owner": tmp / "owner.db"}
    seed(paths["owner"])
    store = open_store(paths["owner"])
    replica.init(store, pg.dsn(db, owner, "pw"), "owner")
    store.close()
    admin = server.connect(pg.dsn(db, owner, "pw"))
    for name in (f"agent{n}" for n in range(agents)):
        role = pg.new_role(name)
        server.add_agent(admin, role, name)
        paths[name] = tmp / f"{name}.db"
        store = open_store(paths[name])
        replica.join(store, pg.dsn(db, role, "pw"), name)
        store.close()
    admin.close()
    return pg.dsn(db, owner, "pw"), paths


def _mail_account(dovecot: Dovecot, smtp_port: int, tmp: Path) -> dict:
    """The settings of the account the worker pulls and sends for (its password in the env)."""
    from deskterm.secrets import env_name

    os.environ[env_name("mail")] = PASSWORD
    return {
        "host": "127.0.0.1",
        "port": dovecot.port,
        "security": "none",
        "username": dovecot.add_user(),
        "folders": ["INBOX"],
        "sent_folder": "Sent",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        "smtp_auth": False,
        "data_dir": str(tmp / "attachments"),
        "timeout": 10,
    }


def _start_worker(path: Path, settings: dict, profile: str | None) -> subprocess.Popen:
    """`deskterm sync --watch` on the owner's replica, which runs the mail account."""
    from deskterm.store import open_store

    store = open_store(path)
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES ('mail', 'email', 'email', 'help@shop.example', ?, ?)",
            (json.dumps(settings), "2026-11-20T00:00:00Z"),
        )
    store.close()
    command = (
        WORKER if profile is None else (WORKER[0], "-m", "cProfile", "-o", profile, *WORKER[1:])
    )
    return subprocess.Popen(
        [*command, "--db", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=(path.parent / "worker.log").open("ab"),
    )


def _feed(dovecot: Dovecot, user: str, rate: float, stop: threading.Event) -> int:
    """New customer mail into the account's INBOX at `rate` a second until `stop`; how many."""
    client = dovecot.client(user)
    sent = 0
    while not stop.wait(1 / rate):
        sent += 1
        mid = f"<stream-{sent}-{time.time():.6f}@bench.example>"
        raw = (
            f"From: Buyer {sent} <buyer{sent}@example.net>\r\nTo: help@shop.example\r\n"
            f"Subject: Stream order {sent}\r\nMessage-ID: {mid}\r\n"
            "Date: Thu, 20 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my parcel?\r\n"
        )
        client.append("INBOX", raw.encode())
    client.logout()
    return sent


def _until_held(owner_url: str, seconds: float) -> None:
    """Wait until the worker holds the account (its advisory lock is granted)."""
    from deskterm.team import schema, server

    conn = server.connect(owner_url)
    conn.autocommit = True
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            found = conn.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                " AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('mail', %s)",
                (schema.ACCOUNT_LOCK_SEED,),
            ).fetchone()
            if found:
                return
            time.sleep(0.1)
    finally:
        conn.close()


def _replies_settled(owner_url: str, seconds: float) -> dict[str, str]:
    """Wait until no reply is queued or being sent; Message-ID -> status of every reply."""
    from deskterm.team import server

    conn = server.connect(owner_url)
    try:
        end = time.monotonic() + seconds
        while True:
            rows = conn.execute(
                "SELECT payload ->> 'message_id', status FROM deskterm.outbox"
            ).fetchall()
            conn.commit()
            busy = [r for r in rows if r[1] in ("queued", "granted", "handing")]
            if not busy or time.monotonic() > end:
                return dict(rows)
            time.sleep(1)
    finally:
        conn.close()


def _run_agents(
    paths: dict[str, Path], args: argparse.Namespace, out: Path, begun: threading.Event
) -> None:
    """Start every agent, let them all begin at once (after each has imported and synced), set
    `begun`, and wait for them to finish."""
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(args.agents + 1)
    procs = []
    for n in range(args.agents):
        plan = Plan(
            agent=f"agent{n}",
            seconds=args.seconds,
            pace=args.pace,
            read_every=args.read_every,
            # Every fourth agent goes offline for a while, a third of the way in.
            away=(args.seconds / 3, args.offline) if n % 4 == 0 else None,
            profile=args.profile_agent if n == 0 else None,
        )
        proc = spawn.Process(
            target=agent_main, args=(str(paths[plan.agent]), plan, str(out / f"{n}.json"), ready)
        )
        proc.start()
        procs.append(proc)
    ready.wait()
    begun.set()
    for proc in procs:
        proc.join()


def _pace(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--offline", type=float, default=20.0, help="seconds some agents are away")
    parser.add_argument(
        "--pace", type=_pace, default=(5.0, 15.0), help="seconds between an agent's actions: LO-HI"
    )
    parser.add_argument("--read-every", type=float, default=2.0, help="seconds between reads")
    parser.add_argument("--mail-rate", type=float, default=1.0, help="new mails a second")
    parser.add_argument("--profile-worker", metavar="FILE", help="cProfile the worker into FILE")
    parser.add_argument(
        "--profile-agent", metavar="FILE", help="cProfile agent0 into FILE.sync and FILE.act"
    )
    args = parser.parse_args()
    bindir = postgres_bin()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    # Each agent holds one connection, the worker two; presence and checks take a few more.
    connections = {"max_connections": str(max(100, 2 * args.agents + 20))}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_postgres(bindir, settings=connections) as pg,
        running_dovecot() as dovecot,
        running_smtp() as sink,
    ):
        _simulate(args, Path(tmp), pg, dovecot, sink)


def _simulate(args: argparse.Namespace, tmp: Path, pg: Postgres, dovecot: Dovecot, sink) -> None:
    keep_secrets_in(tmp)
    owner_url, paths = _setup(pg, tmp, args.agents)
    settings = _mail_account(dovecot, sink.port, tmp)
    measures = Measures(load_before=os.getloadavg()[0])
    measures.start(pg.root / "data")
    worker = _start_worker(paths["owner"], settings, args.profile_worker)
    _until_held(owner_url, 60)
    feeding, begun = threading.Event(), threading.Event()
    fed: list[int] = []

    def feed() -> None:
        # Mail that lands while the agents start up would measure their start.
        begun.wait()
        fed.append(_feed(dovecot, settings["username"], args.mail_rate, feeding))

    feeder = threading.Thread(target=feed)
    feeder.start()
    out = tmp / "agents"
    out.mkdir()
    try:
        _run_agents(paths, args, out, begun)
    finally:
        feeding.set()
        begun.set()  # agents that never began: the feed ends at once
    feeder.join()
    replies = _replies_settled(owner_url, 120)
    measures.stop(pg.root / "data", worker.pid)
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(120)
    except subprocess.TimeoutExpired:
        print("the worker did not stop within 120 s of SIGINT: killed")
        worker.kill()
        worker.wait()
    report(args, measures, owner_url, paths, out, fed[0], replies, sink.counts())


if __name__ == "__main__":
    main()
