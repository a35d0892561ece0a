"""Team mode under load: agent processes, each on its own replica of one workspace shared through
a PostgreSQL this script starts, act for a while (notes, replies, tags, priorities,
assignments), some going offline for part of it, while new mail streams into a local Dovecot and
one `deskterm sync --watch` worker process pulls it and sends the team's replies to an SMTP sink;
an observer replica notes when each agent's note, and each new mail, arrives there. At the end
every replica must hold exactly the server's events, once each, and every reply the team sent
must have reached the sink once.

    python bench/bench_team.py                     # 8 agents for 60 s, two offline for 20 s
    python bench/bench_team.py --agents 50 --seconds 300 --offline 60 --mail-rate 2

Prints the time from an agent's note to its arrival at the observer (p50, p99, max), online
notes and notes written offline apart (those wait for their writer to come back), the time from
a mail landing in Dovecot to the observer, and the replies counted at the SMTP sink.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.integration.postgres: the PostgreSQL launcher

from tests.integration.postgres import Postgres, postgres_bin, running_postgres  # noqa: E402
from tests.integration.sending import running_smtp  # noqa: E402
from tests.integration.servers import PASSWORD, Dovecot, running_dovecot  # noqa: E402

TICKETS = 40
WORKER = (sys.executable, "-m", "deskterm", "sync", "--watch", "--interval", "2")
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
        elif roll < 0.5:
            actions.reply(store, ticket, f"{agent} answers ticket {ticket}.", actor=actor)
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
        tickets = [t for (t,) in store.conn.execute("SELECT id FROM tickets")]
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
        for row_id, direction, text, message_id in store.conn.execute(
            "SELECT id, direction, text, message_id FROM messages WHERE id > ? ORDER BY id",
            (last[0],),
        ):
            last[0] = row_id
            if direction == "note" and text.startswith("@"):
                stamp, mark, _ = text[1:].split(" ", 2)
                arrivals[text] = (now - float(stamp), mark)
            elif (message_id or "").startswith("<stream-"):
                stamp = message_id.split("-")[2].split("@")[0]
                arrivals[message_id] = (now - float(stamp), "mail")

    replica.watch(store, stop, poll_s=5.0, on_pass=seen)
    store.close()


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
    return subprocess.Popen(
        [*_profiled(WORKER, profile), "--db", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=(path.parent / "worker.log").open("ab"),
    )


def _profiled(command: tuple[str, ...], profile: str | None) -> tuple[str, ...]:
    """`python -m deskterm ...` under cProfile, writing to `profile`, when one is given."""
    if profile is None:
        return command
    return (command[0], "-m", "cProfile", "-o", profile, *command[1:])


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


def _run_agents(paths: dict[str, Path], args: argparse.Namespace) -> None:
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


def _report(args, events, differing, paths, arrivals, fed, replies, sink) -> None:
    online = [d for d, mark in arrivals.values() if mark == "online"]
    offline = [d for d, mark in arrivals.values() if mark == "offline"]
    mail = [d for d, mark in arrivals.values() if mark == "mail"]
    counts = sink.counts()
    sent = {mid for mid, status in replies.items() if status == "sent"}
    by_status: dict[str, int] = {}
    for status in replies.values():
        by_status[status] = by_status.get(status, 0) + 1
    print(f"{args.agents} agents for {args.seconds:.0f} s; {events} events on the server")
    print(f"replicas that differ from the server at the end: {differing} of {len(paths)}")
    print(f"note to observer, online ({len(online)}): {_quantiles(online)}")
    print(f"note to observer, written offline ({len(offline)}): {_quantiles(offline)}")
    print(f"mail into Dovecot to observer ({len(mail)} of {fed} fed): {_quantiles(mail)}")
    print(
        f"replies: {len(replies)} ({', '.join(f'{v} {k}' for k, v in sorted(by_status.items()))});"
        f" at the SMTP sink {sum(counts.values())}, twice {sum(c > 1 for c in counts.values())},"
        f" sent but not at the sink {len(sent - set(counts))},"
        f" at the sink but not sent {len(set(counts) - sent)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--offline", type=float, default=20.0, help="seconds some agents are away")
    parser.add_argument("--mail-rate", type=float, default=1.0, help="new mails a second")
    parser.add_argument("--profile-worker", metavar="FILE", help="cProfile the worker into FILE")
    args = parser.parse_args()
    bindir = postgres_bin()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_postgres(bindir) as pg,
        running_dovecot() as dovecot,
        running_smtp() as sink,
    ):
        owner_url, paths = _setup(pg, Path(tmp), args.agents)
        settings = _mail_account(dovecot, sink.port, Path(tmp))
        worker = _start_worker(paths["owner"], settings, args.profile_worker)
        arrivals: dict[str, tuple[float, str]] = {}
        stop, feeding = threading.Event(), threading.Event()
        observer = threading.Thread(target=_observe, args=(paths["observer"], stop, arrivals))
        observer.start()
        fed: list[int] = []
        feeder = threading.Thread(
            target=lambda: fed.append(_feed(dovecot, settings["username"], args.mail_rate, feeding))
        )
        feeder.start()
        _run_agents(paths, args)
        feeding.set()
        feeder.join()
        replies = _replies_settled(owner_url, 120)
        time.sleep(3)  # the observer's last wake-ups
        stop.set()
        observer.join()
        worker.send_signal(signal.SIGINT)
        worker.wait(30)
        events, differing = _final_check(owner_url, paths)
        _report(args, events, differing, paths, arrivals, fed[0], replies, sink)


if __name__ == "__main__":
    main()
