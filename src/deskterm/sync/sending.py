"""Pushing the outbox: every reply leaves once, even with several processes on one database.

Each outbox row follows a small state machine: queued -> sending -> sent, with failures going
back to queued (temporary, with backoff) or to failed (refused, or its fate unknown: a person
decides). A pass claims a queued reply under a lease (store.outbox) that it renews while it
sends, and records the moment the channel may have the reply (`handing`) and the moment the
channel accepted it. Another pass takes a reply in `sending` over only once its lease has ended
or its holder is gone; then a reply the channel never got is queued again, and one it may have
got is looked up on the channel (connector.confirm_sent) and never sent again on a guess.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from deskterm import actions
from deskterm.connector import (
    Account,
    Connector,
    ConnectorError,
    DeliveryUnknown,
    LeaseLost,
    TemporaryError,
)
from deskterm.domain import Attachment, Identity, Outbound, from_iso, to_iso
from deskterm.sla import clocks
from deskterm.store import Store, open_store
from deskterm.store import outbox as rows

log = logging.getLogger(__name__)

# Asked just before a reply is handed to its channel: may it still go from here?
Gate = Callable[[Outbound], bool]

MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(seconds=30)


class Tally(Protocol):
    """Where a pass counts what it did (the engine's AccountReport)."""

    sent: int
    failed: int


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before the next try: doubling from 30 s, at most 1 h, never below Retry-After."""
    delay = min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def outbound(row: tuple, channel: str) -> Outbound:
    """The Outbound a connector gets for an outbox row (id, ticket, account, key, payload,
    queued at)."""
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
        automatic=bool(data.get("automatic")),
        cc=tuple(data.get("cc") or ()),
    )


def record_sent(store: Store, item: Outbound, external_id: str, now: datetime) -> None:
    with store.tx() as conn:
        if rows.record_sent(conn, item.outbox_id, external_id, to_iso(now)):
            actions.write_event(
                conn,
                item.ticket_id,
                "delivered",
                f"sync:{item.account}",
                now,
                {"outbox": item.outbox_id, "external_id": external_id},
            )
            clocks.refresh(conn, [item.ticket_id], now)  # a reply refused before counts now


def hold(store: Store, item: Outbound, owner: str, error: str, now: datetime) -> bool:
    """Give up on a reply until a person acts: refused, or nobody can tell whether it left."""
    with store.tx() as conn:
        if not rows.record_failed(conn, item.outbox_id, owner, error):
            return False
        actions.write_event(
            conn,
            item.ticket_id,
            "delivery_failed",
            f"sync:{item.account}",
            now,
            {"outbox": item.outbox_id, "error": error},
        )
        clocks.refresh(conn, [item.ticket_id], now)  # a refused reply answers nobody
    return True


@dataclass(slots=True)
class _Handover:
    """What the connector reports while it sends one reply, written at once."""

    store: Store
    item: Outbound
    owner: str
    now: datetime
    gate: Gate | None = None
    sent: list[str] = field(default_factory=list)

    def handing(self) -> None:
        if self.gate is not None and not self.gate(self.item):
            raise LeaseLost(f"reply {self.item.outbox_id} may no longer be sent from here")
        with self.store.tx() as conn:
            if not rows.handing(conn, self.item.outbox_id, self.owner):
                raise LeaseLost(f"reply {self.item.outbox_id} was taken over by another pass")

    def accepted(self, external_id: str) -> None:
        record_sent(self.store, self.item, external_id, self.now)
        self.sent.append(external_id)


def _renew_until(store: Store, owner: str, stop: threading.Event) -> None:
    """Renew `owner`'s leases every RENEW_SECONDS until `stop`, on a connection of its own."""
    own: Store | None = None
    try:
        while not stop.wait(rows.RENEW_SECONDS):
            try:
                own = own or (open_store(store.path) if store.path else store)
                with own.tx() as conn:
                    rows.renew(conn, owner)
            except sqlite3.Error as exc:  # busy for long: try again at the next renewal
                log.warning("could not renew the outbox lease of %s: %s", owner, exc)
    finally:
        if own is not None and own is not store:
            own.close()


@contextmanager
def _lease_kept(store: Store) -> Iterator[str]:
    """A new lease owner for one pass, renewed in the background while the block runs."""
    owner = rows.new_owner()
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew_until, args=(store, owner, stop), name="outbox-lease", daemon=True
    )
    with rows.holding(owner):
        renewer.start()
        try:
            yield owner
        finally:
            stop.set()
            renewer.join()


