"""Read queries: queue pages, counts, a ticket with its thread, search, sync status.

Nothing here writes; writes go through deskterm.actions and deskterm.ingest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum

from deskterm.domain import (
    Account,
    AccountSync,
    Attachment,
    Customer,
    Event,
    Identity,
    Message,
    NewMail,
    OutboxItem,
    SlaCrossing,
    Ticket,
    TicketLine,
    from_iso,
    to_iso,
)
from deskterm.store import Store, held_replies
from deskterm.store import accounts as store_accounts
from deskterm.store import team as team_rows
from deskterm.store.filters import Filter


class Sort(StrEnum):
    DEADLINE = "deadline"
    CREATED = "created"
    UPDATED = "updated"
    PRIORITY = "priority"


# Each sort is a tuple of SQL expressions (the last one always t.id, so keys are unique) and the
# direction; keyset paging compares the same tuple.
SORTS: dict[Sort, tuple[tuple[str, ...], str]] = {
    Sort.DEADLINE: (("COALESCE(t.next_deadline, '9999')", "t.created_at", "t.id"), "ASC"),
    Sort.CREATED: (("t.created_at", "t.id"), "ASC"),
    Sort.UPDATED: (("t.last_message_at", "t.id"), "DESC"),
    Sort.PRIORITY: (
        (
            "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END",
            "COALESCE(t.next_deadline, '9999')",
            "t.id",
        ),
        "ASC",
    ),
}

QUEUE_COLUMNS = """
    t.id, t.subject, t.status, t.priority, t.channel, t.account, t.assignee, t.escalation,
    t.next_deadline, t.sla_state, t.snoozed_until, t.created_at, t.last_message_at,
    c.name AS customer_name,
    (SELECT value FROM identities i WHERE i.customer_id = t.customer_id ORDER BY i.id LIMIT 1)
        AS customer_handle,
    (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM ticket_tags g WHERE g.ticket_id = t.id
        ORDER BY tag)) AS tags,
    (SELECT CASE WHEN COUNT(*) = 0 THEN NULL
        WHEN MIN(COALESCE(o.last_error, '') LIKE 'held: %') THEN 'held' ELSE 'failed' END
        FROM outbox o WHERE o.status = 'failed' AND o.ticket_id = t.id) AS unsent,
    t.intent, t.mood
