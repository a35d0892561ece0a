"""The one place each account's connector runs in a team: mail and marketplace messages are
pulled once, and each reply leaves once, whichever agent queued it.

A worker (`deskterm team work`) holds a session advisory lock per account on the team server;
while it holds one, no other worker runs that account, and when it dies its connection and so its
locks go, and the next worker to ask takes the account over. Replies wait in the server's outbox:
the worker holding the account grants itself the queued ones (FOR UPDATE SKIP LOCKED, so two
claimers never take one row), lets its replica's own sending pass send them under the usual lease,
and the delivery events it pushes settle them on the server. A reply granted to a worker that died
is taken over as an interrupted send: the pass asks the channel whether it has it before sending.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from deskterm.connector import Account, Connector, connector_for
from deskterm.domain import utcnow
from deskterm.store import Store, queries
from deskterm.store import team as rows
from deskterm.sync import engine
from deskterm.sync.sending import push_outbox
from deskterm.team import replica, server

# The seed of hashtextextended() that turns an account name into its advisory lock key.
ACCOUNT_LOCK_SEED = 0x6465736B03


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs the accounts whose lock it holds; one per process, on that process's replica."""

    def __init__(
        self,
        store: Store,
        *,
        name: str | None = None,
        make_connector: Callable[[Account], Connector] = connector_for,
    ) -> None:
        self.store = store
        self.name = name or worker_name()
        self.make_connector = make_connector
        address = replica.configured(store)
        self.conn = replica.open_server(address)
        if server.behind(self.conn):
            server.migrate(self.conn)  # the owner's worker brings the server up to this deskterm
        self.locks = replica.open_server(address)
        self.locks.autocommit = True
        self.connectors: dict[str, Connector] = {}

    def holds(self, account: str) -> bool:
        """Whether this worker runs `account`, taking its lock if nobody holds it."""
        row = self.locks.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, %s))", (account, ACCOUNT_LOCK_SEED)
        ).fetchone()
        return bool(row and row[0])

    def run_once(self, now: datetime | None = None) -> list[engine.AccountReport]:
        """Pull what is new, then pull and send for each account held, then push the results."""
        now = now or utcnow()
        replica.sync_once(self.store, self.conn)  # replies queued elsewhere reach this replica
        reports = []
        for row in queries.enabled_accounts(self.store):
            account = Account.from_row(row)
            if not self.holds(account.name):
                continue
            connector = self.connectors.get(account.name) or self.make_connector(account)
            self.connectors[account.name] = connector
            report = engine.sync_account(
                self.store, account, connector=connector, now=now, push=False
            )
            if report.error is None and connector.can_send:
                self._grant(account.name)
                push_outbox(self.store, account, connector, now, report)
            reports.append(report)
        replica.sync_once(self.store, self.conn)  # what was pulled and sent reaches the others
        return reports

    def _grant(self, account: str) -> None:
        pulled = int(rows.meta_get(self.store.conn, replica.PULLED) or 0)
        granted = server.claim_replies(self.conn, account, self.name, pulled)
        with self.store.tx() as conn:
            for key, was, previous in granted:
                rows.grant_reply(conn, key, previous if was == "granted" else None)

    def watch(
        self,
        stop: threading.Event,
        interval: float = 30.0,
        on_report: Callable[[engine.AccountReport], None] | None = None,
    ) -> None:
        """Run until `stop`: after each pass, wait for the interval, the server's news or a
        write to this replica by another process (a reply queued in the TUI)."""
        listener = replica.open_server(replica.configured(self.store))
        try:
            listener.autocommit = True
            listener.execute(f"LISTEN {server.CHANNEL}")
            seen = self.store.data_version()
            while not stop.is_set():
                for report in self.run_once():
                    if on_report is not None:
                        on_report(report)
                seen = replica.wait_for_news(self.store, listener, stop, interval, seen)
        finally:
            listener.close()

    def close(self) -> None:
        """Let go of every account (the locks end with the connection) and the connectors."""
        for connector in self.connectors.values():
            connector.close()
        self.locks.close()
        self.conn.close()
