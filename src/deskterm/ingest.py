"""Turns connector batches into tickets and messages: dedupe, customer identity, threading, reopen.

A batch and its cursor commit in one transaction; re-ingesting a batch changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import chain

from deskterm import actions, automation
from deskterm.domain import (
    Batch,
    CustomerProfile,
    Direction,
    Identity,
    InboundMessage,
    OrderSnapshot,
    Status,
    to_iso,
    utcnow,
)
from deskterm.metrics import surveys
from deskterm.sla import clocks
from deskterm.store import Store, arrivals, index_messages, sync_state
from deskterm.store import metrics as store_metrics
from deskterm.store import orders as store_orders
from deskterm.store import triage as store_triage
from deskterm.triage import reader as triage
from deskterm.triage import teach
from deskterm.triage.learning import Learned

TICKET_TOKEN = re.compile(r"\[#(\d+)\]")
# A batch this large in a bulk path (an import, an account's first sync) is stored without
# triage and read after it (deskterm.triage.backfill), on the import's worker processes.
BULK = 200

Reader = Callable[[InboundMessage], triage.Triage | None]


@dataclass(slots=True)
class IngestResult:
    added: int = 0
    duplicates: int = 0
    new_tickets: int = 0
    reopened: int = 0
    ratings: int = 0
    # Messages stored as history: older than the import's --since, on a ticket that is solved.
    history: int = 0

    def __iadd__(self, other: IngestResult) -> IngestResult:
        self.added += other.added
        self.duplicates += other.duplicates
        self.new_tickets += other.new_tickets
        self.reopened += other.reopened
        self.ratings += other.ratings
        self.history += other.history
        return self


def normalise_identity(identity: Identity) -> Identity:
    value = identity.value.strip()
    if identity.kind == "email":
        value = value.lower()
    elif identity.kind == "phone":
        # "+1 (555) 010-2000" and "+15550102000" are one number.
        digits = "".join(c for c in value if c.isdigit())
        value = ("+" if value.startswith("+") else "") + digits
    return Identity(identity.kind, value)


def _customer_for(conn: sqlite3.Connection, identities: list[Identity], name: str, at: str) -> int:
    """The customer who owns any of `identities`, created when none does; links the rest to it."""
    found = None
    for identity in identities:
        found = arrivals.customer_of(conn, identity)
        if found:
            break
    if found is None:
        customer_id = arrivals.insert_customer(conn, name, at)
    else:
        customer_id, known_name = found
        if name and not known_name:
            arrivals.name_customer(conn, customer_id, name)
    if found is None or len(identities) > 1:
        arrivals.link_identities(conn, customer_id, identities)
    return customer_id


Thread = tuple[int, str]
"""A ticket id and its status."""


def _live(conn: sqlite3.Connection, row: arrivals.ThreadRow | None) -> Thread | None:
    """Follow merges from (id, merged_into, status) to the ticket that now holds the conversation."""
    seen: set[int] = set()
    while row is not None and row[1] is not None and row[0] not in seen:
        seen.add(row[0])
        row = arrivals.thread_of_ticket(conn, row[1])
    return (row[0], row[2]) if row else None


def find_thread(conn: sqlite3.Connection, msg: InboundMessage, customer_id: int) -> Thread | None:
    """The ticket this message continues, with its status, or None for a new conversation.

    In order: the channel's own conversation id; In-Reply-To / References against stored
    Message-IDs; a ticket token in the subject, but only when the sender is that ticket's customer,
    so a stranger quoting a token cannot slip mail into someone else's ticket.
    """
    if msg.conversation_id:
        row = arrivals.thread_of_conversation(conn, msg.account, msg.conversation_id)
        if row:
            return _live(conn, row)
    for ref in [msg.in_reply_to, *reversed(msg.references)]:
        if not ref:
            continue
        row = arrivals.thread_of_message_id(conn, ref)
        if row:
            return _live(conn, row)
    for token in TICKET_TOKEN.findall(msg.subject):
        row = arrivals.thread_of_customer(conn, int(token), customer_id)
        if row:
            return _live(conn, row)
    return None


def _identities_of(identities: Iterable[Identity]) -> list[Identity]:
    """Normalised, without blanks or repeats, in their order."""
    seen: dict[Identity, None] = {}
    for identity in identities:
        normal = normalise_identity(identity)
        if normal.value:
            seen.setdefault(normal)
    return list(seen)


def upsert_orders(conn: sqlite3.Connection, orders: Iterable[OrderSnapshot], at: str) -> None:
    """Store orders, each linked to the customer who owns any identity it names (or a new one)."""
    saved: list[tuple[int, str, int]] = []
    for order in orders:
        identities = _identities_of((order.customer, *order.identities))
        customer_id = (
            _customer_for(conn, identities, order.customer_name, at) if identities else None
        )
        order_row = store_orders.save_order(conn, order, identities, customer_id, at)
        if customer_id is not None:
            saved.append((order_row, order.number, customer_id))
    # An order a ticket's subject names wins over one only its text mentions.
    for column in ("subject", "text"):
        for order_row, number, customer_id in saved:
            _link_waiting_tickets(conn, order_row, number, customer_id, column)


def _link_waiting_tickets(
    conn: sqlite3.Connection, order_row: int, number: str, customer_id: int, column: str
) -> None:
    """The customer's tickets whose messages named the order in `column` before it was stored
    now link to it (relay mail about an Amazon order often arrives before the order sync)."""
    waiting = arrivals.tickets_without_order(conn, customer_id)
    if waiting:
        arrivals.link_tickets_naming(conn, order_row, number, column, waiting)


def upsert_profiles(conn: sqlite3.Connection, profiles: Iterable[CustomerProfile], at: str) -> None:
    """Store what an account knows of its customers, linking all their identities to one customer."""
    for profile in profiles:
        identities = _identities_of(profile.identities)
        customer_id = _customer_for(conn, identities, profile.name, at) if identities else None
        store_orders.save_profile(conn, profile, customer_id, at)


def content_hash(msg: InboundMessage) -> str:
    """What makes two mails the same mail whichever way they came: sender, subject, text, files."""
    files = sorted(a.sha256 or f"{a.filename}:{a.size}" for a in msg.attachments)
    key = json.dumps([msg.sender.value, msg.subject, msg.text, msg.html or "", files])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _unseen(conn: sqlite3.Connection, msg: InboundMessage, digest: str) -> InboundMessage | None:
    """`msg` as it is to be stored, or None when the store has it already.

    The channel's external id decides, and for mail the Message-ID too (the same mail in two
    folders, our own reply coming back), but only with the same content: a different mail that
    reuses a Message-ID is kept, under an external id of its own.
    """
    stored = arrivals.content_hashes(conn, msg.account, msg.external_id, msg.message_id)
    if not stored:
        return msg
    if msg.message_id is None or any(found is None or found == digest for found in stored):
        return None
    return replace(msg, external_id=f"{msg.external_id}#{digest[:16]}")


def _link_order(
    conn: sqlite3.Connection, ticket_id: int, customer_id: int, msg: InboundMessage
) -> None:
    """Link the ticket to the order the message names, else to the customer's order of the
    listing the conversation is about; a ticket keeps the first order it was linked to."""
    by_number = (arrivals.order_of_number(conn, number) for number in msg.order_numbers)
    by_listing = (
        arrivals.order_of_listing(conn, customer_id, listing) for listing in msg.listing_refs
    )
    order_id = next((found for found in chain(by_number, by_listing) if found is not None), None)
    if order_id is not None:
        arrivals.link_order(conn, ticket_id, order_id)


def _ingest_one(
    store: Store,
    conn: sqlite3.Connection,
    msg: InboundMessage,
    now: datetime,
    at: str,
    read_one: Reader,
    history_before: datetime | None = None,
) -> tuple[int | None, int | None, IngestResult]:
    """Store one message; returns its ticket and message rows (None for a duplicate). A message
    sent before `history_before` is history: it opens a ticket solved and reopens nothing.
    `read_one` is triage of the message (or None)."""
    result = IngestResult()
    digest = content_hash(msg)
    unseen = _unseen(conn, msg, digest)
    if unseen is None:
        result.duplicates = 1
        return None, None, result
    msg = unseen
    actor = f"sync:{msg.account}"
    sent_at = to_iso(msg.sent_at)
    identities = [normalise_identity(i) for i in (msg.sender, *msg.extra_identities)]
    customer_id = _customer_for(conn, identities, msg.sender_name, at)
    read = read_one(msg)
    thread = find_thread(conn, msg, customer_id)
    answer = survey_answer(conn, thread, msg)
    ticket_id, status = _continued(thread, answer)
    history = history_before is not None and msg.sent_at < history_before
    kind = "created" if ticket_id is None else "message_in"
    if ticket_id is None:
        status = Status.SOLVED if history else Status.NEW
        ticket_id = _insert_ticket(conn, customer_id, msg, (sent_at, at), read, status)
        result.new_tickets = 1
    result.history = int(history and status in (Status.SOLVED, Status.CLOSED))
    message_row = _insert_message(conn, ticket_id, msg, (digest, sent_at, at), read)
    result.added = 1
    if kind == "message_in":
        arrivals.message_arrived(conn, ticket_id, sent_at, at)
        if read:
            store_triage.roll_up(conn, ticket_id, message_row, *read.ticket_columns)
    _link_order(conn, ticket_id, customer_id, msg)
    _write_arrival(conn, (ticket_id, message_row), kind, msg, now, solved=status == Status.SOLVED)
    if answer is not None:
        # A rating answers our survey: it reopens nothing and starts no SLA clock.
        survey, score, comment = answer.survey, answer.score, answer.comment
        actions.record_rating(
            conn, ticket_id, survey, score, comment, message_row, actor=actor, at=now
        )
        result.ratings = 1
        return ticket_id, message_row, result
    customer_wrote = msg.direction == Direction.IN and not msg.automatic and not history
    if customer_wrote and status in (Status.SOLVED, Status.PENDING, Status.ON_HOLD):
        # A solved ticket reopens; a pending or on-hold one was waiting for this answer.
        actions.set_status(store, ticket_id, Status.OPEN, actor=actor, at=now)
        result.reopened = int(status == Status.SOLVED)
    return ticket_id, message_row, result


def _write_arrival(
    conn: sqlite3.Connection,
    rows: tuple[int, int],
    kind: str,
    msg: InboundMessage,
    now: datetime,
    *,
    solved: bool,
) -> None:
    """The `kind` event (created, message_in) for the message row on its ticket (`rows`); a
    ticket created `solved` (history) is solved from the moment it was written, so no SLA clock
    ever counted on it."""
    ticket_id, message_row = rows
    actor = f"sync:{msg.account}"
    event = {
        "message": message_row,
        "automatic": msg.automatic,
        "direction": Direction(msg.direction).value,
        "account": msg.account,
        "channel": msg.channel,
    }
    actions.write_event(conn, ticket_id, kind, actor, now, event)
    if kind == "created" and solved:
        done = {"before": Status.NEW.value, "after": Status.SOLVED.value, "history": True}
        actions.write_event(conn, ticket_id, "status", actor, msg.sent_at, done)


def _read(msg: InboundMessage, *, learned: Learned | None) -> triage.Triage | None:
    """Offline triage of what a customer wrote (not of our mail or automatic mail), stored with
    the message so that rules in this batch read it."""
    if msg.direction != Direction.IN or msg.automatic:
        return None
    return triage.classify(msg.subject, msg.text, learned)


def _reader(store: Store, batch: Batch, bulk: bool) -> Reader:
    """How the batch's messages are read: with triage and what tagged tickets taught it, or
    not at all (a bulk batch, read afterwards)."""
    if (bulk and len(batch.messages) >= BULK) or not batch.messages:
        return _not_read
    return partial(_read, learned=teach.model(store))


def _not_read(_msg: InboundMessage) -> None:
    return None


def _continued(
    thread: Thread | None, answer: surveys.Answer | None
) -> tuple[int | None, str | None]:
    """The ticket (and its status) a message continues: its thread's, unless that is closed; a
    rating may still answer a closed ticket's survey. (None, None) starts a new ticket."""
    if thread is not None and (thread[1] != Status.CLOSED or answer is not None):
        return thread
    return None, None


