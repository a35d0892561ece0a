"""Actions on what leaves for the customer: queue a reply, retry or cancel one that has not left."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from deskterm import mailbox
from deskterm.actions.common import (
    ActionError,
    Done,
    check_actor,
    finish,
    set_off_rules,
    ticket_row,
    write_event,
)
from deskterm.actions.messages import insert_message
from deskterm.connector import reply_problem
from deskterm.domain import Attachment, Direction, Status, to_iso, utcnow
from deskterm.store import Store, drafts, tickets
from deskterm.store import outbox as store_outbox
from deskterm.store import team as store_team


def reply_subject(subject: str, ticket_id: int) -> str:
    """The subject of an outgoing reply: one "Re:" and the ticket token that threads answers back."""
    base = re.sub(r"^(\s*(re|aw|sv|fwd?)\s*:\s*)+", "", subject, flags=re.IGNORECASE).strip()
    base = re.sub(r"\s*\[#\d+\]", "", base)
    return f"Re: {base} [#{ticket_id}]" if base else f"[#{ticket_id}]"


CC_ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where a reply to a ticket goes: the customer's address, and the account it leaves from."""

    address: str
    kind: str
    account: str
    channel: str

    @property
    def takes_cc(self) -> bool:
        return self.kind == "email"


def reply_target(store: Store, ticket_id: int) -> ReplyTarget:
    """Where a reply to `ticket_id` would go now (the composer shows it before it is written)."""
    ticket = ticket_row(store.conn, ticket_id)
    kind, address, _, _ = _reply_target(store.conn, ticket)
    return ReplyTarget(address, kind, ticket["account"], ticket["channel"])


def _check_cc(ticket: sqlite3.Row, kind: str, cc: Sequence[str]) -> None:
    if cc and kind != "email":
        raise ActionError(f"ticket #{ticket['id']} is answered on {ticket['channel']}: no Cc there")
    for address in cc:
        if not CC_ADDRESS.fullmatch(address):
            raise ActionError(f"Cc {address!r} is not an email address")


def _reply_target(
    conn: sqlite3.Connection, ticket: sqlite3.Row
) -> tuple[str, str, str | None, str]:
    row = tickets.reply_to(conn, ticket)
    identity = tickets.first_identity(
        conn, ticket["customer_id"], "email" if ticket["channel"] in ("email", "amazon") else "x"
    )
    kind, value = identity if identity else ("email", "")
    if row and row[0]:
        kind, value = ("email", row[0]) if "@" in row[0] else (kind, row[0])
    if not value:
        raise ActionError(f"ticket #{ticket['id']} has no customer address to reply to")
    in_reply_to = row[1] if row else None
    refs = f"{row[2]} {row[1]}".strip() if row and row[1] else (row[2] if row else "")
    return kind, value, in_reply_to, refs or ""


def reply(
    store: Store,
    ticket_id: int,
    body: str,
    *,
    actor: str,
    at: datetime | None = None,
    domain: str = "deskterm.local",
    attachments: Sequence[Attachment] = (),
    automatic: bool = False,
    cc: Sequence[str] = (),
    seen: int | None = None,
) -> Done:
    """Queue a public reply to the customer; the sync engine sends it when the network allows.

    In a team replica, `seen` is how far into the team's log the writer saw the ticket (the
    thread as their screen showed it); without it, how far this replica has it. The team server
    holds the reply when the thread grew after that (Traffic Cop).

    An `automatic` reply (a rule's auto-responder) goes out marked Auto-Submitted: auto-replied
    (RFC 3834), so the other side's responders do not answer it.

    Attachments must already be stored files (deskterm.store.attachments), so the reply can leave
    later, offline or after a restart, with exactly what was attached.
    """
    check_actor(actor)
    if not body.strip():
        raise ActionError("a reply cannot be empty")
    for attachment in attachments:
        if not attachment.path or not Path(attachment.path).is_file():
            raise ActionError(f"attachment {attachment.filename!r} is not a stored file")
    files = [asdict(a) for a in attachments]
    at = at or utcnow()
    with store.tx() as conn:
        ticket = ticket_row(conn, ticket_id)
        if ticket["status"] == Status.CLOSED:
            raise ActionError(f"ticket #{ticket_id} is closed; replies go on a new ticket")
        domain = _sending_domain(conn, ticket, body, attachments, domain)
        message, outbox = _queue_reply(conn, ticket, body, actor, at, domain, files, cc)
        if automatic:
            store_outbox.mark_automatic(conn, outbox)
        if ticket["status"] == Status.NEW:
            tickets.set_column(conn, ticket_id, "status", Status.OPEN.value)
        mailbox.queue_seen(conn, ticket_id, at)  # whoever answers has read it
        data = {"message": message, "outbox": outbox, "status_before": ticket["status"]}
        # In a team replica, how far into the shared log this ticket was seen: the server holds
        # the reply when the thread grew meanwhile (deskterm.team, Traffic Cop).
        seen = seen if seen is not None else tickets.last_seq(conn, ticket_id)
        data |= {"seen": seen} if seen is not None else {}
        event = write_event(conn, ticket_id, "reply", actor, at, data)
        finish(conn, ticket_id, at)
        set_off_rules(store, ticket_id, "reply", actor, at)
    return Done(event, message_id=message, outbox_id=outbox)


