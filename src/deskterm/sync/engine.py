"""The sync engine: pull each account through its connector into ingest, push the outbox, record
status. One account's failure never stops the others, and nothing is ever sent twice.

Sending follows a small state machine on each outbox row: queued -> sending -> sent, with failures
going back to queued (temporary, with backoff) or to failed (permanent, or uncertain after a crash
that the channel cannot confirm). A row found in `sending` at start means a crash mid-send: the
connector's confirm_sent() decides whether it left before any retry.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from deskterm import actions, ingest, mailbox
from deskterm.connector import (
    Account,
    Connector,
    ConnectorError,
    PermanentError,
    TemporaryError,
    connector_for,
)
from deskterm.domain import Attachment, Identity, Outbound, from_iso, to_iso, utcnow
from deskterm.sla import clocks
from deskterm.store import Store, open_store

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
CLOCK_TICK = 15.0
FIRST_BACKOFF = timedelta(seconds=30)


@dataclass(slots=True)
class AccountReport:
    account: str
    state: str = "online"
    pulled: int = 0
    duplicates: int = 0
    sent: int = 0
    failed: int = 0
    error: str | None = None


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before the next try: doubling from 30 s, at most 1 h, never below Retry-After."""
    delay = min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def _set_status(store: Store, report: AccountReport, now: datetime) -> None:
    ok = report.error is None
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO sync_status (account, state, last_attempt_at, last_success_at, last_error,"
            " pulled, sent) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET"
            " state = excluded.state, last_attempt_at = excluded.last_attempt_at,"
            " last_success_at = COALESCE(excluded.last_success_at, sync_status.last_success_at),"
            " last_error = excluded.last_error, pulled = sync_status.pulled + excluded.pulled,"
            " sent = sync_status.sent + excluded.sent",
            (
                report.account,
                report.state,
                to_iso(now),
                to_iso(now) if ok else None,
                report.error,
                report.pulled,
                report.sent,
            ),
        )


def _outbound(row: tuple, channel: str) -> Outbound:
    outbox_id, ticket_id, account, key, payload, queued_at = row
    data = json.loads(payload)
    return Outbound(
        outbox_id=outbox_id,
        ticket_id=ticket_id,
        account=account,
        channel=channel,
        to=Identity(data["to"]["kind"], data["to"]["value"]),
        subject=data["subject"],
        body=data["body"],
        message_id=data["message_id"],
        idempotency_key=key,
        in_reply_to=data.get("in_reply_to"),
        references=tuple(data.get("references") or ()),
        conversation_id=data.get("conversation_id"),
        attachments=tuple(Attachment(**a) for a in data.get("attachments") or ()),
        queued_at=from_iso(queued_at),
    )


def _mark_sent(store: Store, item: Outbound, external_id: str, now: datetime) -> None:
    with store.tx() as conn:
        conn.execute(
            "UPDATE outbox SET status = 'sent', external_id = ?, sent_at = ?, last_error = NULL"
            " WHERE id = ?",
            (external_id, to_iso(now), item.outbox_id),
        )
        # The channel's id on the stored copy lets the next pull recognise our own reply.
        conn.execute(
            "UPDATE OR IGNORE messages SET external_id = ?"
            " WHERE id = (SELECT message_row FROM outbox WHERE id = ?)",
            (external_id, item.outbox_id),
        )
        actions.write_event(
            conn,
            item.ticket_id,
            "delivered",
            f"sync:{item.account}",
            now,
            {"outbox": item.outbox_id, "external_id": external_id},
        )


def _mark_failed(
    store: Store, item: Outbound, exc: Exception, attempts: int, now: datetime
) -> bool:
    """Record a failed try; True when the item is given up on (needs a person)."""
    with store.tx() as conn:
        if not isinstance(exc, TemporaryError):
            conn.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                (str(exc), item.outbox_id),
            )
            actions.write_event(
                conn,
                item.ticket_id,
                "delivery_failed",
                f"sync:{item.account}",
                now,
                {"outbox": item.outbox_id, "error": str(exc)},
            )
        else:
            retry_at = now + backoff(attempts, exc.retry_after)
            conn.execute(
                "UPDATE outbox SET status = 'queued', last_error = ?, next_attempt_at = ?"
                " WHERE id = ?",
                (str(exc), to_iso(retry_at), item.outbox_id),
            )
    return not isinstance(exc, TemporaryError)