"""


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    subject: str
    status: str
    priority: str
    channel: str
    account: str
    assignee: str | None
    escalation: int
    next_deadline: str | None
    sla_state: str
    snoozed_until: str | None
    created_at: str
    last_message_at: str
    customer_name: str
    customer_handle: str | None
    tags: str | None
    # A reply of this ticket waits for a person: 'failed' (refused) or 'held' (the team server
    # held it, Traffic Cop: deskterm.store.team.HELD); None when none does.
    unsent: str | None
    intent: str | None  # what offline triage read (deskterm.triage); None: not read yet
    mood: str | None
    key: tuple = field(kw_only=True)

    @property
    def customer(self) -> str:
        return self.customer_name or self.customer_handle or ""

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split() if self.tags else []


def queue_page(
    store: Store,
    flt: Filter,
    now: datetime,
    *,
    sort: Sort = Sort.DEADLINE,
    limit: int = 100,
    after: tuple | None = None,
    offset: int = 0,
) -> list[QueueRow]:
    """One page of the queue: rows after the keyset `after` (or from `offset`), in sort order."""
    sql, params = queue_sql(flt, now, sort, after)
    rows = store.conn.execute(sql, [*params, limit, offset]).fetchall()
    return _rows(rows, sort)


def queue_page_before(
    store: Store,
    flt: Filter,
    now: datetime,
    *,
    sort: Sort = Sort.DEADLINE,
    limit: int = 100,
    before: tuple | None = None,
) -> list[QueueRow]:
    """The `limit` rows just before the keyset `before` (the queue's tail when None), in order.

    Reading backwards through the index makes the end of a long queue as cheap as its start.
    """
    sql, params = queue_sql(flt, now, sort, before, backwards=True)
    rows = store.conn.execute(sql, [*params, limit, 0]).fetchall()
    return _rows(reversed(rows), sort)


def queue_rows(
    store: Store, flt: Filter, now: datetime, *, sort: Sort = Sort.DEADLINE, limit: int = -1
) -> Iterator[QueueRow]:
    """The queue's first `limit` rows (all with -1) in sort order, read as the caller goes.

    One statement for the whole list: paging by keyset would evaluate a text term's full-text
    match once per page.
    """
    sql, params = queue_sql(flt, now, sort, None)
    cursor = store.conn.execute(sql, [*params, limit, 0])
    while rows := cursor.fetchmany(500):
        yield from _rows(rows, sort)


def _rows(rows: Iterable[tuple], sort: Sort) -> list[QueueRow]:
    width = len(SORTS[sort][0])
    return [QueueRow(*row[:-width], key=tuple(row[-width:])) for row in rows]


def queue_sql(
    flt: Filter, now: datetime, sort: Sort, keyset: tuple | None, *, backwards: bool = False
) -> tuple[str, list]:
    """The queue's SELECT (its LIMIT and OFFSET are the last two parameters), rows after the
    `keyset` in sort order, or before it walking backwards.

    The tickets are chosen and ordered first, by their ids and sort keys only; the columns
    (customer, first handle, tags) are read for the chosen rows alone, so a filter that leaves
    11,000 tickets to sort does not look up 11,000 customers' tags for a page of 100.
    """
    where, params = flt.where(now)
    exprs, direction = SORTS[sort]
    if backwards:
        direction = "DESC" if direction == "ASC" else "ASC"
    if keyset is not None:
        op = ">" if direction == "ASC" else "<"
        where += f" AND ({', '.join(exprs)}) {op} ({', '.join('?' * len(exprs))})"
        params = [*params, *keyset]
    keys = ", ".join(f"{e} AS k{i}" for i, e in enumerate(exprs))
    inner = ", ".join(f"{e} {direction}" for e in exprs)
    outer = ", ".join(f"p.k{i} {direction}" for i in range(len(exprs)))
    picked = ", ".join(f"p.k{i}" for i in range(len(exprs)))
    sql = (
        f"SELECT {QUEUE_COLUMNS}, {picked} FROM"
        f" (SELECT t.id AS row_id, {keys} FROM tickets t WHERE {where}"
        f" ORDER BY {inner} LIMIT ? OFFSET ?) p"
        " JOIN tickets t ON t.id = p.row_id JOIN customers c ON c.id = t.customer_id"
        f" ORDER BY {outer}"
    )
    return sql, params


def queue_count(store: Store, flt: Filter, now: datetime) -> int:
    where, params = flt.where(now, paged=False)
    return store.conn.execute(f"SELECT COUNT(*) FROM tickets t WHERE {where}", params).fetchone()[0]


def matching_ids(store: Store, flt: Filter, now: datetime) -> list[int]:
    """The ids of every ticket `flt` finds, in id order (what a bulk change works through)."""
    where, params = flt.where(now, paged=False)
    return [
        r[0]
        for r in store.conn.execute(
            f"SELECT t.id FROM tickets t WHERE {where} ORDER BY t.id", params
        )
    ]


# A TicketLine's columns, in its order.
_LINE_COLUMNS = "id, subject, status, channel, created_at"


def ticket_exists(store: Store, ticket_id: int) -> bool:
    found = store.conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return found is not None


def has_tickets(store: Store) -> bool:
    """Whether the workspace holds any ticket."""
    return store.conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone() is not None


# A Ticket's fields read in one row: the tickets columns, then its customer's name.
_TICKET_FIELDS = [f.name for f in fields(Ticket)][:-2]
_TICKET_COLUMNS = ", ".join(f"t.{name}" for name in _TICKET_FIELDS[:-1])


def ticket(store: Store, ticket_id: int) -> Ticket | None:
    """A ticket with its customer, identities, tags and linked order; None when it does not exist."""
    row = store.conn.execute(
        f"SELECT {_TICKET_COLUMNS}, c.name FROM tickets t JOIN customers c ON c.id = t.customer_id"
        " WHERE t.id = ?",
        (ticket_id,),
    ).fetchone()
    if row is None:
        return None
    tags = store.conn.execute(
        "SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag", (ticket_id,)
    )
    return Ticket(
        **dict(zip(_TICKET_FIELDS, row, strict=True)),
        tags=tuple(tag for (tag,) in tags),
        identities=_identities(store, row[1]),
    )


def customer(store: Store, customer_id: int) -> Customer | None:
    """A customer with every identity; None when there is no such customer."""
    row = store.conn.execute("SELECT name FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        return None
    return Customer(customer_id, row[0], _identities(store, customer_id))


def _identities(store: Store, customer_id: int) -> tuple[Identity, ...]:
    rows = store.conn.execute(
        "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY id", (customer_id,)
    )
    return tuple(Identity(kind, value) for kind, value in rows)


def messages(store: Store, ticket_id: int) -> list[Message]:
    """The ticket's thread, oldest first, each reply with its delivery state."""
    rows = store.conn.execute(
        "SELECT m.id, m.direction, m.author_name, m.author_addr, m.subject, m.text, m.html,"
        " m.message_id, m.automatic, m.attachments, m.warnings, m.sent_at,"
        " o.id, o.status, o.last_error"
        " FROM messages m LEFT JOIN outbox o ON o.message_row = m.id WHERE m.ticket_id = ?"
        " ORDER BY m.sent_at, m.id",
        (ticket_id,),
    )
    found = [_message(*row) for row in rows]
    return [
        replace(m, delivery_error=_for_reader(store, ticket_id, m.outbox_id, m.delivery_error))
        if _held(m.delivery_error)
        else m
        for m in found
    ]


def _held(error: str | None) -> bool:
    return team_rows.held_reason(error) is not None


def _for_reader(
    store: Store, ticket_id: int, outbox_id: int | None, error: str | None
) -> str | None:
    """A reply's delivery error as this replica's agent reads it: a reply the team server held
    names its writer to the others (deskterm.store.held_replies.held_for)."""
    if outbox_id is None:
        return error
    return held_replies.held_error_for_reader(store.conn, ticket_id, outbox_id, error)


def _message(
    row_id: int,
    direction: str,
    author_name: str,
    author_addr: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str | None,
    automatic: int,
    attachments: str,
    warnings: str,
    sent_at: str,
    outbox_id: int | None,
    delivery: str | None,
    delivery_error: str | None,
) -> Message:
    """A Message from the row messages() reads, its JSON columns decoded."""
    return Message(
        row_id,
        direction,
        author_name,
        author_addr,
        subject,
        text,
        html,
        message_id,
        bool(automatic),
        tuple(_attachment(a) for a in json.loads(attachments)),
        tuple(json.loads(warnings)),
        sent_at,
        outbox_id,
        delivery,
        delivery_error,
    )


def _attachment(stored: dict) -> Attachment:
    """An attachment as a message's JSON column holds it (asdict of the Attachment)."""
    return Attachment(
        stored.get("filename", ""),
        stored.get("content_type", ""),
        int(stored.get("size", 0)),
        stored.get("sha256"),
        stored.get("path"),
    )


def events(store: Store, ticket_id: int) -> list[Event]:
    """The ticket's timeline, oldest first."""
    rows = store.conn.execute(
        "SELECT id, at, actor, kind, data, undone_by, author, overrode FROM events"
        " WHERE ticket_id = ? ORDER BY id",
        (ticket_id,),
    )
    return [
        Event(
            key,
            at,
            actor,
            kind,
            json.loads(data),
            undone,
            author,
            json.loads(over) if over else None,
        )
        for key, at, actor, kind, data, undone, author, over in rows
    ]


def customer_tickets(store: Store, customer_id: int) -> list[TicketLine]:
    """The customer's tickets (not merged away), newest first."""
    rows = store.conn.execute(
        f"SELECT {_LINE_COLUMNS} FROM tickets WHERE customer_id = ?"
        " AND merged_into IS NULL ORDER BY created_at DESC",
        (customer_id,),
    )
    return [TicketLine(*row) for row in rows]


def stage_counts(store: Store) -> dict[str, int]:
    """Tickets per status, for the workflow header."""
    return dict(
        store.conn.execute("SELECT status, COUNT(*) FROM tickets GROUP BY status").fetchall()
    )


def oldest_active(store: Store) -> TicketLine | None:
    """The longest-waiting new or open ticket, if any."""
    row = store.conn.execute(
        f"SELECT {_LINE_COLUMNS} FROM tickets WHERE status IN ('new', 'open')"
        " AND merged_into IS NULL ORDER BY created_at, id LIMIT 1",
    ).fetchone()
    return TicketLine(*row) if row else None


def sync_overview(store: Store) -> list[AccountSync]:
    """Each account with its sync state and how many replies wait in the outbox."""
    rows = store.conn.execute(
        "SELECT a.name, a.channel, a.connector, a.enabled, s.state, s.last_attempt_at,"
        " s.last_success_at, s.last_error,"
        " (SELECT COUNT(*) FROM outbox o WHERE o.account = a.name"
        "   AND o.status IN ('queued', 'sending', 'failed')) AS outbox_waiting"
        " FROM accounts a LEFT JOIN sync_status s ON s.account = a.name ORDER BY a.name",
    )
    return [
        AccountSync(name, channel, connector, bool(on), *rest)
        for name, channel, connector, on, *rest in rows
    ]


def accounts(store: Store) -> list[Account]:
    return store_accounts.accounts(store.conn)


def enabled_accounts(store: Store) -> list[Account]:
    return store_accounts.accounts(store.conn, enabled_only=True)


def outbox(store: Store, *, everything: bool = False) -> list[OutboxItem]:
    """Replies not sent yet (queued, sending, failed), or with `everything` the sent ones too."""
    where = "" if everything else " WHERE o.status IN ('queued', 'sending', 'failed')"
    rows = store.conn.execute(
        "SELECT o.id, o.ticket_id, o.account, o.status, o.attempts, o.last_error,"
        " o.next_attempt_at, o.created_at, o.sent_at, o.external_id,"
        " json_extract(o.payload, '$.to.value') AS recipient,"
        " json_extract(o.payload, '$.subject') AS subject"
        f" FROM outbox o{where} ORDER BY o.id"
    )
    found = [OutboxItem(*row) for row in rows]
    return [
        replace(i, last_error=_for_reader(store, i.ticket_id, i.id, i.last_error))
        if _held(i.last_error)
        else i
        for i in found
    ]


def failed_sends(store: Store, ticket_id: int) -> list[int]:
    """The outbox items of a ticket that gave up and wait for a person."""
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT id FROM outbox WHERE ticket_id = ? AND status = 'failed' ORDER BY id",
            (ticket_id,),
        )
    ]


