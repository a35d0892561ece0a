"""KPI speed: a store of 100,000 tickets and 1,000,000 events over a year, then the report of
the last 30 days and of the whole year (every ticket), and the dashboard's read, each timed.

    .venv/bin/python bench/bench_metrics.py [--tickets 100000] [--keep FILE] [--uncached]
        [--compare]

Reports without --by read the per-day totals (deskterm.metrics.daily) the KPI cache keeps: the
first run fills the cache (every ticket computed once: "cold"), the runs after read it ("warm");
--uncached times the reference computation from the tickets' facts (report.collect and
report.build) instead. --compare checks the fast reports against that reference for 30 and 365
days, by none (medians and p90s within buckets.BOUND), channel, agent and tag (equal).

Each ticket gets ten events on average: created, customer messages and replies back and forth,
a tag, a priority, an assignment, solves with now and then a reopen, the handle time the TUI
records and for some a rating; email (business hours, England's bank holidays) and marketplaces
(24/7). The backlog at the end is what a shop has: the tickets of the last hours and days.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from deskterm.domain import to_iso
from deskterm.metrics import daily, dashboard, report, summed
from deskterm.metrics.figures import Costs, Period
from deskterm.sla.settings import parse_sla
from deskterm.store import Store, open_store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHANNELS = ("email", "email", "email", "ebay", "amazon", "shopify")
TAGS = ("wismo", "refund", "damaged", "exchange", "vip")


class Writer:
    """Rows for one ticket at a time, kept until flushed in bulk."""

    def __init__(self) -> None:
        self.messages: list[tuple] = []
        self.events: list[tuple] = []
        self.message_id = 0

    def message(self, ticket: int, direction: str, at: datetime) -> int:
        self.message_id += 1
        stamp = to_iso(at)
        self.messages.append((self.message_id, ticket, f"b{self.message_id}", direction, stamp))
        return self.message_id

    def event(self, ticket: int, at: datetime, actor: str, kind: str, data: dict) -> None:
        self.events.append((ticket, to_iso(at), actor, kind, json.dumps(data)))


def _ticket(rng: random.Random, out: Writer, ticket: int, opened: datetime) -> tuple[str, str]:
    """One ticket's history; returns its status and last change."""
    out.event(
        ticket, opened, "sync:shop", "created", {"message": out.message(ticket, "in", opened)}
    )
    out.event(ticket, opened, "rule:triage", "tag", {"tag": rng.choice(TAGS)})
    out.event(ticket, opened, "rule:triage", "priority", {"before": "normal", "after": "high"})
    out.event(ticket, opened, "agent:anna", "assign", {"before": None, "after": "anna"})
    status, moment = "new", opened
    while moment < NOW and status != "solved":
        moment += timedelta(minutes=rng.randint(10, 1500))
        if moment >= NOW:
            break
        reply = out.message(ticket, "out", moment)
        out.event(ticket, moment, "agent:anna", "reply", {"message": reply, "outbox": reply})
        out.event(ticket, moment, "agent:anna", "handled", {"seconds": rng.randint(30, 900)})
        moment += timedelta(minutes=rng.randint(5, 600))
        if rng.random() < 0.6:
            out.event(ticket, moment, "agent:anna", "status", {"before": "open", "after": "solved"})
            status = "solved"
        else:
            out.event(
                ticket,
                moment,
                "sync:shop",
                "message_in",
                {"message": out.message(ticket, "in", moment)},
            )
            status = "open"
    if status == "solved" and rng.random() < 0.25:
        moment += timedelta(hours=rng.randint(1, 48))
        out.event(
            ticket,
            moment,
            "sync:shop",
            "rating",
            {"survey": "csat", "score": rng.randint(1, 5), "message": 0},
        )
    if status == "solved" and rng.random() < 0.08:
        moment += timedelta(hours=rng.randint(1, 72))
        out.event(ticket, moment, "sync:shop", "status", {"before": "solved", "after": "open"})
        status = "open"
        # A reopened ticket is answered and solved again, unless that is still to come.
        moment += timedelta(hours=rng.randint(1, 24))
        if moment < NOW:
            out.event(ticket, moment, "agent:anna", "note", {"message": 0})
            out.event(ticket, moment, "agent:anna", "status", {"before": "open", "after": "solved"})
            status = "solved"
    return status, to_iso(min(moment, NOW))


