"""deskterm.mailbox: reading and solving tickets queue changes for the account's own mailbox."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from deskterm import actions, ingest, mailbox
from deskterm.connector import Account, Connector, TemporaryError
from deskterm.domain import Batch, Identity, MailboxChange
from deskterm.store import Store
from deskterm.sync import engine

AGENT = "agent:anna"


def add_account(store: Store, name: str, **settings) -> Account:
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES (?, 'email', 'email', 'help@shop.example', ?, '2026-11-20T00:00:00Z')",
            (name, json.dumps(settings)),
        )
    return Account(name, "email", "email", "help@shop.example", settings)


def queued(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT c.change, m.external_id FROM mailbox_changes c"
        " JOIN messages m ON m.id = c.message_row WHERE c.status = 'queued' ORDER BY c.id"
    ).fetchall()


@pytest.fixture
def ticket(store, make_message, now) -> int:
    """A ticket of account `mail` with two customer messages pulled from IMAP."""
    first = make_message(external_id="m1", raw_path="imap:INBOX;UIDVALIDITY=7/;UID=1")
    second = make_message(
        external_id="m2",
        raw_path="imap:INBOX;UIDVALIDITY=7/;UID=2",
        in_reply_to=first.message_id,
        sender=first.sender,
        subject="Re: " + first.subject,
    )
    ingest.ingest_batch(store, "mail", Batch([first, second], {}), now=now)
    assert store.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
    return 1


def test_an_account_without_the_settings_queues_nothing(store, ticket, now):
    add_account(store, "mail")
    assert mailbox.mark_read(store, ticket, now) == 0
    actions.resolve(store, ticket, actor=AGENT, at=now)
    assert queued(store) == []


def test_reading_queues_seen_once_per_customer_message(store, ticket, now):
    add_account(store, "mail", mark_seen=True)
    actions.note(store, ticket, "internal", actor=AGENT, at=now)
    assert mailbox.mark_read(store, ticket, now) == 2
    assert mailbox.mark_read(store, ticket, now) == 0  # opening it again writes nothing
    actions.reply(store, ticket, "On its way", actor=AGENT, at=now)
    assert queued(store) == [("seen", "m1"), ("seen", "m2")]


def test_answering_counts_as_reading(store, ticket, now):
    add_account(store, "mail", mark_seen=True)
    actions.reply(store, ticket, "On its way", actor=AGENT, at=now)
    assert queued(store) == [("seen", "m1"), ("seen", "m2")]


def test_solving_queues_archiving_and_reopening_or_undo_takes_it_back(store, ticket, now):
    add_account(store, "mail", archive_folder="Archive")
    actions.resolve(store, ticket, actor=AGENT, at=now)
    assert queued(store) == [("archive", "m1"), ("archive", "m2")]
    actions.reopen(store, ticket, actor=AGENT, at=now)
    assert queued(store) == []
    actions.resolve(store, ticket, actor=AGENT, at=now)
    assert queued(store) == [("archive", "m1"), ("archive", "m2")]
    actions.undo(store, actor=AGENT, at=now)
    assert queued(store) == []
    assert store.conn.execute("SELECT status FROM tickets").fetchone()[0] == "open"


def test_a_move_already_made_is_not_queued_again(store, ticket, make_message, now):
    add_account(store, "mail", archive_folder="Archive")
    actions.resolve(store, ticket, actor=AGENT, at=now)
    mailbox.applied(store, [c.change_id for c in mailbox.pending(store, "mail")], now)
    sender, message_id = store.conn.execute(
        "SELECT author_addr, message_id FROM messages WHERE external_id = 'm2'"
    ).fetchone()
    later = make_message(
        external_id="m3",
        raw_path="imap:INBOX;UIDVALIDITY=7/;UID=3",
        in_reply_to=message_id,
        sender=Identity("email", sender),
    )
    ingest.ingest_batch(store, "mail", Batch([later], {}), now=now)
    # The customer wrote again: the ticket reopened, and solving it archives only the new mail.
    assert store.conn.execute("SELECT count(*), status FROM tickets").fetchone() == (1, "open")
    actions.resolve(store, ticket, actor=AGENT, at=now)
    assert queued(store) == [("archive", "m3")]


class Mailbox(Connector):
    """Applies changes until told to fail."""

    name = "fake"
    channel = "email"

    def __init__(self, account: Account, fail_after: int | None = None) -> None:
        super().__init__(account)
        self.fail_after = fail_after
        self.seen: list[MailboxChange] = []

    def apply_changes(self, changes: list[MailboxChange]) -> Iterator[int]:
        for change in changes:
            if self.fail_after is not None and len(self.seen) == self.fail_after:
                raise TemporaryError("connection lost")
            self.seen.append(change)
            yield change.change_id


def test_sync_marks_applied_changes_done_and_keeps_the_rest_after_a_failure(store, ticket, now):
    account = add_account(store, "mail", mark_seen=True, archive_folder="Archive")
    actions.reply(store, ticket, "On its way", actor=AGENT, at=now)
    actions.resolve(store, ticket, actor=AGENT, at=now)
    store.conn.execute("UPDATE outbox SET status = 'sent'")  # only the mailbox is under test
    failing = Mailbox(account, fail_after=1)

    report = engine.sync_account(store, account, connector=failing, now=now)

    assert report.state == "offline" and "connection lost" in report.error
    assert [c.change for c in failing.seen] == ["seen"]
    assert queued(store) == [("seen", "m2"), ("archive", "m1"), ("archive", "m2")]
    location = mailbox.pending(store, "mail")[0].location
    assert location == "imap:INBOX;UIDVALIDITY=7/;UID=2"

    working = Mailbox(account)
    assert engine.sync_account(store, account, connector=working, now=now).error is None
    assert queued(store) == []
    assert len(working.seen) == 3


def test_the_customer_writing_again_takes_back_an_archive_not_yet_made(
    store, ticket, make_message, now
):
    add_account(store, "mail", archive_folder="Archive")
    actions.resolve(store, ticket, actor=AGENT, at=now)
    sender, message_id = store.conn.execute(
        "SELECT author_addr, message_id FROM messages WHERE external_id = 'm2'"
    ).fetchone()
    again = make_message(external_id="m3", in_reply_to=message_id, sender=Identity("email", sender))
    ingest.ingest_batch(store, "mail", Batch([again], {}), now=now)
    assert store.conn.execute("SELECT status FROM tickets").fetchone()[0] == "open"
    assert queued(store) == []
