"""The sync engine: pull each account through its connector into ingest, push the outbox
(sync.sending: each reply once, under a lease), record status. One account's failure never stops
the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm import automation, connector_calls, ingest, mailbox
from deskterm.connector import (
    Account,
    Connector,
    ConnectorError,
    TemporaryError,
    connector_for,
)
from deskterm.domain import utcnow
from deskterm.secrets import SecretError
from deskterm.sla import clocks
from deskterm.store import Store, StoreError, open_store, queries, sync_state
from deskterm.store import team as team_rows
from deskterm.sync.sending import backoff, push_outbox
from deskterm.triage.backfill import backfill

if TYPE_CHECKING:
    from deskterm.team.replica import Rider

log = logging.getLogger(__name__)

CLOCK_TICK = 15.0
# How often connector calls left unfinished by a crash, and retries that fell due, are looked for.
CALLS_TICK = 60.0


@dataclass(slots=True)
class AccountReport:
    account: str
    state: str = "online"
    pulled: int = 0
    duplicates: int = 0
    sent: int = 0
    failed: int = 0
    error: str | None = None


def record_status(store: Store, report: AccountReport, now: datetime) -> None:
    """The account's sync status after a pass: its state, its error, what it pulled and sent."""
    counts = (report.pulled, report.sent)
    with store.tx() as conn:
        sync_state.record_status(conn, report.account, report.state, now, report.error, counts)


def push_mailbox_changes(
    store: Store, account: Account, connector: Connector, now: datetime
) -> None:
    """Apply the account's queued mailbox changes; those the server took are done even when a
    later one fails (the rest stay queued for the next pass)."""
    changes = mailbox.pending(store, account.name)
    if not changes:
        return
    done: list[int] = []
    try:
        for change_id in connector.apply_changes(changes):
            done.append(change_id)
    finally:
        mailbox.applied(store, done, now)


def sync_account(
    store: Store,
    account: Account,
    *,
    connector: Connector | None = None,
    now: datetime | None = None,
    push: bool = True,
    stop: threading.Event | None = None,
) -> AccountReport:
    """Pull then push one account; errors end up in the report and sync_status, never raised.
    Once `stop` is set, the pull ends after the batch in hand (each is stored with its cursor)."""
    now = now or utcnow()
    report = AccountReport(account.name)
    try:
        connector = connector or connector_for(account, clock=lambda: now)
        settler = clocks.Settler(store, now)
        cursors = sync_state.load_cursors(store.conn, account.name)
        with store.bulk_writes():
            try:
                for batch in connector.pull(cursors):
                    # A first sync's big batches are read by triage after the pull.
                    result = ingest.ingest_batch(
                        store, account.name, batch, now=now, defer_sla=True, bulk=not cursors
                    )
                    report.pulled += result.added
                    report.duplicates += result.duplicates
                    settler.step()
                    if stop is not None and stop.is_set():
                        break
            finally:
                settler.finish()
        if not cursors and report.pulled:
            backfill(store)
        if push and connector.can_send:
            push_outbox(store, account, connector, now, report)
        if push:
            push_mailbox_changes(store, account, connector, now)
    except TemporaryError as exc:
        report.state, report.error = "offline", str(exc)
    except (ConnectorError, SecretError, StoreError) as exc:
        # Each says what is wrong in one line (a refused login, a secrets file others can read,
        # a database locked for too long): no traceback.
        report.state, report.error = "error", str(exc)
    except Exception as exc:  # a connector bug must not take the other accounts down
        log.exception("sync of %s failed", account.name)
        report.state, report.error = "error", f"{type(exc).__name__}: {exc}"
    record_status(store, report, now)
    return report


def enabled_accounts(store: Store) -> list[Account]:
    """The accounts to sync here; none in a team replica, whose accounts run only in the team's
    worker (deskterm team work), which holds each one's lock so it is pulled and sent once."""
    if team_rows.meta_get(store.conn, team_rows.TEAM_URL):
        return []
    return queries.enabled_accounts(store)


def run_once(
    store: Store, *, only: list[str] | None = None, now: datetime | None = None
) -> list[AccountReport]:
    """One pass over every enabled account (or those named in `only`), then the SLA clocks."""
    now = now or utcnow()
    clocks.recompute_if_changed(store, now)
    reports = []
    for account in enabled_accounts(store):
        if only and account.name not in only:
            continue
        reports.append(sync_account(store, account, now=now))
    clocks.tick(store, now)
    return reports