def recover_interrupted(
    store: Store, account: Account, connector: Connector, now: datetime, owner: str
) -> None:
    """Settle replies whose lease ended mid-send: queue again what the channel never got, look
    up on the channel what it may have got."""
    for stale in rows.stale(store.conn, account.name):
        with store.tx() as conn:
            if not rows.take_over(conn, stale, owner):
                continue  # its holder renewed it, or another pass got there first
        item = outbound(stale.row, account.channel)
        if stale.stage == rows.CLAIMED:
            with store.tx() as conn:
                rows.requeue(conn, item.outbox_id, owner, None, None)
            continue
        try:
            external_id = connector.confirm_sent(item)
        except TemporaryError:
            raise
        except ConnectorError as exc:
            hold(store, item, owner, f"uncertain after an interrupted send: {exc}", now)
            continue
        if external_id:
            record_sent(store, item, external_id, now)
        else:
            with store.tx() as conn:
                rows.requeue(conn, item.outbox_id, owner, None, None)


def _send_one(
    store: Store,
    connector: Connector,
    item: Outbound,
    owner: str,
    now: datetime,
    attempts: int,
    gate: Gate | None,
) -> str:
    """Send one claimed reply: 'sent', 'failed', 'retry' or 'lost' (another pass has it)."""
    handover = _Handover(store, item, owner, now, gate)
    try:
        if not connector.reports_handover:
            handover.handing()
        external_id = connector.send(item, handover)
    except LeaseLost:
        return "lost"
    except ConnectorError as exc:
        if handover.sent:  # accepted; what failed after it (filing a copy) changes nothing
            log.warning("reply %s was sent; afterwards: %s", item.outbox_id, exc)
            return "sent"
        if isinstance(exc, DeliveryUnknown):
            return "failed" if hold(store, item, owner, f"uncertain: {exc}", now) else "lost"
        if not isinstance(exc, TemporaryError):
            return "failed" if hold(store, item, owner, str(exc), now) else "lost"
        retry_at = to_iso(now + backoff(attempts, exc.retry_after))
        with store.tx() as conn:
            rows.requeue(conn, item.outbox_id, owner, str(exc), retry_at)
        raise
    if not handover.sent:
        record_sent(store, item, external_id, now)
    return "sent"


def push_outbox(
    store: Store,
    account: Account,
    connector: Connector,
    now: datetime,
    report: Tally,
    gate: Gate | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Send the account's due replies under one lease owner; a TemporaryError stops the pass,
    and so does `stop`, between two replies. `gate`, when given, is asked just before each
    reply is handed to the channel whether it may still go from here (the team's fencing); a
    reply it refuses is not sent."""
    with _lease_kept(store) as owner:
        recover_interrupted(store, account, connector, now, owner)
        for row in rows.due(store.conn, account.name, to_iso(now)):
            if stop is not None and stop.is_set():
                return
            item = outbound(row[:6], account.channel)
            attempts = row[6] + 1
            with store.tx() as conn:
                if not rows.claim(conn, item.outbox_id, owner, attempts):
                    continue  # undone, or taken by another process in the meantime
            result = _send_one(store, connector, item, owner, now, attempts, gate)
            report.sent += result == "sent"
            report.failed += result == "failed"
