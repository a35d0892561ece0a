"""Importing a shop's support mailbox: a year of conversations, our replies among them.

    .venv/bin/python bench/bench_mbox.py [--messages 100000] [--keep DIR]

The mbox holds what a shop's support address sees: customers writing to support@shop.example and
the shop's answers from that address (In-Reply-To the customer's mail), some customers writing
again. It spans the year up to now, so most of it is older than the import's --since. The import
is `deskterm import mbox PATH`, with no account and no settings, as a newcomer runs it. Printed: the speed
(wall and CPU seconds), and what a person sees after: tickets by status, who the customers are
(is the shop one of them?), our replies stored as replies, SLA breach events.
"""

from __future__ import annotations

import argparse
import mailbox
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bench_maildir import _body, load_note

SHOP = "support@shop.example"


def _mail(
    sender: str, to: str, subject: str, when: datetime, msgid: str, parent: str | None
) -> str:
    thread = f"In-Reply-To: {parent}\nReferences: {parent}\n" if parent else ""
    return (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {format_datetime(when)}\n"
        f"Message-ID: {msgid}\n{thread}MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="utf-8"\n\n'
    )


def conversations(count: int, now: datetime, seed: int = 11) -> list[tuple[datetime, str]]:
    """About `count` mails (date, text) over the year up to `now`: each conversation a customer's
    mail (now and then one of ours), mostly an answer within hours, sometimes more turns."""
    rng = random.Random(seed)
    start = now - timedelta(days=365)
    mails: list[tuple[datetime, str]] = []
    n = 0
    while len(mails) < count:
        n += 1
        who = rng.randrange(max(count // 5, 1))
        customer = f"Customer {who} <customer{who}@example.net>"
        subject = f"Question about order {rng.randint(1000, 99999)}"
        when = start + timedelta(seconds=rng.randrange(int((now - start).total_seconds())))
        parent = None
        # Now and then the shop writes first (a delay notice), not in reply to anything.
        shop_first = rng.random() < 0.08
        for turn in range(rng.choice((1, 2, 2, 2, 3, 4))):
            ours = (turn % 2 == 1) != shop_first
            sender, to = (f"Shop Support <{SHOP}>", customer) if ours else (customer, SHOP)
            msgid = f"<c{n}.{turn}@{'shop' if ours else 'mail'}.example>"
            if when > now:
                break
            head = _mail(sender, to, ("Re: " if turn else "") + subject, when, msgid, parent)
            mails.append((when, head + _body(rng) + "\n"))
            parent = msgid
            when += timedelta(minutes=rng.randint(20, 60 * 30))
    mails.sort(key=lambda m: m[0])
    return mails[:count]


def write_mbox(path: Path, mails: list[tuple[datetime, str]]) -> None:
    box = mailbox.mbox(path)
    box.lock()
    try:
        for _, text in mails:
            box.add(mailbox.mboxMessage(text))
    finally:
        box.flush()
        box.unlock()
        box.close()


def report(conn) -> list[str]:
    """What the import left, as a person would look at it."""

    def one(sql: str, *args: str) -> int:
        return conn.execute(sql, args).fetchone()[0]

    statuses = dict(conn.execute("SELECT status, COUNT(*) FROM tickets GROUP BY status"))
    shop = one("SELECT COUNT(*) FROM identities WHERE value = ?", SHOP)
    shop_tickets = one(
        "SELECT COUNT(*) FROM tickets t JOIN identities i ON i.customer_id = t.customer_id"
        " WHERE i.value = ?",
        SHOP,
    )
    customers = one("SELECT COUNT(*) FROM customers")
    inbound = one("SELECT COUNT(*) FROM messages WHERE direction = 'in'")
    replies = one("SELECT COUNT(*) FROM messages WHERE direction = 'out'")
    breaches = one("SELECT COUNT(*) FROM events WHERE kind = 'sla_breach'")
    breached = one("SELECT COUNT(*) FROM tickets WHERE sla_state = 'breached'")
    return [
        f"tickets by status: {statuses}",
        f"customers: {customers:,}; the shop among them: {shop} (its tickets: {shop_tickets:,})",
        f"messages: {inbound:,} from customers, {replies:,} our replies",
        f"SLA breach events: {breaches:,}; tickets breached now: {breached:,}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the mbox and database in this folder")
    args = parser.parse_args()

    from click.testing import CliRunner

    from deskterm.cli.main import app
    from deskterm.store import open_store

    work = args.keep or Path(tempfile.mkdtemp(prefix="deskterm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        mbox = work / "support.mbox"
        if not mbox.exists():
            t0 = time.perf_counter()
            write_mbox(mbox, conversations(args.messages, datetime.now(UTC)))
            print(f"generated {args.messages:,} mails in {time.perf_counter() - t0:.1f} s")
        db = work / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        wall, cpu = time.perf_counter(), time.process_time()
        result = CliRunner().invoke(app, ["import", "mbox", str(mbox), "--db", str(db)])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if result.exit_code:
            raise SystemExit(result.stderr)
        said = (result.stderr + result.stdout).splitlines()
        print(
            "deskterm import mbox said:", *(f"  {line}" for line in said if line.strip()), sep="\n"
        )
        print(f"{wall:.1f} s wall, {cpu:.1f} s CPU in the writer ({load_note()})")
        store = open_store(db)
        for line in report(store.conn):
            print("  " + line)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
