"""Ingest throughput: 100,000 generated messages through ingest.ingest_batch into a fresh store.

About a third of the messages continue an earlier conversation (In-Reply-To), so threading lookups
are part of the cost, as are customer identities, events, SLA refresh and the FTS5 index.

    .venv/bin/python bench/bench_ingest.py [--messages 100000] [--batch 500] [--bulk]

With `--bulk` the batches are stored as an import or a first sync stores them (triage left out)
and triage reads them afterwards (triage.backfill); both parts are timed. Times are wall and CPU
(process_time): on a shared machine the wall clock measures the neighbours too.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskterm import ingest
from deskterm.domain import Batch, Identity, InboundMessage
from deskterm.store import open_store
from deskterm.triage.backfill import backfill

WORDS = (
    "order parcel tracking refund return damaged size exchange cancel address delivery late "
    "thanks please help hello box arrived missing invoice colour jacket shoes backpack"
).split()


def generate(count: int, seed: int = 7) -> list[InboundMessage]:
    """`count` customer messages over 30 days from count/3 customers, a third of them replies."""
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    customers = max(count // 3, 1)
    sent: list[str] = []
    messages = []
    for n in range(count):
        customer = rng.randrange(customers)
        reply_to = rng.choice(sent) if sent and rng.random() < 0.33 else None
        message_id = f"<bench-{n}@mail.example>"
        messages.append(
            InboundMessage(
                account="bench",
                external_id=f"INBOX/{n}",
                channel="email",
                sender=Identity("email", f"customer{customer}@mail.example"),
                sender_name=f"Customer {customer}",
                sent_at=start + timedelta(seconds=26 * n),
                subject=f"Order #{1000 + customer}: " + " ".join(rng.choices(WORDS, k=4)),
                text=" ".join(rng.choices(WORDS, k=rng.randint(20, 120))),
                message_id=message_id,
                in_reply_to=reply_to,
            )
        )
        sent.append(message_id)
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--bulk", action="store_true", help="triage after storing, not during")
    args = parser.parse_args()

    messages = generate(args.messages)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        now = messages[-1].sent_at
        started, cpu = time.perf_counter(), time.process_time()
        for at in range(0, len(messages), args.batch):
            chunk = messages[at : at + args.batch]
            batch = Batch(chunk, {"uid": at + len(chunk)}, "INBOX")
            ingest.ingest_batch(store, "bench", batch, now=now, bulk=args.bulk)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if args.bulk:
            read, read_cpu = time.perf_counter(), time.process_time()
            backfill(store)
            read, read_cpu = time.perf_counter() - read, time.process_time() - read_cpu
        tickets = store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        size = (Path(tmp) / "bench.db").stat().st_size
        store.close()
    print(f"ingested {len(messages):,} messages into {tickets:,} tickets in {elapsed:.1f} s")
    print(
        f"ingest: {len(messages) / elapsed:,.0f} messages/s (batch {args.batch}, FTS5 + events + SLA)"
        f"; {cpu:.2f} s CPU"
    )
    if args.bulk:
        print(f"triage afterwards: {read:.1f} s, {read_cpu:.2f} s CPU")
    print(f"database: {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