def recover_interrupted(
    store: Store, account: Account, connector: Connector, now: datetime
) -> None:
    """Settle rows left in `sending` by a crash: sent if the channel has them, else retry or hold."""
    rows = store.conn.execute(
        "SELECT id, ticket_id, account, idempotency_key, payload, created_at FROM outbox"
        " WHERE account = ? AND status = 'sending' ORDER BY id",
        (account.name,),
    ).fetchall()
    for row in rows:
        item = _outbound(row, account.channel)
        try:
            external_id = connector.confirm_sent(item)
        except TemporaryError:
            raise
        except ConnectorError as exc:
            _mark_failed(store, item, PermanentError(f"uncertain after a crash: {exc}"), 0, now)
            continue
        if external_id:
            _mark_sent(store, item, external_id, now)
        else:
            with store.tx() as conn:
                conn.execute("UPDATE outbox SET status = 'queued' WHERE id = ?", (item.outbox_id,))


def push_outbox(
    store: Store, account: Account, connector: Connector, now: datetime, report: AccountReport
) -> None:
    recover_interrupted(store, account, connector, now)
    rows = store.conn.execute(
        "SELECT id, ticket_id, account, idempotency_key, payload, created_at, attempts FROM outbox"
        " WHERE account = ? AND status = 'queued' AND next_attempt_at <= ? ORDER BY id",
        (account.name, to_iso(now)),
    ).fetchall()
    for row in rows:
        item = _outbound(row[:6], account.channel)
        attempts = row[6] + 1
        with store.tx() as conn:
            claimed = conn.execute(
                "UPDATE outbox SET status = 'sending', attempts = ? WHERE id = ? AND status = 'queued'",
                (attempts, item.outbox_id),
            ).rowcount
        if not claimed:
            continue  # undone, or taken by another process in the meantime
        try:
            external_id = connector.send(item)
        except ConnectorError as exc:
            if _mark_failed(store, item, exc, attempts, now):
                report.failed += 1
            if isinstance(exc, TemporaryError):
                raise
            continue
        _mark_sent(store, item, external_id, now)
        report.sent += 1


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
) -> AccountReport:
    """Pull then push one account; errors end up in the report and sync_status, never raised."""
    now = now or utcnow()
    report = AccountReport(account.name)
    try:
        connector = connector or connector_for(account, clock=lambda: now)
        settler = clocks.Settler(store, now)
        with store.bulk_writes():
            try:
                for batch in connector.pull(ingest.load_cursors(store, account.name)):
                    result = ingest.ingest_batch(
                        store, account.name, batch, now=now, defer_sla=True
                    )
                    report.pulled += result.added
                    report.duplicates += result.duplicates
                    settler.step()
            finally:
                settler.finish()
        if push and connector.can_send:
            push_outbox(store, account, connector, now, report)
        if push:
            push_mailbox_changes(store, account, connector, now)
    except TemporaryError as exc:
        report.state, report.error = "offline", str(exc)
    except ConnectorError as exc:
        report.state, report.error = "error", str(exc)
    except Exception as exc:  # a connector bug must not take the other accounts down
        log.exception("sync of %s failed", account.name)
        report.state, report.error = "error", f"{type(exc).__name__}: {exc}"
    _set_status(store, report, now)
    return report


def enabled_accounts(store: Store) -> list[Account]:
    cur = store.conn.execute("SELECT * FROM accounts WHERE enabled = 1 ORDER BY name")
    names = [d[0] for d in cur.description]
    return [Account.from_row(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


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
    ) -> None:
        self.db_path = db_path
        self.interval = interval
        self.on_report = on_report or (lambda report: None)
        self.now = now
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        store = open_store(self.db_path)
        try:
            accounts = enabled_accounts(store)
        finally:
            store.close()
        self._spawn(self._clock_loop, "sla-clock")
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
                self.stop_event.wait(CLOCK_TICK)
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
                    _set_status(store, report, self.now())
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
