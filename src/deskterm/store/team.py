"""The replica's side of team mode in SQL: its place in the shared log, global ids, and the rows a
pushed event carries along (deskterm.team turns them into what the server stores)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable

from deskterm.domain import canonical_json
from deskterm.store import index_messages, inserted_id, meta, numbers

# The meta key of the server a team replica follows (deskterm.team.replica keeps the others).
TEAM_URL = "team.url"
# The agent this replica writes as.
TEAM_AGENT = "team.agent"
# The lease owner of a reply taken over from a worker that is gone (ended at once: stale).
TAKEN_OVER = "team/taken-over"
# Kinds every replica works out for itself from the events and the clock: never pushed.
DERIVED_KINDS = ("sla_breach", numbers.RENUMBERED)

# What a message carries to another replica (everything but its local ids and file path).
MESSAGE_FIELDS = (
    "account",
    "external_id",
    "direction",
    "author_name",
    "author_addr",
    "subject",
    "text",
    "html",
    "message_id",
    "in_reply_to",
    "refs",
    "automatic",
    "attachments",
    "warnings",
    "sent_at",
    "created_at",
    "content_hash",
    "lang",
    "intent",
    "mood",
    "sentiment",
)
TICKET_FIELDS = (
    "account",
    "channel",
    "subject",
    "status",
    "priority",
    "escalation",
    "assignee",
    "snoozed_until",
    "conversation_id",
    "created_at",
    "updated_at",
    "last_message_at",
    "lang",
    "intent",
    "mood",
)


# How a reply the server held (Traffic Cop) reads in its outbox row's last_error.
HELD = "held: "
HELD_ADVICE = "; send it anyway (retry), or cancel it"


def held_error(reason: str) -> str:
    """The outbox error of a held reply: the server's reason and what the author may do."""
    return f"{HELD}{reason}{HELD_ADVICE}"


def held_reason(error: str | None) -> str | None:
    """The server's reason a reply was held, or None when `error` is no hold."""
    if not error or not error.startswith(HELD):
        return None
    return error[len(HELD) :].removesuffix(HELD_ADVICE)


# The meta key of who is online as this replica's workstation last heard it (deskterm.team.roster).
ONLINE = "team.online"


def online_roster(conn: sqlite3.Connection) -> tuple[list[str], str] | None:
    """(agents online, when that was heard) or None when nothing was."""
    value = meta_get(conn, ONLINE)
    if value is None:
        return None
    heard = json.loads(value)
    return heard["agents"], heard["at"]


def set_online_roster(conn: sqlite3.Connection, agents: list[str], at: str) -> None:
    meta_set(conn, ONLINE, json.dumps({"agents": agents, "at": at}))


# The replica's settings and place in the log are meta rows.
meta_get = meta.get
meta_set = meta.put


def unpushed(conn: sqlite3.Connection, after_id: int, limit: int) -> list[tuple]:
    """(id, ticket_id, at, actor, kind, data, uid) of events written here and not yet on the
    server, oldest first; derived kinds are left out."""
    return conn.execute(
        "SELECT id, ticket_id, at, actor, kind, data, uid FROM events"
        " WHERE id > ? AND seq IS NULL AND kind NOT IN (SELECT value FROM json_each(?))"
        " ORDER BY id LIMIT ?",
        (after_id, json.dumps(DERIVED_KINDS), limit),
    ).fetchall()


def set_uid(conn: sqlite3.Connection, event_id: int) -> str:
    uid = str(uuid.uuid4())
    conn.execute("UPDATE events SET uid = ? WHERE id = ?", (uid, event_id))
    return uid


def mark_pushed(conn: sqlite3.Connection, stamped: Iterable[tuple]) -> None:
    """Record (seq, author, overrode, uid, held) the server gave each pushed event; a reply the
    server held for its author (Traffic Cop) waits here as failed, with the reason, for the
    author to send anyway (retry), edit or drop (cancel)."""
    stamped = list(stamped)
    conn.executemany(
        "UPDATE events SET seq = ?, author = ?, overrode = ? WHERE uid = ?",
        [
            (seq, author, canonical_json(over) if over else None, uid)
            for seq, author, over, uid, _ in stamped
        ],
    )
    for *_, uid, held in stamped:
        if held:
            conn.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE status = 'queued'"
                " AND id = (SELECT json_extract(data, '$.outbox') FROM events"
                " WHERE uid = ? AND kind = 'reply')",
                (held_error(held), uid),
            )