def _sending_domain(
    conn: sqlite3.Connection,
    ticket: sqlite3.Row,
    body: str,
    attachments: Sequence[Attachment],
    fallback: str,
) -> str:
    """The domain of the account's address, for the Message-ID; refuses what it cannot send."""
    account = tickets.sending_account(conn, ticket["account"])
    problem = account and reply_problem(account[1], body, tuple(attachments))
    if problem:
        raise ActionError(f"the reply cannot go out on {ticket['account']}: {problem}")
    if account and "@" in account[0]:
        return account[0].rsplit("@", 1)[1]
    return fallback


def _queue_reply(
    conn: sqlite3.Connection,
    ticket: sqlite3.Row,
    body: str,
    actor: str,
    at: datetime,
    domain: str,
    files: list[dict],
    cc: Sequence[str] = (),
) -> tuple[int, int]:
    """The reply's message row and its outbox item, addressed and threaded; returns both ids."""
    kind, address, in_reply_to, refs = _reply_target(conn, ticket)
    _check_cc(ticket, kind, cc)
    key = str(uuid.uuid4())
    message_id = f"<{key}@{domain}>"
    subject = reply_subject(ticket["subject"], ticket["id"])
    references = tuple(refs.split()) if refs else ()
    message = insert_message(
        conn, ticket, Direction.OUT, body, actor, at, message_id, references, in_reply_to, subject
    )
    if files:
        tickets.set_attachments(conn, message, files)
    payload = {
        "to": {"kind": kind, "value": address},
        "cc": list(cc),
        "subject": subject,
        "body": body,
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "references": list(references),
        "conversation_id": ticket["conversation_id"],
        "attachments": files,
    }
    outbox = store_outbox.queue(
        conn, ticket["id"], message, ticket["account"], key, payload, to_iso(at)
    )
    return message, outbox


def _outbox_item(conn: sqlite3.Connection, outbox_id: int) -> tuple[int, str, int | None]:
    row = store_outbox.item(conn, outbox_id)
    if row is None:
        raise ActionError(f"there is no outbox item {outbox_id}")
    return row


def retry_send(store: Store, outbox_id: int, *, actor: str, at: datetime | None = None) -> Done:
    """Send a failed reply again at the next sync (after the cause was fixed)."""
    check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        ticket_id, status, _ = _outbox_item(conn, outbox_id)
        if status != "failed":
            raise ActionError(
                f"outbox item {outbox_id} is {status}; only a failed reply is retried"
            )
        store_outbox.retry(conn, outbox_id, to_iso(at))
        store_team.clear_hold(conn, outbox_id)  # sent anyway: no longer held
        event = write_event(conn, ticket_id, "retry_send", actor, at, {"outbox": outbox_id})
        finish(conn, ticket_id, at)
    return Done(event, outbox_id=outbox_id)


def cancel_send(
    store: Store,
    outbox_id: int,
    *,
    actor: str,
    at: datetime | None = None,
    to_draft: bool = False,
) -> Done:
    """Stop a reply that has not left; its text stays in the event, so nothing is lost, and with
    `to_draft` it is the ticket's reply draft again, to edit and send anew."""
    check_actor(actor)
    at = at or utcnow()
    with store.tx() as conn:
        ticket_id, status, message_row = _outbox_item(conn, outbox_id)
        if status not in ("queued", "failed"):
            raise ActionError(f"outbox item {outbox_id} is {status}; it cannot be cancelled")
        body = store_outbox.body(conn, outbox_id)
        store_outbox.cancel(conn, outbox_id)
        if message_row is not None:
            tickets.drop_reply(conn, ticket_id, message_row)
        if to_draft:
            drafts.put_back(conn, ticket_id, "reply", body, at)
        event = write_event(
            conn, ticket_id, "cancel_send", actor, at, {"outbox": outbox_id, "body": body}
        )
        finish(conn, ticket_id, at)
    return Done(event, outbox_id=outbox_id)