def sla_crossings(store: Store, start: datetime, end: datetime) -> list[SlaCrossing]:
    """Active tickets whose SLA warning or deadline moment fell in (start, end], deadline first."""
    window = (to_iso(start), to_iso(end))
    rows = store.conn.execute(
        "SELECT id, subject, 'breached' AS crossed FROM tickets"
        " WHERE COALESCE(next_deadline, '9999') > ? AND COALESCE(next_deadline, '9999') <= ?"
        " AND status NOT IN ('solved', 'closed')"
        " UNION ALL SELECT id, subject, 'warning' FROM tickets"
        " WHERE warn_at > ? AND warn_at <= ? AND status NOT IN ('solved', 'closed')"
        " AND COALESCE(next_deadline, '9999') > ?",
        (*window, *window, window[1]),
    )
    return [SlaCrossing(*row) for row in rows]


def last_message_id(store: Store) -> int:
    """The id of the last message stored on this replica (0: none yet). Ids grow in the order
    messages arrive here, whenever they were written elsewhere."""
    return store.conn.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0]


def new_mail_for(store: Store, assignee: str, after: int, through: int) -> list[NewMail]:
    """Customer mail on `assignee`'s tickets that arrived on this replica after the message
    `after` and up to the message `through`, oldest first."""
    rows = store.conn.execute(
        "SELECT t.id, t.subject, m.author_name, m.author_addr FROM tickets t"
        " JOIN messages m ON m.ticket_id = t.id WHERE t.assignee = ? AND m.direction = 'in'"
        " AND m.automatic = 0 AND m.id > ? AND m.id <= ? ORDER BY m.id",
        (assignee, after, through),
    )
    return [NewMail(*row) for row in rows]


