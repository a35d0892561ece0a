"""A slow SMTP server that knows what it accepted, and a harness that kills `deskterm sync`
processes at random moments while they send. Shared by the sending tests and
bench/bench_send_kills.py.

The server accepts a mail only once its 250 answer goes out on a connection that is still
open: a client killed while the server waits to answer never gets the mail (a real MTA discards
it too), which is what makes "the server accepted it" a fact the test can compare with.
"""

from __future__ import annotations

import asyncio
import email
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from deskterm import actions, ingest
from deskterm.domain import Batch, Identity, InboundMessage, utcnow
from deskterm.store import Store, open_store

from .servers import free_port


@dataclass
class SlowSmtp:
    """An SMTP sink that waits `delay` seconds before it answers DATA."""

    port: int
    delay: float = 0.0
    accepted: list[tuple[str, float]] = field(default_factory=list)  # Message-ID, when
    also_file: object | None = None  # called with each accepted mail (a provider filing Sent)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if server.transport is None or server.transport.is_closing():
            return "451 client gone"
        message = email.message_from_bytes(envelope.content)
        self.accepted.append((str(message["Message-ID"]), time.monotonic()))
        if self.also_file is not None:
            self.also_file(envelope.content)
        return "250 OK"

    def counts(self) -> Counter:
        return Counter(message_id for message_id, _ in self.accepted)


@contextmanager
def running_smtp(delay: float = 0.0) -> Iterator[SlowSmtp]:
    from aiosmtpd.controller import Controller

    sink = SlowSmtp(free_port(), delay)
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def queue_replies(store: Store, account: str, count: int) -> None:
    """`count` customer tickets on `account`, each with one queued reply."""
    now = utcnow()
    messages = [
        InboundMessage(
            account=account,
            external_id=f"q{n}",
            channel="email",
            sender=Identity("email", f"buyer{n}@example.net"),
            sent_at=now - timedelta(minutes=count - n),
            text=f"Where is order {n}?",
            subject=f"Order {n}",
            message_id=f"<q{n}@example.net>",
        )
        for n in range(count)
    ]
    ingest.ingest_batch(store, account, Batch(messages, {}), now=now)
    for (ticket_id,) in store.conn.execute("SELECT id FROM tickets ORDER BY id").fetchall():
        actions.reply(store, ticket_id, f"Reply to ticket {ticket_id}.", actor="agent:anna")


def reply_ids(store: Store) -> dict[str, str]:
    """Message-ID -> outbox status of every queued reply."""
    return dict(
        store.conn.execute(
            "SELECT json_extract(payload, '$.message_id'), status FROM outbox"
        ).fetchall()
    )


def sync_process(db_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "deskterm", "sync", "--db", str(db_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def unsettled(db_path: Path) -> int:
    store = open_store(db_path)
    try:
        return store.conn.execute(
            "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')"
        ).fetchone()[0]
    finally:
        store.close()


def _sending(db_path: Path, proc: subprocess.Popen, seconds: float, before: int) -> bool:
    """Wait until `proc`, the only process running, has a reply in hand or has settled one
    (or exits); True when it does."""
    store = open_store(db_path)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end and proc.poll() is None:
            if (
                store.conn.execute(
                    "SELECT count(*) FROM outbox WHERE status = 'sending'"
                ).fetchone()[0]
                or unsettled(db_path) < before
            ):
                return True
            time.sleep(0.01)
        return False
    finally:
        store.close()


@dataclass
class KillRun:
    kills: list[float] = field(default_factory=list)  # when each SIGKILL went out
    runs: int = 0


def kill_while_sending(
    db_path: Path, *, seed: int, longest: float, deadline: float = 240.0
) -> KillRun:
    """Start `deskterm sync` again and again, killing each one at a random moment up to
    `longest` seconds after it took a reply in hand, until no reply is queued or in hand.

    A run that settled nothing doubles the window for the next one, so a loaded machine, where
    one send takes longer than `longest`, still gets through.
    """
    rng = random.Random(seed)
    run = KillRun()
    end = time.monotonic() + deadline
    window = longest
    for run.runs in itertools.count(1):
        before = unsettled(db_path)
        if not before or time.monotonic() > end:
            break
        proc = sync_process(db_path)
        if _sending(db_path, proc, 30, before):
            time.sleep(rng.uniform(0, window))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                run.kills.append(time.monotonic())
        proc.wait()
        window = longest if unsettled(db_path) < before else window * 2
    return run


def uncertain_but_accepted(store: Store, sink: SlowSmtp, run: KillRun, grace: float) -> list[str]:
    """Replies held as uncertain although the server had answered 250 at least `grace` seconds
    before the kill that interrupted them (so the process had time to record it)."""
    when = dict(sink.accepted)
    wrong = []
    for message_id, status in reply_ids(store).items():
        if status != "failed" or message_id not in when:
            continue
        after = [k for k in run.kills if k >= when[message_id]]
        if not after or after[0] - when[message_id] >= grace:
            wrong.append(message_id)
    return wrong