def settle_calls(
    db_path: Path,
    stop: threading.Event,
    on_call: Callable[[connector_calls.Call], None],
    every: float = CALLS_TICK,
) -> None:
    """Settle the connector calls a crash left unfinished here, and the retries that fell due
    (connector_calls.recover), at once and then every `every` seconds until `stop`; `on_call`
    hears of each one settled."""
    store = open_store(db_path)
    try:
        while not stop.is_set():
            try:
                for call in connector_calls.recover(store):
                    on_call(call)
            except (StoreError, connector_calls.CallError) as exc:
                log.warning("connector calls: %s", exc)
            stop.wait(every)
    finally:
        store.close()


class Watcher:
    """Keeps every account in sync until stopped: one thread each, IDLE-style waits where the
    connector offers them, a poll interval otherwise. `kick()` wakes everyone (a reply was queued).
    """

    def __init__(
        self,
        db_path: Path,
        *,
        interval: float = 30.0,
        on_report: Callable[[AccountReport], None] | None = None,
        now: Callable[[], datetime] = utcnow,
        team_rider: Rider | None = None,
        on_call: Callable[[connector_calls.Call], None] | None = None,
    ) -> None:
        self.db_path = db_path
        self.interval = interval
        # What shares a team replica's sync connection (the workstation's presence beacon).
        self.team_rider = team_rider
        self.on_report = on_report or (lambda report: None)
        self.on_call = on_call or (lambda call: None)
        self.now = now
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        store = open_store(self.db_path)
        try:
            accounts = enabled_accounts(store)
            in_team = team_rows.meta_get(store.conn, team_rows.TEAM_URL) is not None
        finally:
            store.close()
        self._spawn(self._clock_loop, "sla-clock")
        self._spawn(settle_calls, "connector-calls", self.db_path, self.stop_event, self.on_call)
        if in_team:
            self._spawn(self._team_loop, "team-sync")
        for account in accounts:
            self._spawn(self._loop, f"sync-{account.name}", account)

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _clock_loop(self) -> None:
        """Warnings, breaches and snooze ends happen with no event to trigger them: look often."""
        store = open_store(self.db_path)
        try:
            clocks.recompute_if_changed(store, self.now())
            while not self.stop_event.is_set():
                clocks.tick(store, self.now())
                automation.tick(store, self.now())
                self.stop_event.wait(CLOCK_TICK)
        finally:
            store.close()

    def _team_loop(self) -> None:
        """A team replica pushes what is written here and pulls the others' work (deskterm.team),
        again and again while the server cannot be reached."""
        from deskterm.team import replica
        from deskterm.team.server import TeamError

        store = open_store(self.db_path)
        failures = 0

        def passed(pushed: int, pulled: int) -> None:
            nonlocal failures
            failures = 0  # connected again: a later loss starts the backoff afresh

        try:
            while not self.stop_event.is_set():
                try:
                    replica.watch(
                        store,
                        self.stop_event,
                        poll_s=self.interval,
                        on_pass=passed,
                        rider=self.team_rider,
                    )
                except TeamError as exc:
                    failures += 1
                    log.warning("team sync: %s", exc)
                    self.stop_event.wait(backoff(failures).total_seconds())
        finally:
            store.close()

    def kick(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _wait(self, connector: Connector | None, seconds: float) -> None:
        """Sleep until the interval ends, the connector reports news, kick() or stop()."""
        if connector is None or not connector.can_watch:
            self._wake.wait(seconds)
        else:
            end = time.monotonic() + seconds
            while not self._wake.is_set() and (left := end - time.monotonic()) > 0:
                try:
                    if connector.watch(min(left, 10.0)):
                        break
                except ConnectorError:
                    break
        self._wake.clear()

    def _loop(self, account: Account) -> None:
        store = open_store(self.db_path)
        connector: Connector | None = None
        failures = 0
        try:
            while not self.stop_event.is_set():
                try:
                    connector = connector or connector_for(account, clock=self.now)
                except ConnectorError as exc:
                    report = AccountReport(account.name, state="error", error=str(exc))
                    record_status(store, report, self.now())
                else:
                    report = sync_account(store, account, connector=connector, now=self.now())
                self.on_report(report)
                failures = failures + 1 if report.error else 0
                if report.error and connector is not None:
                    connector.close()
                    connector = None
                wait = backoff(failures).total_seconds() if failures else self.interval
                self._wait(connector, wait)
        finally:
            if connector is not None:
                connector.close()
            store.close()
