"""Maildir import speed: generate a realistic support Maildir, import it, print messages/s.

    .venv/bin/python bench/bench_maildir.py [--messages 100000] [--workers N] [--keep DIR]

The mix imitates a shop's support inbox: plain and quoted-printable text, text+HTML alternatives,
some HTML-only mail, attachments, Amazon relay mail with order ids, auto-replies and list mail,
legacy charsets, and reply chains. Full-text search is built as part of the import (FTS5 triggers).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

WORDS = [
    "order",
    "parcel",
    "refund",
    "tracking",
    "delivered",
    "broken",
    "size",
    "colour",
    "exchange",
    "invoice",
    "address",
    "week",
    "please",
    "thanks",
    "hello",
    "when",
    "where",
    "still",
    "arrived",
    "damaged",
    "wrong",
    "item",
    "return",
    "label",
    "shipping",
    "customer",
    "service",
    "number",
    "payment",
    "card",
    "paypal",
    "voucher",
    "discount",
    "sale",
    "cancel",
    "today",
    "tomorrow",
]
GREETINGS = ("Hi", "Hello", "Dear team", "Hallo", "Bonjour")
PDF = base64.encodebytes(random.Random(1).randbytes(12_000)).decode()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _body(rng: random.Random) -> str:
    lines = [f"{rng.choice(GREETINGS)},", ""]
    lines += [_sentence(rng, rng.randint(6, 18)) for _ in range(rng.randint(2, 8))]
    lines += ["", "Best regards", "A customer"]
    return "\n".join(lines)


def make_message(rng: random.Random, i: int, start: datetime, earlier: list[str]) -> bytes:
    """One generated mail as bytes; `earlier` holds Message-IDs that replies may thread to."""
    customer = rng.randrange(max(1, i // 3 + 1))
    when = start + timedelta(seconds=i * 37)
    msgid = f"<gen{i}.{rng.getrandbits(32):x}@mail.example>"
    kind = rng.random()
    sender = f"Customer {customer} <customer{customer}@example.net>"
    subject = f"Question about order {rng.randint(1000, 99999)}"
    headers = {"Date": format_datetime(when), "Message-ID": msgid, "MIME-Version": "1.0"}
    extra = ""
    if earlier and rng.random() < 0.3:
        parent = rng.choice(earlier[-500:])
        headers["In-Reply-To"] = parent
        headers["References"] = parent
        subject = "Re: " + subject
    text = _body(rng)
    if kind < 0.05:
        sender = f"Amazon buyer <x{customer}abc@marketplace.amazon.de>"
        order = f"{rng.randint(100, 999)}-{rng.randint(10**6, 10**7 - 1)}-{rng.randint(10**6, 10**7 - 1)}"
        subject = f"Inquiry from Amazon customer (Order: {order})"
    elif kind < 0.08:
        headers["Auto-Submitted"] = "auto-replied"
        subject = "Out of office: " + subject
    elif kind < 0.10:
        headers["List-Id"] = "<news.example.net>"
        headers["Precedence"] = "list"
    elif kind < 0.12:
        subject = "=?utf-8?q?Bestellung_f=C3=BCr_J=C3=BCrgen?= =?utf-8?b?8J+Ygg==?="
    if kind < 0.50:
        headers["Content-Type"] = 'text/plain; charset="utf-8"'
        headers["Content-Transfer-Encoding"] = "8bit"
        payload = text + "\nGrüße, café ☕\n"
    elif kind < 0.60:
        headers["Content-Type"] = 'text/plain; charset="iso-8859-1"'
        headers["Content-Transfer-Encoding"] = "quoted-printable"
        payload = text.replace("thanks", "merci =E0 vous") + "\nCaf=E9\n"
    elif kind < 0.85:
        headers["Content-Type"] = 'multipart/alternative; boundary="alt"'
        html = "".join(f"<p>{line}</p>" for line in text.split("\n") if line)
        payload = (
            '--alt\nContent-Type: text/plain; charset="utf-8"\n\n'
            f'{text}\n--alt\nContent-Type: text/html; charset="utf-8"\n\n'
            f"<html><body>{html}</body></html>\n--alt--\n"
        )
    elif kind < 0.90:
        headers["Content-Type"] = 'text/html; charset="utf-8"'
        headers["Content-Transfer-Encoding"] = "base64"
        html = "".join(f"<p>{line}</p>" for line in text.split("\n") if line)
        payload = base64.encodebytes(f"<html><body>{html}</body></html>".encode()).decode()
    else:
        headers["Content-Type"] = 'multipart/mixed; boundary="mix"'
        payload = (
            f'--mix\nContent-Type: text/plain; charset="utf-8"\n\n{text}\n'
            f'--mix\nContent-Type: application/pdf; name="invoice-{i % 50}.pdf"\n'
            f'Content-Disposition: attachment; filename="invoice-{i % 50}.pdf"\n'
            f"Content-Transfer-Encoding: base64\n\n{PDF}--mix--\n"
        )
    earlier.append(msgid)
    head = "".join(f"{k}: {v}\n" for k, v in headers.items())
    return (
        f"From: {sender}\nTo: support@shop.example\nSubject: {subject}\n{head}{extra}\n{payload}"
    ).encode()


def generate_messages(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    earlier: list[str] = []
    return [make_message(rng, i, start, earlier) for i in range(count)]


def write_maildir(root: Path, messages: list[bytes]) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(messages):
        (root / "cur" / f"{1700000000 + i}.M{i}P1.bench:2,S").write_bytes(raw)


def load_note() -> str:
    """The wall-clock rate depends on what else runs: say how busy the machine was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min: {five:.1f}) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None, help="parser processes (0: inline)")
    parser.add_argument("--keep", type=Path, help="keep the Maildir and database in this folder")
    args = parser.parse_args()

    from deskterm.connectors.email.importer import MAILDIR
    from deskterm.imports import run_import
    from deskterm.store import open_store
    from deskterm.store.accounts import save_account

    work = args.keep or Path(tempfile.mkdtemp(prefix="deskterm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        write_maildir(work / "Maildir", generate_messages(args.messages))
        print(f"generated {args.messages:,} messages in {time.perf_counter() - t0:.1f} s")
        db = work / "bench.db"
        if db.exists():
            db.unlink()
        store = open_store(db)
        settings = {"data_dir": str(work)}  # attachments go to work/attachments
        save_account(
            store,
            "bench",
            connector="email",
            channel="email",
            address="support@shop.example",
            settings=settings,
        )
        t0 = time.perf_counter()
        result = run_import(store, MAILDIR, work / "Maildir", account="bench", workers=args.workers)
        elapsed = time.perf_counter() - t0
        hits = store.conn.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'refund'"
        ).fetchone()[0]
        print(
            f"imported {result.added:,} messages into {result.new_tickets:,} tickets "
            f"in {elapsed:.1f} s: {result.added / elapsed:,.0f} messages/s "
            f"(FTS built: {hits:,} match 'refund'; workers={args.workers})"
        )
        print(load_note())
        t0 = time.perf_counter()
        again = run_import(store, MAILDIR, work / "Maildir", account="bench", workers=args.workers)
        print(
            f"re-import added {again.added} (skipped {again.duplicates:,}) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        store.close()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