def next_sla_crossing(store: Store, after: datetime) -> datetime | None:
    """The first moment after `after` at which an active ticket enters warning or breach.

    The deadline half reads the queue index; the warning half scans, which is why callers ask
    only when the data changed or the moment has come, not every second.
    """
    moment = to_iso(after)
    row = store.conn.execute(
        "SELECT MIN(m) FROM ("
        " SELECT MIN(COALESCE(next_deadline, '9999')) AS m FROM tickets"
        " WHERE COALESCE(next_deadline, '9999') > ? AND status NOT IN ('solved', 'closed')"
        " UNION ALL SELECT MIN(warn_at) FROM tickets"
        " WHERE warn_at > ? AND status NOT IN ('solved', 'closed'))",
        (moment, moment),
    ).fetchone()
    return from_iso(row[0]) if row[0] and row[0] != "9999" else None


def event_ticket(store: Store, event_id: int) -> int:
    """The ticket an event belongs to."""
    return store.conn.execute("SELECT ticket_id FROM events WHERE id = ?", (event_id,)).fetchone()[
        0
    ]


def undone_event(store: Store, undo_event_id: int) -> tuple[int, str, dict]:
    """The ticket, kind and data of the event that the undo event `undo_event_id` reverted."""
    ticket_id, kind, data = store.conn.execute(
        "SELECT u.ticket_id, e.kind, e.data FROM events u"
        " JOIN events e ON e.id = json_extract(u.data, '$.event') WHERE u.id = ?",
        (undo_event_id,),
    ).fetchone()
    return ticket_id, kind, json.loads(data)