def build(store: Store, tickets: int, seed: int = 19) -> None:
    rng = random.Random(seed)
    conn = store.conn
    out = Writer()
    rows = []
    with store.tx():
        conn.executemany(
            "INSERT INTO customers (id, name, created_at) VALUES (?, 'bench', ?)",
            [(n, to_iso(NOW)) for n in range(1, tickets // 3 + 2)],
        )
        for ticket in range(1, tickets + 1):
            opened = NOW - timedelta(days=365 * rng.random())
            status, updated = _ticket(rng, out, ticket, opened)
            rows.append(
                (
                    ticket,
                    rng.randint(1, tickets // 3 + 1),
                    rng.choice(CHANNELS),
                    status,
                    to_iso(opened),
                    updated,
                )
            )
        conn.executemany(
            "INSERT INTO tickets (id, customer_id, account, channel, status, created_at,"
            " updated_at, last_message_at) VALUES (?, ?, 'shop', ?, ?, ?, ?, ?)",
            [(*r, r[5]) for r in rows],
        )
        conn.executemany(
            "INSERT INTO messages (id, ticket_id, account, external_id, direction, sent_at,"
            " created_at) VALUES (?, ?, 'shop', ?, ?, ?, ?)",
            [(*m, m[4]) for m in out.messages],
        )
        conn.executemany(
            "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (?, ?, ?, ?, ?)",
            out.events,
        )
        conn.execute(
            "INSERT INTO ticket_tags (ticket_id, tag) SELECT ticket_id, json_extract(data, '$.tag')"
            " FROM events WHERE kind = 'tag'"
        )
    conn.execute("ANALYZE")


def timed(label: str, work: Callable[[], Any]) -> Any:
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    print(f"{label}: {time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU)")
    return result


def compare(store: Store, sla: Any, zone: ZoneInfo, costs: Costs) -> None:
    """The fast reports against the reference computation, for each period and grouping."""
    for days in (30, 365):
        period = Period(NOW - timedelta(days=days), NOW)
        facts, opened, measured = report.collect(store, period, sla, NOW)
        for by in (None, "channel", "agent", "tag"):
            fast = summed.build(store, period, sla, NOW, costs, zone, by)
            exact = report.build(facts, opened, period, costs, zone, by, measured=measured)
            found = (
                daily.differences(fast, exact)
                if by is None
                else ([] if fast == exact else ["differ"])
            )
            print(f"compare {days} days by {by}: {'same' if not found else found[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="Build (or reuse) this file.")
    parser.add_argument("--uncached", action="store_true", help="Time the reference computation.")
    parser.add_argument("--compare", action="store_true", help="Check against the reference.")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="deskterm-bench-")
    path = args.keep or Path(folder.name) / "metrics.db"
    fresh = not path.exists()
    store = open_store(path)
    if fresh:
        timed(f"build {args.tickets:,} tickets", lambda: build(store, args.tickets))
    counts = [
        store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("tickets", "events")
    ]
    print(f"{counts[0]:,} tickets, {counts[1]:,} events")
    sla, zone, costs = parse_sla(None), ZoneInfo("Europe/London"), Costs(hourly=30.0)
    for days in (30, 365):
        period = Period(NOW - timedelta(days=days), NOW)

        def run(period: Period = period) -> report.Report:
            if args.uncached:
                facts, opened, measured = report.collect(store, period, sla, NOW)
                return report.build(facts, opened, period, costs, zone, measured=measured)
            return summed.build(store, period, sla, NOW, costs, zone)

        cached = store.conn.execute("SELECT COUNT(*) FROM kpi_tickets").fetchone()[0]
        print(f"tickets in the KPI cache: {cached:,}")
        for run_name in ("first", "again") if not args.uncached else ("uncached",):
            label = f"report, last {days} days (and the {days} before), {run_name}"
            built = timed(label, run)
        print(f"  tickets created in it: {built.groups[0].current['created']:,.0f}")
    timed("dashboard stages (shown first)", lambda: dashboard.stages(store))
    if args.uncached:
        return
    timed("dashboard figures", lambda: dashboard.read(store, NOW, zone, sla, costs))
    if args.compare:
        compare(store, sla, zone, costs)
    store.close()


if __name__ == "__main__":
    main()