def survey_answer(
    conn: sqlite3.Connection, thread: Thread | None, msg: InboundMessage
) -> surveys.Answer | None:
    """The survey rating `msg` gives on its thread's ticket, if it is one (metrics.surveys)."""
    if thread is None or msg.direction != Direction.IN or msg.automatic:
        return None
    asked = store_metrics.survey_questions(conn, thread[0], tuple(surveys.QUESTIONS.values()))
    if not asked:
        return None
    ever = {survey for text, _ in asked for survey in surveys.asked(text)}
    last = next((surveys.asked(text) for text, latest in asked if latest), ())
    return surveys.read_answer(msg.subject, msg.text, ever, last)


def _insert_ticket(
    conn: sqlite3.Connection,
    customer_id: int,
    msg: InboundMessage,
    moments: tuple[str, str],
    read: triage.Triage | None,
    status: Status = Status.NEW,
) -> int:
    """A new ticket for the conversation `msg` starts; `moments` is (sent, stored)."""
    columns = read.ticket_columns if read else (None, None, None)
    return arrivals.insert_ticket(conn, customer_id, msg, status.value, moments, columns)


def _insert_message(
    conn: sqlite3.Connection,
    ticket_id: int,
    msg: InboundMessage,
    stamps: tuple[str, str, str],
    read: triage.Triage | None,
) -> int:
    """The message's row with its triage; `stamps` is (content hash, sent, stored)."""
    # An outgoing message names its author apart from the customer it went to.
    author = (
        (msg.author_name, msg.author_addr)
        if msg.author_addr
        else (msg.sender_name, msg.sender.value)
    )
    columns = read.message_columns if read else (None, None, None, None)
    return arrivals.insert_message(conn, ticket_id, msg, author, stamps, columns)


