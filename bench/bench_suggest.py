"""Suggested macros at scale: the time per suggestion (bm25 over the words each macro answered)
in a workspace of 100,000 tickets, a share of them answered with a macro.

Tickets are written directly (ingest's speed is bench_ingest's business), each with one customer
message from the labelled triage set plus a few words of its own; a macro is applied to
`--answered` of them, the one for its intent. The first suggestion indexes every application
(store.macro_uses); the rest only ask the index.

    .venv/bin/python bench/bench_suggest.py [--tickets 100000] [--answered 0.3] [--asks 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskterm.domain import to_iso
from deskterm.store import Store, open_store
from deskterm.triage import evaluation
from deskterm.triage.suggest import refresh, suggest

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests/fixtures/triage/labelled.txt"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MACROS = {
    "wismo": "wismo",
    "refund": "refund-confirmation",
    "return": "return-instructions",
    "cancel": "cancellation-request",
    "address": "address-change",
    "damaged": "damaged-item",
    "exchange": "wrong-size-exchange",
    "stock": "out-of-stock",
    "thanks": "thank-you-csat",
}
EXTRA = "blue red large small gift jacket shoes mug lamp scarf monday friday week".split()


def fill(store: Store, count: int, answered: float, seed: int = 11) -> None:
    rng = random.Random(seed)
    samples = evaluation.load(LABELLED)
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO customers (id, name, created_at) VALUES (1, 'c', ?)", (to_iso(NOW),)
        )
        tickets, messages, events = [], [], []
        for n in range(1, count + 1):
            sample = rng.choice(samples)
            at = to_iso(NOW - timedelta(minutes=count - n))
            text = f"{sample.text} {' '.join(rng.choices(EXTRA, k=3))}"
            tickets.append((n, sample.subject, sample.intent, at, at, at))
            messages.append((n, n, f"m{n}", sample.subject, text, at, at))
            if sample.intent in MACROS and rng.random() < answered:
                events.append((n, at, f"macro:{MACROS[sample.intent]}"))
        conn.executemany(
            "INSERT INTO tickets (id, customer_id, account, channel, subject, status, intent,"
            " created_at, updated_at, last_message_at) VALUES (?, 1, 'bench', 'email', ?, 'open',"
            " ?, ?, ?, ?)",
            tickets,
        )
        conn.executemany(
            "INSERT INTO messages (id, ticket_id, account, external_id, direction, author_addr,"
            " subject, text, sent_at, created_at) VALUES (?, ?, 'bench', ?, 'in', 'c@x', ?, ?, ?, ?)",
            messages,
        )
        conn.executemany(
            "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (?, ?, ?, 'tag', '{}')",
            events,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--answered", type=float, default=0.3)
    parser.add_argument("--asks", type=int, default=300)
    args = parser.parse_args()
    offered = [(name, "") for name in MACROS.values()]
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        fill(store, args.tickets, args.answered)
        uses = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
        print(f"{args.tickets:,} tickets, {uses:,} answered with a macro")
        wall, cpu = time.perf_counter(), time.process_time()
        indexed = refresh(store)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"first suggestion indexes {indexed:,} applications: {wall:.2f} s ({cpu:.2f} s CPU)")
        rng = random.Random(3)
        intents = dict(store.conn.execute("SELECT id, intent FROM tickets"))
        walls, cpus, found = [], [], 0
        for ticket in rng.sample(range(1, args.tickets + 1), args.asks):
            wall, cpu = time.perf_counter(), time.process_time()
            found += bool(suggest(store, ticket, intents[ticket], offered))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(
            f"per suggestion over {args.asks} tickets: median {statistics.median(walls) * 1000:.1f} ms,"
            f" p95 {sorted(walls)[int(len(walls) * 0.95)] * 1000:.1f} ms wall;"
            f" median {statistics.median(cpus) * 1000:.1f} ms CPU; {found} had suggestions"
        )


if __name__ == "__main__":
    main()
