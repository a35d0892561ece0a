"""The account's own mailbox follows the desk: read mail flagged seen, solved mail archived."""

from __future__ import annotations

import pytest

from deskterm import actions, mailbox
from deskterm.connectors.email import EmailConnector
from deskterm.sync import engine

from .conftest import mail

pytestmark = pytest.mark.integration

AGENT = "agent:anna"


def by_message_id(client, folder: str) -> dict[str, set[bytes]]:
    """Message-ID -> flags of every message in `folder`."""
    client.select_folder(folder, readonly=True)
    fetched = client.fetch(
        client.search(["ALL"]), [b"FLAGS", b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
    )
    found = {}
    for item in fetched.values():
        header = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip()
        found[header] = set(item[b"FLAGS"])
    client.unselect_folder()
    return found


def ticket_of(store, message_id: str) -> int:
    return store.conn.execute(
        "SELECT ticket_id FROM messages WHERE message_id = ?", (message_id,)
    ).fetchone()[0]


def waiting(store) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM mailbox_changes WHERE status = 'queued'"
    ).fetchone()[0]


def deliver(client, folder: str = "INBOX") -> None:
    for name in ("read", "solved", "untouched"):
        client.append(
            folder, mail(name, sender=f"{name}@example.net", message_id=f"<{name}@example.net>")
        )
    # The user's own mail, flagged deleted in another client but not expunged: it must stay.
    client.append(folder, mail("mine", message_id="<mine@example.net>"), flags=[b"\\Deleted"])


def test_read_mail_is_flagged_seen_and_solved_mail_moves_to_the_archive(
    dovecot, mail_account, store
):
    account = mail_account(mark_seen=True, archive_folder="Archive")
    client = dovecot.client(account.settings["username"])
    client.create_folder("Archive")
    deliver(client)
    connector = EmailConnector(account)
    assert engine.sync_account(store, account, connector=connector).pulled == 4

    mailbox.mark_read(store, ticket_of(store, "<read@example.net>"))
    actions.resolve(store, ticket_of(store, "<solved@example.net>"), actor=AGENT)
    report = engine.sync_account(store, account, connector=connector)

    assert report.error is None and waiting(store) == 0
    inbox, archive = by_message_id(client, "INBOX"), by_message_id(client, "Archive")
    assert set(inbox) == {"<read@example.net>", "<untouched@example.net>", "<mine@example.net>"}
    assert b"\\Seen" in inbox["<read@example.net>"]
    assert b"\\Seen" not in inbox["<untouched@example.net>"]
    assert b"\\Deleted" in inbox["<mine@example.net>"]
    assert set(archive) == {"<solved@example.net>"}
    assert b"\\Seen" in archive["<solved@example.net>"]  # archived mail counts as read
    connector.close()


def test_a_missing_archive_folder_is_reported_and_the_move_waits_for_it(
    dovecot, mail_account, store
):
    account = mail_account(archive_folder="Done")
    client = dovecot.client(account.settings["username"])
    deliver(client)
    connector = EmailConnector(account)
    engine.sync_account(store, account, connector=connector)
    actions.resolve(store, ticket_of(store, "<solved@example.net>"), actor=AGENT)

    report = engine.sync_account(store, account, connector=connector)
    assert report.state == "error" and "'Done' does not exist" in report.error
    assert waiting(store) == 1
    assert "<solved@example.net>" in by_message_id(client, "INBOX")

    client.create_folder("Done")
    assert engine.sync_account(store, account, connector=connector).error is None
    assert waiting(store) == 0
    assert set(by_message_id(client, "Done")) == {"<solved@example.net>"}
    connector.close()


def test_without_move_archiving_expunges_only_the_mail_it_copied(
    dovecot, mail_account, store, monkeypatch
):
    from imapclient import IMAPClient

    account = mail_account(archive_folder="Archive")
    client = dovecot.client(account.settings["username"])
    client.create_folder("Archive")
    deliver(client)
    connector = EmailConnector(account)
    engine.sync_account(store, account, connector=connector)
    offered = IMAPClient.has_capability
    monkeypatch.setattr(
        IMAPClient,
        "has_capability",
        lambda self, name: name.upper() not in ("MOVE", "UNSELECT") and offered(self, name),
    )
    actions.resolve(store, ticket_of(store, "<solved@example.net>"), actor=AGENT)

    assert engine.sync_account(store, account, connector=connector).error is None
    monkeypatch.undo()
    inbox = by_message_id(client, "INBOX")
    assert set(inbox) == {"<read@example.net>", "<untouched@example.net>", "<mine@example.net>"}
    assert set(by_message_id(client, "Archive")) == {"<solved@example.net>"}
    connector.close()


def test_a_renumbered_folder_finds_the_mail_by_message_id(dovecot, mail_account, store):
    account = mail_account(folders=["Support"], mark_seen=True)
    client = dovecot.client(account.settings["username"])
    client.create_folder("Support")
    deliver(client, "Support")
    connector = EmailConnector(account)
    engine.sync_account(store, account, connector=connector)
    client.delete_folder("Support")
    client.create_folder("Support")
    deliver(client, "Support")

    mailbox.mark_read(store, ticket_of(store, "<read@example.net>"))
    assert engine.sync_account(store, account, connector=connector).error is None
    support = by_message_id(client, "Support")
    assert b"\\Seen" in support["<read@example.net>"]
    assert b"\\Seen" not in support["<untouched@example.net>"]
    connector.close()