def take_numbers(conn: sqlite3.Connection, numbered: Iterable[tuple[str, int | None]]) -> None:
    """Each ticket created here by a pushed event (uid) takes the number the server gave it."""
    for uid, number in numbered:
        created = conn.execute(
            "SELECT ticket_id FROM events WHERE uid = ? AND kind = 'created'", (uid,)
        ).fetchone()
        if created and number is not None:
            numbers.take(conn, created[0], number)


def drop_refused(conn: sqlite3.Connection, uids: list[str]) -> None:
    """Drop what the server refused to take from this replica: messages it had pulled a second
    time (another worker's pull of them reached the server first), each with its event, and the
    tickets such a message started, with everything on them."""
    for uid in uids:
        found = conn.execute(
            "SELECT id, ticket_id, kind, json_extract(data, '$.message') FROM events WHERE uid = ?",
            (uid,),
        ).fetchone()
        if found is None:
            continue  # on a ticket dropped already
        event_id, ticket_id, kind, message_id = found
        if kind == "created":
            _drop_ticket(conn, ticket_id)
            continue
        conn.execute("UPDATE events SET undone_by = NULL WHERE undone_by = ?", (event_id,))
        conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
        if message_id is not None:
            conn.execute("DELETE FROM outbox WHERE message_row = ?", (message_id,))
            conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))


def _drop_ticket(conn: sqlite3.Connection, ticket_id: int) -> None:
    conn.execute("UPDATE tickets SET merged_into = NULL WHERE merged_into = ?", (ticket_id,))
    for table in ("rule_firings", "connector_calls", "outbox", "events", "messages"):
        conn.execute(f"DELETE FROM {table} WHERE ticket_id = ?", (ticket_id,))
    conn.execute("DELETE FROM tickets WHERE id = ?", (ticket_id,))


def event_by_uid(conn: sqlite3.Connection, uid: str) -> tuple[int, int | None] | None:
    """(id, seq) of the event with this stable id, if this replica has it."""
    return conn.execute("SELECT id, seq FROM events WHERE uid = ?", (uid,)).fetchone()


def event_row(conn: sqlite3.Connection, event_id: int) -> dict:
    """The kind and data of a local event."""
    kind, data = conn.execute("SELECT kind, data FROM events WHERE id = ?", (event_id,)).fetchone()
    return {"kind": kind, "data": json.loads(data)}


def event_uid(conn: sqlite3.Connection, event_id: int) -> str | None:
    row = conn.execute("SELECT uid FROM events WHERE id = ?", (event_id,)).fetchone()
    return row[0] if row else None


