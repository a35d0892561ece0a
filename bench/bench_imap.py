"""Initial IMAP sync speed: a local Dovecot with N generated messages, pulled, parsed, indexed.

    .venv/bin/python bench/bench_imap.py [--messages 10000] [--workers N] [--batch 500]

Starts its own Dovecot on loopback (as the integration tests do), delivers the messages straight
into the user's Maildir, lets Dovecot index and cache them (not timed), then times raw FETCH alone and
pull + parse without storing, and a full initial sync through EmailConnector.pull + ingest
(FTS5 built). Prints messages/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.integration.servers: the Dovecot launcher
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_maildir: the mail generator

from bench_maildir import generate_messages, load_note  # noqa: E402

from tests.integration.servers import PASSWORD, running_dovecot  # noqa: E402


def deliver(home: Path, uid: int, gid: int, messages: list[bytes]) -> None:
    """Put messages into the user's Maildir as a delivery agent would: into new/, no flags.

    Files written straight into cur/ with an empty info suffix (``NAME:2,``) are a trap: Dovecot
    records them without the suffix, cannot open them by that name, and rescans the whole folder
    on the first body read of every session (about 1 s on 10,000 messages). Real mailboxes, filled
    by a delivery agent or by Dovecot itself, never look like that.
    """
    maildir = home / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        os.chown(maildir / sub, uid, gid)
    os.chown(maildir, uid, gid)
    for i, raw in enumerate(messages):
        raw = raw.replace(b"\n", b"\r\n")
        path = maildir / "new" / f"{1700000000 + i}.M{i}P1.bench,S={len(raw)}"
        path.write_bytes(raw)
        os.chown(path, uid, gid)


def warm_up(port: int, user: str) -> int:
    """Let Dovecot do its one-time work on the new mailbox, so the timings measure the client.

    Dovecot builds its index on the first SELECT, turns on modseqs on the first CONDSTORE
    STATUS, and extends its cache in the session after one that fetched every message: up to
    2 s in all on 10,000 messages, which no later sync of the same mailbox pays again.
    """
    from imapclient import IMAPClient

    for _ in range(2):
        client = IMAPClient("127.0.0.1", port=port, ssl=False)
        client.login(user, PASSWORD)
        client.folder_status("INBOX", [b"UIDVALIDITY", b"UIDNEXT", b"HIGHESTMODSEQ"])
        count = client.select_folder("INBOX", readonly=True)[b"EXISTS"]
        uids = client.search(["ALL"])
        for i in range(0, len(uids), 1000):
            client.fetch(uids[i : i + 1000], [b"BODY.PEEK[]", b"INTERNALDATE"])
        client.logout()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="parser processes (0: inline)")
    parser.add_argument("--batch", type=int, default=500, help="the account's batch_size")
    args = parser.parse_args()

    from imapclient import IMAPClient

    from deskterm.connector import Account
    from deskterm.connectors.email import EmailConnector
    from deskterm.secrets import env_name
    from deskterm.store import open_store
    from deskterm.sync.engine import sync_account

    messages = generate_messages(args.messages)
    with tempfile.TemporaryDirectory(prefix="deskterm-bench-") as scratch:
        work = Path(scratch)
        with running_dovecot() as dovecot:
            user = dovecot.add_user()
            deliver(dovecot.root / "home" / user, dovecot.uid, dovecot.gid, messages)
            t0 = time.perf_counter()
            count = warm_up(dovecot.port, user)
            print(f"Dovecot indexed {count:,} messages in {time.perf_counter() - t0:.1f} s")
            client = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
            client.login(user, PASSWORD)
            client.select_folder("INBOX", readonly=True)

            t0 = time.perf_counter()
            uids = client.search(["ALL"])
            size = 0
            for i in range(0, len(uids), 500):
                fetched = client.fetch(uids[i : i + 500], [b"BODY.PEEK[]", b"INTERNALDATE"])
                size += sum(len(v[b"BODY[]"]) for v in fetched.values())
            raw_elapsed = time.perf_counter() - t0
            print(
                f"raw FETCH (IMAPClient): {len(uids) / raw_elapsed:,.0f} messages/s "
                f"({size / 1e6:.0f} MB)"
            )
            client.logout()

            os.environ[env_name("bench")] = PASSWORD
            settings = {
                "host": "127.0.0.1",
                "port": dovecot.port,
                "security": "none",
                "username": user,
                "data_dir": str(work / "data"),
                "batch_size": args.batch,
            }
            if args.workers is not None:
                settings["parse_workers"] = args.workers
            account = Account("bench", "email", "email", "support@shop.example", settings)
            # The same pull without storing, to show which side limits the full sync.
            connector = EmailConnector(account)
            t0 = time.perf_counter()
            parsed = first_size = 0
            first = 0.0
            for batch in connector.pull({}):
                if not first:
                    first, first_size = time.perf_counter() - t0, len(batch.messages)
                parsed += len(batch.messages)
            elapsed = time.perf_counter() - t0
            connector.close()
            print(
                f"pull + parse, not stored: {parsed / elapsed:,.0f} messages/s "
                f"(first batch after {first:.1f} s, then {(parsed - first_size) / (elapsed - first):,.0f}"
                " messages/s)"
            )

            # The first sync as `deskterm sync` runs it: pull, ingest, settle the SLA clocks.
            store = open_store(work / "bench.db")
            connector = EmailConnector(account)
            t0 = time.perf_counter()
            added = sync_account(store, account, connector=connector, push=False).pulled
            elapsed = time.perf_counter() - t0
            connector.close()
            hits = store.conn.execute(
                "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'refund'"
            ).fetchone()[0]
            print(
                f"initial sync: {added:,} messages pulled, parsed and indexed in {elapsed:.1f} s: "
                f"{added / elapsed:,.0f} messages/s (FTS: {hits:,} match 'refund'; "
                f"workers={args.workers if args.workers is not None else 'auto'})"
            )
            print(load_note())
            store.close()


if __name__ == "__main__":
    main()
