"""One agent of bench_team.py: a process on its own replica that acts at a person's pace, reads
between, goes offline for a while if told to, and records what it did and what reached it.

What it writes (JSON, for team_measures): its actions (local event id, when, written offline),
the other agents' events and the stream's mails as they arrived here (uid or Message-ID, when),
when it was offline, its sync thread's CPU per pass with the events each pass pulled, and the
CPU the whole process used.
"""

from __future__ import annotations

import cProfile
import json
import os
import random
import resource
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKETS = 40
TAGS = ("vip", "refund", "late", "damaged", "wismo")
# After its last action an agent keeps syncing this long, so the others' last actions reach it.
DRAIN = 5.0


def keep_secrets_in(folder: Path) -> None:
    """The team passwords the bench's replicas store go to a file in `folder`, not to the user's
    keyring or secrets file (50 replicas joining at once must not touch the user's)."""
    os.environ["DESKTERM_SECRETS_FILE"] = str(folder / "secrets.json")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@dataclass(frozen=True)
class Plan:
    agent: str
    seconds: float
    pace: tuple[float, float]  # seconds between two actions, uniform in this range
    read_every: float
    away: tuple[float, float] | None  # (seconds in, for how long) offline
    profile: str | None = None


@dataclass
class Record:
    actions: list[tuple[int, float, bool]] = field(default_factory=list)
    arrivals: list[tuple[str, float]] = field(default_factory=list)
    mail: list[tuple[str, float]] = field(default_factory=list)
    offline: list[tuple[float, float]] = field(default_factory=list)
    passes: list[tuple[float, int]] = field(default_factory=list)  # (CPU s, events pulled)
    sync_cpu: float = 0.0  # the sync threads' CPU in all
    busy: int = 0  # actions refused: another writer held the replica's file too long


def seed(path: Path) -> None:
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


def act(rng: random.Random, store, agent: str, ticket: int) -> int | None:
    """One thing a person does to a ticket; its event's local id (None: nothing to do)."""
    from deskterm import actions

    actor = f"agent:{agent}"
    roll = rng.random()
    try:
        if roll < 0.3:
            done = actions.note(store, ticket, f"{agent} looked into it.", actor=actor)
        elif roll < 0.45:
            done = actions.reply(store, ticket, f"{agent} answers ticket {ticket}.", actor=actor)
        elif roll < 0.6:
            done = actions.tag(store, ticket, rng.choice(TAGS), actor=actor)
        elif roll < 0.7:
            done = actions.untag(store, ticket, rng.choice(TAGS), actor=actor)
        elif roll < 0.8:
            priority = rng.choice(["low", "normal", "high"])
            done = actions.set_priority(store, ticket, priority, actor=actor)
        elif roll < 0.9:
            done = actions.assign(store, ticket, agent, actor=actor)
        else:
            done = actions.resolve(store, ticket, actor=actor)
    except actions.ActionError:
        return None
    return done.event_id


def read(store, ticket: int) -> None:
    """What the screens read: a page of the queue, then one ticket with its thread."""
    from deskterm.domain import utcnow
    from deskterm.store import queries
    from deskterm.store.filters import Filter

    queries.queue_page(store, Filter(), utcnow(), limit=50)
    queries.ticket(store, ticket)
    queries.messages(store, ticket)
    queries.events(store, ticket)


