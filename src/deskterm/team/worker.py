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

Pulling and sending never wait on each other: while it watches (`deskterm sync --watch`), the
worker pulls each account it holds on a thread of its own, with a connector, a replica
connection and a server connection of its own, waking on IMAP IDLE where the channel offers it
(polling every interval otherwise), and pushes what it pulled to the team at once; the sending
passes run on the watching thread. A stop is heard between two replies and between two pulled
batches, and within IDLE_S during a wait, so a worker with a backlog stops in seconds and leaves
nothing another worker could not take over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.connector import Account, Connector, ConnectorError, TemporaryError, connector_for
from deskterm.domain import Outbound, utcnow
from deskterm.store import Store, StoreError, open_store, queries
from deskterm.store import team as rows
from deskterm.sync import engine
from deskterm.sync.sending import push_outbox
from deskterm.team import presence, records, replica, roster, schema, server

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

# The longest a pulling thread waits on the channel (IMAP IDLE) before it looks at its stop.
IDLE_S = 2.0

Report = Callable[[engine.AccountReport], None]


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
        # The lock session serves every thread of this worker, one statement at a time; the
        # replica's push and pull bookkeeping too (each thread has its own connections).
        self._lock_session = threading.Lock()
        self._syncing = threading.Lock()
        self.connectors: dict[str, Connector] = {}
        self.fences: dict[str, int] = {}  # reply key -> the fence of this worker's grant
        # Who is online, for the rules that assign the mail this worker pulls (no workstation
        # may be open on its replica to keep that list).
        self.online = roster.OnlineKeeper()
        self._failure: BaseException | None = None  # what ended a pulling thread

    def _lock_connection(self) -> psycopg.Connection:
        conn = replica.open_server(self.address)
        conn.autocommit = True
        return conn

    @contextmanager
    def lock_session(self) -> Iterator[psycopg.Connection]:
        """The connection whose session holds the accounts, for this thread alone meanwhile."""
        with self._lock_session:
            yield self.locks

    def holds(self, account: str) -> bool:
        """Whether this worker runs `account`, taking its lock if nobody holds it; a broken lock
        connection (its locks went with it) is replaced first."""
        ask = "SELECT pg_try_advisory_lock(hashtextextended(%s, %s))"
        with self._lock_session:
            try:
                row = self.locks.execute(ask, (account, schema.ACCOUNT_LOCK_SEED)).fetchone()
            except server.db_errors():
                self.locks.close()
                self.locks = self._lock_connection()
                row = self.locks.execute(ask, (account, schema.ACCOUNT_LOCK_SEED)).fetchone()
        return bool(row and row[0])

    def sync(self) -> None:
        """Push what this replica wrote and pull what the team wrote."""
        with self._syncing:
            replica.sync_once(self.store, self.conn)

    def connector(self, account: Account) -> Connector:
        """The connector that sends the account's replies (and, in run_once, pulls it too)."""
        found = self.connectors.get(account.name) or self.make_connector(account)
        self.connectors[account.name] = found
        return found

    def run_once(self, now: datetime | None = None) -> list[engine.AccountReport]:
        """One pass, each step after the other: push and pull the team's events; for each
        account held, pull its channel, push what it pulled, send its replies and follow its
        mailbox; then push the results and where each account's pull stopped."""
        now = now or utcnow()
        self.sync()  # replies queued elsewhere reach this replica
        self.online.heard(self.store, presence.online(self.conn), now)
        reports = []
        held = []
        for account in queries.enabled_accounts(self.store):
            if not self.holds(account.name):
                continue
            held.append(account.name)
            connector = self.connector(account)
            report = self.pull(self.store, self.conn, account, connector, now)
            if report.error is None:
                self.send(account, connector, now, report)
            if report.error is None:
                self.follow_mailbox(self.store, account, connector, now, report)
            reports.append(report)
        self.sync()  # what was pulled and sent reaches the others
        self.send_cursors(self.store, held)
        return reports

    def pull(
        self,
        store: Store,
        conn: psycopg.Connection,
        account: Account,
        connector: Connector,
        now: datetime,
        stop: threading.Event | None = None,
    ) -> engine.AccountReport:
        """Pull the account's channel into `store` and push what came to the team at once, with
        whatever an earlier pass pulled and could not push (a busy file), so the cursors sent
        next cover only mail the team has."""
        report = engine.sync_account(
            store, account, connector=connector, now=now, push=False, stop=stop
        )
        with self._syncing:
            replica.push(store, conn)
        return report

    def send_cursors(self, store: Store, accounts: list[str]) -> None:
        """Where each account's pull stopped, now that the mail it read is the team's: a worker
        taking an account over resumes there. Only after the push of that mail."""
        found = records.collect(store, accounts)
        if found:
            with self.lock_session() as locks:
                records.send(store, locks, found)

    def send(
        self,
        account: Account,
        connector: Connector,
        now: datetime,
        report: engine.AccountReport,
        stop: threading.Event | None = None,
    ) -> None:
        """Send the account's replies granted to this worker; a channel that cannot be reached
        leaves the reply waiting with its error, to be tried again later (sync.sending), and is
        told in the report (one line of `deskterm sync`) and the account's sync status."""
        if not connector.can_send:
            return
        self.grant(account)
        try:
            push_outbox(self.store, account, connector, now, report, gate=self.may_send, stop=stop)
        except ConnectorError as exc:
            offline = isinstance(exc, TemporaryError)
            report.state, report.error = ("offline" if offline else "error"), str(exc)
            engine.record_status(self.store, report, now)

    def follow_mailbox(
        self,
        store: Store,
        account: Account,
        connector: Connector,
        now: datetime,
        report: engine.AccountReport,
    ) -> None:
        """Flag and move in the account's mailbox what any agent answered or solved: the
        changes folding their events queued here."""
        try:
            engine.push_mailbox_changes(store, account, connector, now)
        except ConnectorError as exc:
            report.state, report.error = "error", str(exc)

    def grant(self, account: Account) -> None:
        """Claim the account's replies this worker may send now, each under a new fence."""
        pulled = replica.pulled_through(self.store)
        grace = 2 * float(account.settings.get("timeout", 30))
        with self.lock_session() as locks:
            granted = server.claim_replies(locks, account.name, self.name, pulled, grace)
        with self.store.tx() as conn:
            for key, was, fence in granted:
                self.fences[key] = fence
                rows.grant_reply(conn, key, interrupted=was == "handing")

    def may_send(self, item: Outbound) -> bool:
        """The fence check just before `item` goes to its channel; a reply refused here waits
        again for a grant (the worker now holding its account sends it)."""
        fence = self.fences.get(item.idempotency_key)
        if fence is None:
            allowed = False
        else:
            with self.lock_session() as locks:
                allowed = server.begin_send(locks, item.idempotency_key, self.name, fence)
        if not allowed:
            with self.store.tx() as conn:
                rows.release_reply(conn, item.idempotency_key)
        return allowed

    def send_pass(self, stop: threading.Event) -> list[engine.AccountReport]:
        """Push and pull the team's events, send the replies waiting for each account held
        (until `stop`, between two replies), then push what was sent."""
        self.sync()
        reports = []
        for account in queries.enabled_accounts(self.store):
            if not rows.replies_waiting(self.store.conn, account.name):
                continue
            if not self.holds(account.name):
                continue
            report = engine.AccountReport(account.name)
            self.send(account, self.connector(account), utcnow(), report, stop)
            reports.append(report)
        self.sync()
        return reports

    def watch(
        self, stop: threading.Event, interval: float = 30.0, on_report: Report | None = None
    ) -> None:
        """Run until `stop`: a thread pulls each account (an account the team adds later gets
        one at the next full pass, every `interval`; an account a worker that stopped held is
        taken over by its thread), while this one sends the replies waiting whenever the
        server has news or anyone writes to this replica (a reply queued in the TUI, mail a
        pulling thread stored). Passes that pulled, sent or failed something are reported."""
        report = on_report or (lambda found: None)
        pullers: dict[str, threading.Thread] = {}
        seen = self.store.data_version()
        due = time.monotonic()
        try:
            while not stop.is_set():
                if time.monotonic() >= due:
                    due = time.monotonic() + interval
                    self.online.heard(self.store, presence.online(self.conn), utcnow())
                    self._start_pulling(pullers, stop, interval, report)
                for found in self.send_pass(stop):
                    if found.sent or found.failed or found.error:
                        report(found)
                wait = max(due - time.monotonic(), 0.0)
                seen = replica.wait_for_news(self.store, self.conn, stop, wait, seen)
        finally:
            stop.set()
            for thread in pullers.values():
                thread.join()
        if self._failure is not None:
            raise self._failure

    def _start_pulling(
        self,
        pullers: dict[str, threading.Thread],
        stop: threading.Event,
        interval: float,
        report: Report,
    ) -> None:
        for account in queries.enabled_accounts(self.store):
            if account.name in pullers and pullers[account.name].is_alive():
                continue
            thread = threading.Thread(
                target=self._pull_thread,
                args=(account, stop, interval, report),
                name=f"pull-{account.name}",
                daemon=True,
            )
            thread.start()
            pullers[account.name] = thread

    def _pull_thread(
        self, account: Account, stop: threading.Event, interval: float, report: Report
    ) -> None:
        """One account's pulling thread; what ends it (the team server lost) ends the watch."""
        try:
            with self._own_connections() as (store, conn):
                self._pull_until(store, conn, account, stop, interval, report)
        except Exception as exc:  # raised again on the watching thread, which reports it
            self._failure = exc
            stop.set()

    @contextmanager
    def _own_connections(self) -> Iterator[tuple[Store, psycopg.Connection]]:
        """A connection to this replica's file and one to the server, for one thread."""
        store = open_store(self.store.path) if self.store.path else self.store
        try:
            conn = replica.open_server(self.address)
            conn.autocommit = True
            try:
                yield store, conn
            finally:
                conn.close()
        finally:
            if store is not self.store:
                store.close()

    def _pull_until(
        self,
        store: Store,
        conn: psycopg.Connection,
        account: Account,
        stop: threading.Event,
        interval: float,
        report: Report,
    ) -> None:
        """Pull the account whenever its channel has news, and every `interval` in any case,
        while this worker holds it (trying to take it over every `interval` while another
        does), until `stop` or the account is no longer enabled here."""
        connector: Connector | None = None
        try:
            while not stop.is_set():
                current = _enabled(store, account.name)
                if current is None:
                    return
                if current != account and connector is not None:
                    connector.close()  # its settings changed: a connector with the new ones
                    connector = None
                account = current
                if not self.holds(account.name):
                    stop.wait(interval)
                    continue
                connector = connector or self.make_connector(account)
                if self._pull_pass(store, conn, account, connector, stop, report):
                    _await_mail(connector, stop, interval)
                else:
                    connector.close()
                    connector = None
                    stop.wait(interval)
        finally:
            if connector is not None:
                connector.close()

    def _pull_pass(
        self,
        store: Store,
        conn: psycopg.Connection,
        account: Account,
        connector: Connector,
        stop: threading.Event,
        report: Report,
    ) -> bool:
        """Pull the account, push what came, then where the pull stopped, and follow the
        mailbox; whether all went well."""
        now = utcnow()
        try:
            found = self.pull(store, conn, account, connector, now, stop)
            self.send_cursors(store, [account.name])
        except StoreError as exc:  # another writer held the file too long: next time
            log.warning("pulling %s: %s", account.name, exc)
            return False
        if found.error is None:
            self.follow_mailbox(store, account, connector, now, found)
        if found.pulled or found.error:
            report(found)
        return found.error is None

    def close(self) -> None:
        """Let go of every account (the locks end with the connection) and the connectors."""
        for connector in self.connectors.values():
            connector.close()
        self.locks.close()
        self.conn.close()


def _enabled(store: Store, name: str) -> Account | None:
    """The account `name` as this replica has it now, unless it is gone or disabled."""
    return next((a for a in queries.enabled_accounts(store) if a.name == name), None)


def _await_mail(connector: Connector, stop: threading.Event, seconds: float) -> None:
    """Wait until the channel has news (IMAP IDLE, a look every IDLE_S at `stop`), `seconds`
    pass or `stop`; a channel that cannot watch is simply waited for."""
    end = time.monotonic() + seconds
    while not stop.is_set() and (left := end - time.monotonic()) > 0:
        if not connector.can_watch:
            stop.wait(left)
            return
        try:
            if connector.watch(min(left, IDLE_S)):
                return
        except ConnectorError as exc:
            log.warning("watching %s: %s", connector.account.name, exc)
            stop.wait(left)
            return
