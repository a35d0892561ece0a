"""Replies under random kills: a real Dovecot and a slow aiosmtpd, `deskterm sync` killed again
and again while it sends, until every reply is sent or held for a person.

    .venv/bin/python bench/bench_send_kills.py [--replies 100] [--delay 0.5] [--longest 1.0]
        [--seed 1] [--no-append-sent]

Prints the kills, the mails the server accepted (and how many twice), the replies recorded as
sent and held as uncertain, and the uncertain ones the server had accepted at least 0.25 s before
the kill that interrupted them (a process that had time to record the acceptance).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.integration: the Dovecot launcher and the kill harness

from tests.integration.sending import (  # noqa: E402
    kill_while_sending,
    queue_replies,
    reply_ids,
    running_smtp,
    uncertain_but_accepted,
)
from tests.integration.servers import PASSWORD, running_dovecot  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds before SMTP's 250")
    parser.add_argument("--longest", type=float, default=1.0, help="latest kill after a claim")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-append-sent", action="store_true")
    args = parser.parse_args()

    from deskterm.secrets import env_name
    from deskterm.store import open_store

    with (
        tempfile.TemporaryDirectory() as scratch,
        running_dovecot() as dovecot,
        running_smtp(args.delay) as server,
    ):
        db_path = Path(scratch) / "deskterm.db"
        store = open_store(db_path)
        user = dovecot.add_user()
        os.environ[env_name("shop")] = PASSWORD
        settings = {
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": "none",
            "username": user,
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_security": "none",
            "smtp_auth": False,
            "append_sent": not args.no_append_sent,
            "data_dir": scratch,
        }
        with store.tx() as conn:
            conn.execute(
                "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
                " VALUES ('shop', 'email', 'email', 'help@shop.example', ?, '2026-11-20T00:00Z')",
                (json.dumps(settings),),
            )
        queue_replies(store, "shop", args.replies)
        run = kill_while_sending(db_path, seed=args.seed, longest=args.longest, deadline=3600)
        counts = server.counts()
        statuses = list(reply_ids(store).values())
        doubted = uncertain_but_accepted(store, server, run, grace=0.25)
        store.close()
    print(f"replies {args.replies}, SMTP answer after {args.delay} s, runs {run.runs - 1}")
    print(f"kills {len(run.kills)}")
    print(
        f"accepted by the server {len(counts)}, of them more than once {sum(c > 1 for c in counts.values())}"
    )
    print(f"recorded sent {statuses.count('sent')}, held as uncertain {statuses.count('failed')}")
    print(f"held although accepted >= 0.25 s before the kill {len(doubted)}")


if __name__ == "__main__":
    main()