class Listener:
    """The replica's own sync (deskterm.team.replica.watch) on a thread, noting after each pass
    what arrived and the CPU the pass took (its wait for news included)."""

    def __init__(self, path: str, agent: str, record: Record, profile: str | None) -> None:
        self.path, self.agent, self.record, self.profile = path, agent, record, profile
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.last_event = self.last_message = 0

    def _run(self) -> None:
        from deskterm.store import open_store
        from deskterm.team import replica

        store = open_store(self.path)
        self._note_arrivals(store, None)  # what the replica held before: not an arrival
        mark = [time.thread_time()]

        def seen(pushed: int, pulled: int) -> None:
            self.record.passes.append((time.thread_time() - mark[0], pulled))
            self._note_arrivals(store, time.time())
            mark[0] = time.thread_time()

        profiler = cProfile.Profile() if self.profile else None
        start = time.thread_time()
        try:
            if profiler is None:
                replica.watch(store, self.stop, poll_s=5.0, on_pass=seen)
            else:
                profiler.runcall(replica.watch, store, self.stop, poll_s=5.0, on_pass=seen)
        finally:
            self.record.sync_cpu += time.thread_time() - start
            if profiler is not None and self.profile:
                profiler.dump_stats(self.profile)
            store.close()

    def _note_arrivals(self, store, now: float | None) -> None:
        mine = f"agent:{self.agent}"
        for row_id, uid, actor in store.conn.execute(
            "SELECT id, uid, actor FROM events WHERE id > ? ORDER BY id", (self.last_event,)
        ):
            self.last_event = row_id
            if now is not None and actor.startswith("agent:") and actor != mine:
                self.record.arrivals.append((uid, now))
        for row_id, message_id in store.conn.execute(
            "SELECT id, message_id FROM messages WHERE id > ? ORDER BY id", (self.last_message,)
        ):
            self.last_message = row_id
            if now is not None and (message_id or "").startswith("<stream-"):
                self.record.mail.append((message_id, now))

    def start(self) -> None:
        self.thread.start()

    def halt(self) -> None:
        self.stop.set()
        self.thread.join()


def agent_main(path: str, plan: Plan, out: str, ready) -> None:
    """One agent's process: waits for the others at `ready`, acts for plan.seconds, drains."""
    from deskterm.store import open_store

    store = open_store(path)
    rng = random.Random(plan.agent)
    record = Record()
    sync_profile = f"{plan.profile}.sync" if plan.profile else None
    listener = Listener(path, plan.agent, record, sync_profile)
    listener.start()
    ready.wait()
    profiler = cProfile.Profile() if plan.profile else None
    if profiler is not None:
        profiler.enable()
    listener = _work(store, plan, rng, record, listener)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{plan.profile}.act")
    time.sleep(DRAIN)
    listener.halt()
    store.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    Path(out).write_text(
        json.dumps(
            {
                "actions": record.actions,
                "arrivals": record.arrivals,
                "mail": record.mail,
                "offline": record.offline,
                "passes": record.passes,
                "cpu": usage.ru_utime + usage.ru_stime,
                "sync_cpu": record.sync_cpu,
                "busy": record.busy,
            }
        )
    )


def _work(store, plan: Plan, rng: random.Random, record: Record, listener: Listener) -> Listener:
    """Act once every plan.pace seconds and read every plan.read_every seconds until the time is
    up; offline for plan.away. Returns the listener running at the end."""
    from deskterm.store import StoreError

    start = time.time()
    end = start + plan.seconds
    away = (start + plan.away[0], start + plan.away[0] + plan.away[1]) if plan.away else None
    next_action = start + rng.uniform(*plan.pace)
    gone: float | None = None
    while (now := time.time()) < end:
        offline = away is not None and away[0] <= now < away[1]
        if offline and gone is None:
            # The network goes once what was written so far has left: an action written just
            # before would otherwise count as online and wait the whole time away.
            listener.halt()
            _flush(store)
            gone = time.time()
        elif not offline and gone is not None:
            listener = Listener(listener.path, plan.agent, record, None)
            listener.start()
            record.offline.append((gone, time.time()))
            gone = None
        tickets = [t for (t,) in store.conn.execute("SELECT id FROM tickets")]
        ticket = rng.choice(tickets)
        if now >= next_action:
            try:
                event = act(rng, store, plan.agent, ticket)
            except StoreError:
                event, record.busy = None, record.busy + 1
            if event is not None:
                record.actions.append((event, time.time(), offline))
            next_action = time.time() + rng.uniform(*plan.pace)
        else:
            read(store, ticket)
        time.sleep(max(0.0, min(next_action, time.time() + plan.read_every, end) - time.time()))
    if gone is not None:
        listener = Listener(listener.path, plan.agent, record, None)
        listener.start()
        record.offline.append((gone, time.time()))
    return listener


def _flush(store) -> None:
    from deskterm.team import replica

    conn = replica.open_server(replica.configured(store))
    try:
        replica.sync_once(store, conn)
    finally:
        conn.close()
