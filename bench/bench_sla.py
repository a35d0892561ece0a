"""SLA recompute speed: fill a store with 100,000 tickets and their histories, recompute every
deadline (what `deskterm sla recompute` does after a policy change), print tickets/s.

    .venv/bin/python bench/bench_sla.py [--tickets 100000] [--keep FILE]

The histories mix what a shop's queue holds: fresh tickets, back-and-forth exchanges, tickets
waiting on the customer, snoozes, solved and reopened ones, across email (business hours,
England's bank holidays) and marketplaces (24/7). It also times the per-ticket refresh that every
action and ingest batch runs, on 10,000 of the same tickets.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskterm.domain import to_iso
from deskterm.sla import clocks
from deskterm.sla.settings import parse_sla
from deskterm.store import Store, open_store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHANNELS = ("email", "email", "email", "ebay", "amazon", "amazon", "walmart", "instagram")
PRIORITIES = ("normal", "normal", "normal", "low", "high", "urgent")


def _history(rng: random.Random, opened: datetime) -> tuple[list[tuple], list[tuple], str, str]:
    """Messages (direction, automatic, at) and events (at, actor, kind, data) for one ticket."""
    messages = [("in", 0, opened)]
    events = [(opened, "sync:shop", "created", {"message": 0})]
    status, moment = "new", opened
    for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
        moment += timedelta(minutes=rng.randint(5, 2000))
        if moment >= NOW:
            break
        roll = rng.random()
        if roll < 0.45:
            messages.append(("out", 0, moment))
            events.append((moment, "agent:anna", "reply", {"message": len(messages) - 1}))
            status = "open"
        elif roll < 0.55:
            messages.append(("note", 0, moment))
        elif roll < 0.7:
            messages.append(("in", 0, moment))
            if status in ("pending", "solved"):
                events.append((moment, "sync:shop", "status", {"before": status, "after": "open"}))
                status = "open"
        elif roll < 0.82:
            after = rng.choice(("pending", "on_hold", "solved"))
            if after != status:
                events.append((moment, "agent:anna", "status", {"before": status, "after": after}))
                status = after
        else:
            until = moment + timedelta(hours=rng.randint(1, 72))
            events.append(
                (moment, "agent:anna", "snooze", {"before": None, "after": to_iso(until)})
            )
    return messages, events, status, to_iso(moment)


def build(store: Store, tickets: int, seed: int = 7) -> None:
    """Write `tickets` tickets with their messages and events straight into the store."""
    rng = random.Random(seed)
    conn = store.conn
    with store.tx():
        conn.execute(
            "INSERT INTO customers (id, name, created_at) VALUES (1, 'bench', ?)", (to_iso(NOW),)
        )
        message_id = 0
        for ticket_id in range(1, tickets + 1):
            opened = NOW - timedelta(hours=14 * 24 * rng.random() ** 1.6)
            messages, events, status, updated = _history(rng, opened)
            channel = rng.choice(CHANNELS)
            conn.execute(
                "INSERT INTO tickets (id, customer_id, account, channel, status, priority,"
                " created_at, updated_at, last_message_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ticket_id,
                    f"{channel}-shop",
                    channel,
                    status,
                    rng.choice(PRIORITIES),
                    to_iso(opened),
                    updated,
                    to_iso(messages[-1][2]),
                ),
            )
            ids = []
            for direction, automatic, at in messages:
                message_id += 1
                ids.append(message_id)
                conn.execute(
                    "INSERT INTO messages (id, ticket_id, account, external_id, direction,"
                    " automatic, sent_at, created_at) VALUES (?, ?, 'bench', ?, ?, ?, ?, ?)",
                    (
                        message_id,
                        ticket_id,
                        str(message_id),
                        direction,
                        automatic,
                        to_iso(at),
                        to_iso(at),
                    ),
                )
            conn.executemany(
                "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        ticket_id,
                        to_iso(at),
                        actor,
                        kind,
                        json.dumps(
                            {**data, "message": ids[data["message"]]} if "message" in data else data
                        ),
                    )
                    for at, actor, kind, data in events
                ],
            )
            snoozes = [e for e in events if e[2] == "snooze"]
            if snoozes:
                conn.execute(
                    "UPDATE tickets SET snoozed_until = ? WHERE id = ?",
                    (snoozes[-1][3]["after"], ticket_id),
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Write the database here and keep it.")
    args = parser.parse_args()
    clocks.use_policies(parse_sla(None))
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "bench.db"
        store = open_store(path)
        started = time.perf_counter()
        build(store, args.tickets)
        built = time.perf_counter() - started
        open_count = store.conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE status NOT IN ('solved', 'closed')"
        ).fetchone()[0]
        print(f"built {args.tickets:,} tickets ({open_count:,} open) in {built:.1f}s")

        for label in ("first pass, every row and breach written", "again, nothing changed"):
            started = time.perf_counter()
            done = clocks.recompute_all(store, NOW)
            elapsed = time.perf_counter() - started
            print(
                f"recompute_all ({label}): {done:,} open tickets in {elapsed:.2f}s"
                f" = {done / elapsed:,.0f} tickets/s"
            )

        sample = min(10_000, args.tickets)
        started = time.perf_counter()
        with store.tx() as conn:
            for ticket_id in range(1, sample + 1):
                clocks.refresh(conn, [ticket_id], NOW)
        elapsed = time.perf_counter() - started
        print(
            f"refresh one at a time: {sample:,} tickets in {elapsed:.2f}s = {sample / elapsed:,.0f} tickets/s"
        )

        states = dict(
            store.conn.execute("SELECT sla_state, COUNT(*) FROM tickets GROUP BY 1").fetchall()
        )
        print("states:", ", ".join(f"{k or 'none'} {v:,}" for k, v in sorted(states.items())))
        store.close()


if __name__ == "__main__":
    main()
