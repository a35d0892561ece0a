"""One mail is stored once whichever way it came; two different mails are both kept, even when a
careless sender gave them one Message-ID."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime

from deskterm import ingest
from deskterm.connectors.email.importer import MAILDIR, MBOX
from deskterm.connectors.email.parse import ParseOptions, parse_message
from deskterm.domain import Batch
from deskterm.imports import run_import

ARRIVED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
OPTIONS = ParseOptions(account="mail")


def mail(body: str, message_id: str | None = "<same@example.net>") -> bytes:
    head = "From: Ann <ann@example.net>\nTo: support@shop.example\nSubject: My order\n"
    if message_id:
        head += f"Message-ID: {message_id}\n"
    return f"{head}Date: Thu, 19 Nov 2026 10:00:00 +0000\n\n{body}\n".encode()


def store_all(store, *raws: bytes) -> ingest.IngestResult:
    messages = [parse_message(raw, OPTIONS, received=ARRIVED) for raw in raws]
    return ingest.ingest_batch(store, "mail", Batch(messages, {}), now=ARRIVED)


def test_two_different_mails_with_one_message_id_are_both_kept(store):
    first = store_all(store, mail("Where is order 1042?"))
    second = store_all(store, mail("Please cancel order 1043 instead."))

    assert (first.added, second.added) == (1, 1)
    texts = [r[0] for r in store.conn.execute("SELECT text FROM messages ORDER BY id")]
    assert texts == ["Where is order 1042?", "Please cancel order 1043 instead."]


def test_the_same_mail_again_is_a_duplicate_even_after_a_namesake_was_kept(store):
    store_all(store, mail("Where is order 1042?"), mail("Please cancel order 1043 instead."))

    again = store_all(
        store, mail("Please cancel order 1043 instead."), mail("Where is order 1042?")
    )

    assert (again.added, again.duplicates) == (0, 2)


def test_mail_without_a_message_id_gets_one_id_from_imap_maildir_and_mbox(store, tmp_path):
    raw = mail("Line one.\nFrom the warehouse: nothing yet.\n", message_id=None)
    crlf = raw.replace(b"\n", b"\r\n")  # as IMAP serves it
    box = mailbox.mbox(tmp_path / "mail.mbox")
    box.add(raw)  # mbox quotes the "From " line and may add a blank line
    box.flush()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.add(raw)

    imap = parse_message(crlf, OPTIONS, received=ARRIVED)
    ingest.ingest_batch(store, "mail", Batch([imap], {}), now=ARRIVED)
    from_mbox = run_import(store, MBOX, tmp_path / "mail.mbox", account="mail", workers=0)
    from_maildir = run_import(store, MAILDIR, tmp_path / "Maildir", account="mail", workers=0)

    assert (from_mbox.added, from_maildir.added) == (0, 0)
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    text = store.conn.execute("SELECT text FROM messages").fetchone()[0]
    assert "\nFrom the warehouse" in text
