"""The one place each account's connector runs in a team: mail and marketplace messages are
pulled once, and each reply leaves once, whichever agent queued it.

A worker (`deskterm team work`) holds a session advisory lock per account on the team server;
while it holds one, no other worker runs that account, and when it dies its connection and so its
locks go, and the next worker to ask takes the account over. Replies wait in the server's outbox:
the worker holding the account grants itself the queued ones (FOR UPDATE SKIP LOCKED, so two
claimers never take one row), lets its replica's own sending pass send them under the usual lease,
and the delivery events it pushes settle them on the server.

Fencing: each grant carries a fence (a number the server hands out afresh at every grant), and
just before a reply goes to its channel the worker asks the server, on the very connection that
holds the lock, to mark it as being handed over under that fence. A worker whose lock connection
broke, whose account another worker took over and whose replies were granted again, is refused
there and sends nothing it had claimed. A reply granted to a worker that is gone before that
moment cannot have left and is simply sent; one it had begun to hand over is taken over only once
a send in flight would have ended (twice the account's timeout), as an interrupted send: the pass
asks the channel whether it has it before sending. The delivery report is accepted whoever sends
it: it says what the channel has, and refusing it would only get the reply sent again.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.connector import Account, Connector, ConnectorError, connector_for
from deskterm.domain import Outbound, utcnow
from deskterm.store import Store, queries
from deskterm.store import team as rows
from deskterm.sync import engine
from deskterm.sync.sending import push_outbox
from deskterm.team import presence, records, replica, roster, schema, server

if TYPE_CHECKING:
    import psycopg


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
        # One connection pushes, pulls and hears the team's news (replica.listening); the
        # locks have their own, whose session is what holds an account.
        self.conn = replica.listening(address)
        if server.behind(self.conn):
            server.migrate(self.conn)  # the owner's worker brings the server up to this deskterm
        self.address = address
        self.locks = self._lock_connection()
        self.connectors: dict[str, Connector] = {}
        self.fences: dict[str, int] = {}  # reply key -> the fence of this worker's grant
        # Who is online, for the rules that assign the mail this worker pulls (no workstation
        # may be open on its replica to keep that list).
        self.online = roster.OnlineKeeper()

    def _lock_connection(self) -> psycopg.Connection:
        conn = replica.open_server(self.address)
        conn.autocommit = True
        return conn

    def holds(self, account: str) -> bool:
        """Whether this worker runs `account`, taking its lock if nobody holds it; a broken lock
        connection (its locks went with it) is replaced first."""
        ask = "SELECT pg_try_advisory_lock(hashtextextended(%s, %s))"
        try:
            row = self.locks.execute(ask, (account, schema.ACCOUNT_LOCK_SEED)).fetchone()
        except server.db_errors():
            self.locks.close()
            self.locks = self._lock_connection()
            row = self.locks.execute(ask, (account, schema.ACCOUNT_LOCK_SEED)).fetchone()
        return bool(row and row[0])

    def run_once(
        self, now: datetime | None = None, *, pull: bool = True
    ) -> list[engine.AccountReport]:
        """Push and pull the team's events; for each account held, pull its channel (unless
        `pull` is False: a pass the team's news woke, which only sends the replies waiting) and
        send its replies; then push the results."""
        now = now or utcnow()
        replica.sync_once(self.store, self.conn)  # replies queued elsewhere reach this replica
        if pull:
            self.online.heard(self.store, presence.online(self.conn), now)
        reports = []
        held = []
        for account in queries.enabled_accounts(self.store):
            if not pull and not rows.replies_waiting(self.store.conn, account.name):
                continue
            if not self.holds(account.name):
                continue
            held.append(account.name)
            connector = self.connectors.get(account.name) or self.make_connector(account)
            self.connectors[account.name] = connector
            if pull:
                report = engine.sync_account(
                    self.store, account, connector=connector, now=now, push=False
                )
                if report.pulled:  # the team sees new mail now, not after the sends
                    replica.push(self.store, self.conn)
            else:
                report = engine.AccountReport(account.name)
            if report.error is None and connector.can_send:
                self.grant(account)
                push_outbox(self.store, account, connector, now, report, gate=self.may_send)
            if report.error is None:
                self.follow_mailbox(account, connector, now, report)
            reports.append(report)
        replica.sync_once(self.store, self.conn)  # what was pulled and sent reaches the others
        # Where each account's pull stopped, now that the mail it read is the team's: a worker
        # taking an account over resumes there.
        records.send(self.store, self.locks, records.collect(self.store, held))
        return reports

    def follow_mailbox(
        self, account: Account, connector: Connector, now: datetime, report: engine.AccountReport
    ) -> None:
        """Flag and move in the account's mailbox what any agent answered or solved: the
        changes folding their events queued here."""
        try:
            engine.push_mailbox_changes(self.store, account, connector, now)
        except ConnectorError as exc:
            report.state, report.error = "error", str(exc)

    def grant(self, account: Account) -> None:
        """Claim the account's replies this worker may send now, each under a new fence."""
        pulled = replica.pulled_through(self.store)
        grace = 2 * float(account.settings.get("timeout", 30))
        granted = server.claim_replies(self.locks, account.name, self.name, pulled, grace)
        with self.store.tx() as conn:
            for key, was, fence in granted:
                self.fences[key] = fence
                rows.grant_reply(conn, key, interrupted=was == "handing")

    def may_send(self, item: Outbound) -> bool:
        """The fence check just before `item` goes to its channel; a reply refused here waits
        again for a grant (the worker now holding its account sends it)."""
        fence = self.fences.get(item.idempotency_key)
        allowed = fence is not None and server.begin_send(
            self.locks, item.idempotency_key, self.name, fence
        )
        if not allowed:
            with self.store.tx() as conn:
                rows.release_reply(conn, item.idempotency_key)
        return allowed

    def watch(
        self,
        stop: threading.Event,
        interval: float = 30.0,
        on_report: Callable[[engine.AccountReport], None] | None = None,
    ) -> None:
        """Run until `stop`: every `interval` a full pass (the channels pulled, accounts of a
        worker that stopped taken over); in between, a pass that sends the replies waiting
        whenever the server has news or another process writes to this replica (a reply queued
        in the TUI). Passes that pulled, sent or failed something are reported."""
        seen = self.store.data_version()
        due = time.monotonic()
        while not stop.is_set():
            full = time.monotonic() >= due
            due = time.monotonic() + interval if full else due
            for report in self.run_once(pull=full):
                if on_report is not None and (full or report.sent or report.failed):
                    on_report(report)
            wait = max(due - time.monotonic(), 0.0)
            seen = replica.wait_for_news(self.store, self.conn, stop, wait, seen)

    def close(self) -> None:
        """Let go of every account (the locks end with the connection) and the connectors."""
        for connector in self.connectors.values():
            connector.close()
        self.locks.close()
        self.conn.close()