def _gid(conn: sqlite3.Connection, table: str, row_id: int) -> str:
    row = conn.execute(f"SELECT gid FROM {table} WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        raise LookupError(f"no {table} row {row_id}")
    if row[0]:
        return row[0]
    gid = str(uuid.uuid4())
    conn.execute(f"UPDATE {table} SET gid = ? WHERE id = ?", (gid, row_id))
    return gid


def ticket_gid(conn: sqlite3.Connection, ticket_id: int) -> str:
    """The ticket's global id, given it now if it has none yet."""
    return _gid(conn, "tickets", ticket_id)


def gid_of(conn: sqlite3.Connection, ticket_id: int) -> str | None:
    """The ticket's global id, if it has reached the team yet."""
    row = conn.execute("SELECT gid FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return row[0] if row else None


# The meta key (+ the ticket's global id) of how far into the team's log the thread went when
# `deskterm show` last printed it here: what a reply from the command line was written against.
SHOWN = "team.shown:"


def remember_shown(conn: sqlite3.Connection, ticket_id: int, seq: int | None) -> None:
    """`deskterm show` printed the ticket's thread as far as `seq` (a ticket not shared yet has
    nothing to remember: nobody else can have written to it)."""
    gid = gid_of(conn, ticket_id)
    if gid is not None and meta_get(conn, TEAM_URL) is not None:
        meta_set(conn, SHOWN + gid, str(seq or 0))


def shown_through(conn: sqlite3.Connection, ticket_id: int) -> int | None:
    """How far into the team's log `deskterm show` last printed the ticket here; None: never."""
    gid = gid_of(conn, ticket_id)
    found = meta_get(conn, SHOWN + gid) if gid is not None else None
    return int(found) if found is not None else None


def ticket_by_gid(conn: sqlite3.Connection, gid: str) -> int | None:
    row = conn.execute("SELECT id FROM tickets WHERE gid = ?", (gid,)).fetchone()
    return row[0] if row else None


def ticket_snapshot(conn: sqlite3.Connection, ticket_id: int) -> dict:
    """The ticket as it stands, its tags and its customer with every identity."""
    row = conn.execute(
        f"SELECT customer_id, {', '.join(TICKET_FIELDS)} FROM tickets WHERE id = ?", (ticket_id,)
    ).fetchone()
    customer_id, *values = row
    tags = [
        t for (t,) in conn.execute("SELECT tag FROM ticket_tags WHERE ticket_id = ?", (ticket_id,))
    ]
    name = conn.execute("SELECT name FROM customers WHERE id = ?", (customer_id,)).fetchone()[0]
    identities = conn.execute(
        "SELECT kind, value FROM identities WHERE customer_id = ? ORDER BY id", (customer_id,)
    ).fetchall()
    return {
        **dict(zip(TICKET_FIELDS, values, strict=True)),
        "gid": ticket_gid(conn, ticket_id),
        "number": ticket_id,  # its provisional number: the server may give it another
        "tags": sorted(tags),
        "customer": {
            "gid": _gid(conn, "customers", customer_id),
            "name": name,
            "identities": [list(i) for i in identities],
        },
    }


# Where a message lies in its account's own channel ("imap:FOLDER;UIDVALIDITY=V/;UID=U",
# "ebay:..."): the same place for every machine, unlike a file's path, so it travels, and the
# worker that runs the account can flag or move the message whoever answered or solved it.
CHANNEL_PLACES = ("imap:", "ebay:")


def message_snapshot(conn: sqlite3.Connection, message_id: int) -> dict | None:
    row = conn.execute(
        f"SELECT raw_path, {', '.join(MESSAGE_FIELDS)} FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if row is None:
        return None
    place, *values = row
    found = dict(zip(MESSAGE_FIELDS, values, strict=True))
    if place and place.startswith(CHANNEL_PLACES):
        found["raw_path"] = place
    return found


def message_ref(conn: sqlite3.Connection, message_id: int) -> list[str] | None:
    """A message's global name: [account, external_id]."""
    row = conn.execute(
        "SELECT account, external_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    return list(row) if row else None


def message_by_ref(conn: sqlite3.Connection, ref: list[str]) -> int | None:
    row = conn.execute(
        "SELECT id FROM messages WHERE account = ? AND external_id = ?", (ref[0], ref[1])
    ).fetchone()
    return row[0] if row else None


def outbox_key(conn: sqlite3.Connection, outbox_id: int) -> str | None:
    row = conn.execute("SELECT idempotency_key FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    return row[0] if row else None


def outbox_by_key(conn: sqlite3.Connection, key: str) -> int | None:
    row = conn.execute("SELECT id FROM outbox WHERE idempotency_key = ?", (key,)).fetchone()
    return row[0] if row else None


def insert_customer(conn: sqlite3.Connection, customer: dict, at: str) -> int:
    """The local customer for a replicated one: by global id, else by a shared identity (which
    then takes the global id), else a new row with its identities."""
    row = conn.execute("SELECT id FROM customers WHERE gid = ?", (customer["gid"],)).fetchone()
    if row:
        return row[0]
    for kind, value in customer["identities"]:
        row = conn.execute(
            "SELECT customer_id FROM identities WHERE kind = ? AND value = ?", (kind, value)
        ).fetchone()
        if row:
            conn.execute(
                "UPDATE customers SET gid = ? WHERE id = ? AND gid IS NULL",
                (customer["gid"], row[0]),
            )
            return row[0]
    customer_id = inserted_id(
        conn.execute(
            "INSERT INTO customers (name, created_at, gid) VALUES (?, ?, ?)",
            (customer["name"], at, customer["gid"]),
        )
    )
    conn.executemany(
        "INSERT OR IGNORE INTO identities (customer_id, kind, value) VALUES (?, ?, ?)",
        [(customer_id, kind, value) for kind, value in customer["identities"]],
    )
    return customer_id


def insert_ticket(conn: sqlite3.Connection, ticket: dict, number: int | None) -> int:
    """The local row of a replicated ticket, as its snapshot says, with its tags, under the
    number the server gave it (a provisional ticket there moves on)."""
    customer_id = insert_customer(conn, ticket["customer"], ticket["created_at"])
    if number is not None:
        numbers.free(conn, number)
    columns = ", ".join(TICKET_FIELDS)
    ticket_id = inserted_id(
        conn.execute(
            f"INSERT INTO tickets (id, customer_id, gid, {columns})"
            f" VALUES (?, ?, ?, {', '.join('?' for _ in TICKET_FIELDS)})",
            (number, customer_id, ticket["gid"], *(ticket[f] for f in TICKET_FIELDS)),
        )
    )
    conn.executemany(
        "INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)",
        [(ticket_id, tag) for tag in ticket["tags"]],
    )
    return ticket_id


def insert_message(conn: sqlite3.Connection, ticket_id: int, message: dict) -> int:
    """The local row of a replicated message (the one already here when it came another way)."""
    found = message_by_ref(conn, [message["account"], message["external_id"]])
    if found is not None:
        return found
    columns = ", ".join(MESSAGE_FIELDS)
    row = inserted_id(
        conn.execute(
            f"INSERT INTO messages (ticket_id, raw_path, {columns})"
            f" VALUES (?, ?, {', '.join('?' for _ in MESSAGE_FIELDS)})",
            (ticket_id, message.get("raw_path"), *(message[f] for f in MESSAGE_FIELDS)),
        )
    )
    index_messages(conn, [row])
    conn.execute(
        "UPDATE tickets SET last_message_at = MAX(last_message_at, ?) WHERE id = ?",
        (message["sent_at"], ticket_id),
    )
    return row


def field_changed_since(
    conn: sqlite3.Connection, ticket_id: int, kinds: tuple[str, ...], tag: str | None, seq: int
) -> bool:
    """Whether this replica holds a change to the same field, or an undo of one, that the server
    orders after `seq` (or has not ordered yet, so it will be): then that change, not the one
    at `seq`, stands."""
    return (
        conn.execute(
            "SELECT 1 FROM events u JOIN events e ON e.id = CASE u.kind"
            " WHEN 'undo' THEN json_extract(u.data, '$.event') ELSE u.id END"
            " WHERE u.ticket_id = :ticket AND (u.seq IS NULL OR u.seq > :seq)"
            " AND e.kind IN (SELECT value FROM json_each(:kinds))"
            " AND (:tag IS NULL OR json_extract(e.data, '$.tag') = :tag) LIMIT 1",
            {"ticket": ticket_id, "seq": seq, "kinds": json.dumps(kinds), "tag": tag},
        ).fetchone()
        is not None
    )


def outbox_snapshot(conn: sqlite3.Connection, outbox_id: int) -> dict | None:
    """What the team's outbox needs of a queued reply: its key, account and payload."""
    row = conn.execute(
        "SELECT idempotency_key, account, payload, created_at FROM outbox WHERE id = ?",
        (outbox_id,),
    ).fetchone()
    if row is None:
        return None
    key, account, payload, created_at = row
    return {"key": key, "account": account, "payload": json.loads(payload), "at": created_at}


def insert_team_reply(conn: sqlite3.Connection, ticket_id: int, message_id: int, item: dict) -> int:
    """The local outbox row of a reply another replica queued: status 'team', which no sending
    pass takes until the team's worker is granted it (grant_reply)."""
    found = outbox_by_key(conn, item["key"])
    if found is not None:
        return found
    return inserted_id(
        conn.execute(
            "INSERT INTO outbox (ticket_id, message_row, account, status, idempotency_key,"
            " payload, next_attempt_at, created_at) VALUES (?, ?, ?, 'team', ?, ?, ?, ?)",
            (
                ticket_id,
                message_id,
                item["account"],
                item["key"],
                canonical_json(item["payload"]),
                item["at"],
                item["at"],
            ),
        )
    )


def grant_reply(conn: sqlite3.Connection, key: str, *, interrupted: bool) -> None:
    """Hand the team's reply `key` to this replica's sending pass: queued, or, when a worker now
    gone had begun to hand it to the channel (`interrupted`), as an interrupted send, so the pass
    asks the channel whether it has it before sending."""
    if not interrupted:
        conn.execute(
            "UPDATE outbox SET status = 'queued' WHERE idempotency_key = ? AND status = 'team'",
            (key,),
        )
        return
    conn.execute(
        "UPDATE outbox SET status = 'sending', stage = 'handing', lease_owner = ?,"
        " lease_until = 0 WHERE idempotency_key = ? AND status IN ('team', 'queued')",
        (TAKEN_OVER, key),
    )


# How another replica's word on a reply moves this replica's copy of it, as the server's outbox
# moves (team/schema.py, outbox_follows): (status it takes, statuses it takes it from).
REPLY_MOVES = {
    "delivery_failed": ("failed", ("team", "queued", "sending")),
    "retry_send": ("team", ("failed",)),
    "cancel_send": ("cancelled", ("team", "queued", "failed")),
}


def move_team_reply(conn: sqlite3.Connection, kind: str, outbox_id: int, error: str | None) -> bool:
    """Follow a `kind` event another replica wrote about reply `outbox_id`: held (its author sees
    why and may send it anyway), queued again for the team's worker, or cancelled; False when
    the reply was past that here (sent, say)."""
    status, sources = REPLY_MOVES[kind]
    return (
        conn.execute(
            "UPDATE outbox SET status = ?, last_error = COALESCE(?, last_error), lease_owner = NULL,"
            " lease_until = NULL, stage = NULL WHERE id = ?"
            f" AND status IN ({', '.join('?' for _ in sources)})",
            (status, error, outbox_id, *sources),
        ).rowcount
        > 0
    )


def clear_hold(conn: sqlite3.Connection, outbox_id: int) -> None:
    """A held reply its author sends anyway is held no more: the reason goes with the decision
    (a delivery failure's error stays, to say what happened last)."""
    conn.execute(
        "UPDATE outbox SET last_error = NULL WHERE id = ? AND last_error LIKE ?",
        (outbox_id, HELD + "%"),
    )


def unlink_reply_message(conn: sqlite3.Connection, outbox_id: int) -> int | None:
    """The message of a cancelled reply, which its outbox row stops naming: the message goes
    from the thread, as on the replica that cancelled it."""
    row = conn.execute("SELECT message_row FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
    conn.execute("UPDATE outbox SET message_row = NULL WHERE id = ?", (outbox_id,))
    return row[0] if row else None


def replies_waiting(conn: sqlite3.Connection, account: str) -> bool:
    """Whether `account` has replies here waiting for the team's worker to be granted or to
    send them."""
    return (
        conn.execute(
            "SELECT 1 FROM outbox WHERE account = ? AND status IN ('team', 'queued') LIMIT 1",
            (account,),
        ).fetchone()
        is not None
    )


def release_reply(conn: sqlite3.Connection, key: str) -> None:
    """Put back a reply this replica's worker may no longer send (the server granted it to
    another): it waits, as replies queued elsewhere do, until a grant or its delivery report."""
    conn.execute(
        "UPDATE outbox SET status = 'team', lease_owner = NULL, lease_until = NULL, stage = NULL"
        " WHERE idempotency_key = ? AND status IN ('queued', 'sending')",
        (key,),
    )


# Open tickets nobody is assigned and not snoozed (at ?, now), in queue order: nearest deadline
# first, then oldest.
_TAKEABLE = (
    "assignee IS NULL AND status NOT IN ('solved', 'closed') AND merged_into IS NULL"
    " AND (snoozed_until IS NULL OR snoozed_until <= ?)"
    " ORDER BY COALESCE(next_deadline, '9999'), created_at, id"
)


def takeable(conn: sqlite3.Connection, now_iso: str, limit: int) -> list[str]:
    """Global ids of the open tickets nobody is assigned, in queue order (nearest deadline
    first, then oldest), that the team has heard of and that are not snoozed."""
    return [
        gid
        for (gid,) in conn.execute(
            f"SELECT gid FROM tickets WHERE gid IS NOT NULL AND {_TAKEABLE} LIMIT ?",
            (now_iso, limit),
        )
    ]


def next_unassigned(conn: sqlite3.Connection, now_iso: str) -> int | None:
    """The first open ticket nobody is assigned and not snoozed, in queue order (nearest deadline
    first, then oldest): what "take next" gives outside team mode."""
    row = conn.execute(
        f"SELECT id FROM tickets WHERE {_TAKEABLE} LIMIT 1",
        (now_iso,),
    ).fetchone()
    return row[0] if row else None