def ingest_batch(
    store: Store,
    account: str,
    batch: Batch,
    *,
    now: datetime | None = None,
    defer_sla: bool = False,
    rules: automation.RuleSet | None = None,
    history_before: datetime | None = None,
    bulk: bool = False,
) -> IngestResult:
    """Store one batch of `account` and, with it, the connector's new cursor: all or nothing.

    Event rules (`rules`, default: the user's rules folder) run inside the same transaction on
    each new ticket (ticket_created) and each customer message on a known one (customer_message).

    With `defer_sla` the touched tickets' SLA columns are only marked unsettled; the caller runs
    clocks.settle() once after its last batch, which costs far less than a pass per batch.

    Messages sent before `history_before` (an import's --since) are history: stored, indexed and
    linked to their customer, but a conversation they start is solved, no rule sees them and no
    SLA clock is evaluated for them. A `bulk` batch of BULK messages or more is stored unread:
    the caller reads it (triage.backfill).
    """
    now = now or utcnow()
    total = IngestResult()
    at = to_iso(now)
    with store.tx() as conn:
        upsert_profiles(conn, batch.customers, at)
        upsert_orders(conn, batch.orders, at)
        read_one = _reader(store, batch, bulk)
        touched: list[int] = []
        added: list[int] = []
        events: dict[str, list[int]] = {"ticket_created": [], "customer_message": []}
        for msg in batch.messages:
            ticket_id, message_row, result = _ingest_one(
                store, conn, msg, now, at, read_one, history_before
            )
            total += result
            if ticket_id is not None and message_row is not None:
                added.append(message_row)
                if result.history:
                    continue
                touched.append(ticket_id)
                if result.new_tickets:
                    events["ticket_created"].append(ticket_id)
                elif msg.direction == Direction.IN and not result.ratings:
                    events["customer_message"].append(ticket_id)
        index_messages(conn, added)
        with actions.clocks_deferred() as acted_on:
            _run_rules(store, rules, events, now)
        touched.extend(acted_on.difference(touched))
        if defer_sla:
            clocks.mark_unsettled(conn, touched)
        else:
            clocks.refresh(conn, touched, now)
        if batch.cursor:
            sync_state.save_cursor(conn, account, batch.folder, batch.cursor, now)
    return total


def _run_rules(
    store: Store, rules: automation.RuleSet | None, events: dict[str, list[int]], now: datetime
) -> None:
    rules = rules if rules is not None else automation.active_rules()
    if not len(rules):
        return
    engine = automation.Engine(store, rules)
    for event, ticket_ids in events.items():
        engine.on_event(event, ticket_ids, now)
