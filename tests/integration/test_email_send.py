"""Replies through SMTP (aiosmtpd) and the Sent folder (Dovecot): threading headers, exactly once."""

from __future__ import annotations

import email
import email.policy
import smtplib

import pytest

from deskterm import actions, ingest
from deskterm.connectors.email import EmailConnector
from deskterm.connectors.email.send import PENDING_FLAG
from deskterm.domain import utcnow
from deskterm.sync import engine, sending

from .conftest import mail

pytestmark = pytest.mark.integration


def pulled_ticket(dovecot, store, account) -> int:
    """Pull one customer mail into `account`'s mailbox and the store; its ticket id."""
    client = dovecot.client(account.settings["username"])
    client.append(
        "INBOX",
        mail(
            "Parcel damaged",
            message_id="<q1@example.net>",
            in_reply_to="<earlier@example.net>",
        ),
    )
    connector = EmailConnector(account)
    for batch in connector.pull({}):
        ingest.ingest_batch(store, account.name, batch)
    connector.close()
    (ticket_id,) = store.conn.execute("SELECT id FROM tickets").fetchone()
    return ticket_id


@pytest.fixture
def ticket(dovecot, mail_account, store, smtp_server):
    """An account with one customer mail pulled in; returns (account, ticket id)."""
    account = mail_account(smtp=smtp_server)
    return account, pulled_ticket(dovecot, store, account)


class Recorded:
    """A handover that notes what the connector reported."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def handing(self) -> None:
        self.steps.append("handing")

    def accepted(self, external_id: str) -> None:
        self.steps.append("accepted")


def sent_copies(dovecot, account, message_id: str) -> list[tuple]:
    client = dovecot.client(account.settings["username"])
    client.select_folder("Sent", readonly=True)
    uids = client.search(["HEADER", "Message-ID", message_id])
    return list(client.get_flags(uids).values()) if uids else []


def outbox_status(store) -> str:
    return store.conn.execute("SELECT status FROM outbox").fetchone()[0]


def test_reply_reaches_the_customer_threaded_and_is_filed_in_sent(
    dovecot, store, smtp_server, ticket
):
    account, ticket_id = ticket
    actions.reply(
        store, ticket_id, "We are **sorry**.\n\nA new one ships today.", actor="agent:anna"
    )

    report = engine.sync_account(store, account)

    assert report.sent == 1 and report.error is None
    (envelope,) = smtp_server.received
    assert envelope.rcpt_tos == ["ann@example.net"]
    sent = email.message_from_bytes(envelope.content, policy=email.policy.default)
    message_id = sent["Message-ID"]
    assert message_id.endswith("@shop.example>")
    assert sent["In-Reply-To"] == "<q1@example.net>"
    assert sent["References"] == "<earlier@example.net> <q1@example.net>"
    assert sent["Subject"] == f"Re: Parcel damaged [#{ticket_id}]"
    assert sent.get_body(("plain",)).get_content().strip().startswith("We are **sorry**.")
    assert "<strong>sorry</strong>" in sent.get_body(("html",)).get_content()
    copies = sent_copies(dovecot, account, message_id)
    assert len(copies) == 1 and PENDING_FLAG not in copies[0]
    assert outbox_status(store) == "sent"


def test_a_reply_with_cc_reaches_every_address_and_names_them_in_its_header(
    store, smtp_server, ticket
):
    account, ticket_id = ticket
    actions.reply(
        store, ticket_id, "Copying our courier.", actor="agent:anna", cc=["depot@courier.example"]
    )

    report = engine.sync_account(store, account)

    assert report.sent == 1 and report.error is None
    (envelope,) = smtp_server.received
    assert envelope.rcpt_tos == ["ann@example.net", "depot@courier.example"]
    sent = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert sent["To"] == "ann@example.net" and sent["Cc"] == "depot@courier.example"


def crash(*args, **kwargs):
    raise SystemExit("power cut")


def push(store, account, connector) -> None:
    engine.push_outbox(store, account, connector, utcnow(), engine.AccountReport(account.name))


def test_crash_after_the_server_accepted_before_bookkeeping_does_not_send_twice(
    dovecot, store, smtp_server, ticket, monkeypatch
):
    account, ticket_id = ticket
    actions.reply(store, ticket_id, "On its way.", actor="agent:anna")
    with monkeypatch.context() as m, pytest.raises(SystemExit):
        m.setattr(sending.rows, "record_sent", crash)
        push(store, account, EmailConnector(account))
    assert outbox_status(store) == "sending"

    report = engine.sync_account(store, account, connector=EmailConnector(account))

    assert report.error is None
    assert len(smtp_server.received) == 1
    assert outbox_status(store) == "sent"


def test_crash_before_smtp_sends_exactly_once_on_restart(
    dovecot, store, smtp_server, ticket, monkeypatch
):
    account, ticket_id = ticket
    actions.reply(store, ticket_id, "On its way.", actor="agent:anna")
    with monkeypatch.context() as m, pytest.raises(SystemExit):
        m.setattr(smtplib.SMTP, "mail", crash)  # the Sent copy is filed, SMTP not begun
        push(store, account, EmailConnector(account))

    report = engine.sync_account(store, account, connector=EmailConnector(account))

    assert report.sent == 1
    assert len(smtp_server.received) == 1
    assert outbox_status(store) == "sent"
    message_id = store.conn.execute(
        "SELECT message_id FROM messages WHERE direction = 'out'"
    ).fetchone()[0]
    assert len(sent_copies(dovecot, account, message_id)) == 1  # the stale copy is gone


def test_crash_after_acceptance_before_the_sent_copy_is_cleared_counts_as_sent(
    dovecot, store, smtp_server, ticket, monkeypatch
):
    account, ticket_id = ticket
    actions.reply(store, ticket_id, "On its way.", actor="agent:anna")
    connector = EmailConnector(account)
    client = connector.session.client()
    # SMTP has taken the mail; the process dies before the in-flight flag is cleared.
    monkeypatch.setattr(client, "remove_flags", crash)
    with pytest.raises(SystemExit):
        push(store, account, connector)

    engine.sync_account(store, account, connector=EmailConnector(account))

    assert len(smtp_server.received) == 1
    assert outbox_status(store) == "sent"


@pytest.mark.parametrize("append_sent", [True, False], ids=["sent-copy", "no-append-sent"])
def test_crash_while_the_server_takes_the_mail_holds_the_reply_for_a_person(
    dovecot, store, smtp_server, mail_account, monkeypatch, append_sent
):
    account = mail_account(smtp=smtp_server, append_sent=append_sent)
    ticket_id = pulled_ticket(dovecot, store, account)
    actions.reply(store, ticket_id, "On its way.", actor="agent:anna")
    with monkeypatch.context() as m, pytest.raises(SystemExit):
        m.setattr(smtplib.SMTP, "data", crash)  # nobody knows what the server got
        push(store, account, EmailConnector(account))

    engine.sync_account(store, account, connector=EmailConnector(account))
    engine.sync_account(store, account, connector=EmailConnector(account))

    assert smtp_server.received == []
    status, error = store.conn.execute("SELECT status, last_error FROM outbox").fetchone()
    assert status == "failed"
    assert "may or may not have reached the customer" in error


def test_without_a_sent_copy_the_providers_own_sent_folder_settles_an_interrupted_reply(
    dovecot, store, smtp_server, mail_account, monkeypatch
):
    account = mail_account(smtp=smtp_server, append_sent=False)
    ticket_id = pulled_ticket(dovecot, store, account)
    actions.reply(store, ticket_id, "On its way.", actor="agent:anna")
    with monkeypatch.context() as m, pytest.raises(SystemExit):
        m.setattr(sending.rows, "record_sent", crash)
        push(store, account, EmailConnector(account))
    # The provider filed what its SMTP sent, as Gmail does.
    dovecot.client(account.settings["username"]).append(
        "Sent", smtp_server.received[0].content, [b"\\Seen"]
    )

    engine.sync_account(store, account, connector=EmailConnector(account))

    assert len(smtp_server.received) == 1
    assert outbox_status(store) == "sent"


def test_refused_recipient_fails_permanently_and_leaves_nothing_in_sent(
    dovecot, store, smtp_server, ticket
):
    account, ticket_id = ticket
    smtp_server.refuse.add("ann@example.net")
    actions.reply(store, ticket_id, "On its way.", actor="agent:anna")

    report = engine.sync_account(store, account)

    assert report.failed == 1
    assert smtp_server.received == []
    status, error = store.conn.execute("SELECT status, last_error FROM outbox").fetchone()
    assert status == "failed"
    assert error.endswith("refused recipient ann@example.net: 550 5.1.1 no such user")
    message_id = store.conn.execute(
        "SELECT message_id FROM messages WHERE direction = 'out'"
    ).fetchone()[0]
    assert sent_copies(dovecot, account, message_id) == []


def test_a_relay_without_login_and_a_mailbox_without_sent_still_send(
    dovecot, mail_account, store, smtp_server
):
    # The sink offers no AUTH, as a local relay; the folder does not exist in the new mailbox.
    account = mail_account(smtp=smtp_server, smtp_auth=True, sent_folder="Sent Replies")
    ticket_id = pulled_ticket(dovecot, store, account)
    actions.reply(store, ticket_id, "On its way.", actor="agent:anna")

    report = engine.sync_account(store, account)

    assert report.sent == 1 and report.error is None
    assert len(smtp_server.received) == 1
    client = dovecot.client(account.settings["username"])
    assert client.select_folder("Sent Replies", readonly=True)[b"EXISTS"] == 1


def test_xoauth2_token_from_the_command_logs_in_to_smtp(mail_account, store, tmp_path):
    import base64
    import sys

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from deskterm.domain import Identity, Outbound

    from .conftest import SmtpSink, free_port

    logins: list[str] = []

    class OAuthSink(SmtpSink):
        async def auth_XOAUTH2(self, server, args):
            login = base64.b64decode(args[1]).decode()
            logins.append(login)
            return AuthResult(success="Bearer tok-123" in login)

    sink = OAuthSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, auth_require_tls=False)
    controller.start()
    try:
        account = mail_account(
            auth="xoauth2",
            token_command=f"{sys.executable} -c \"print('tok-123')\"",
            smtp_port=sink.port,
            smtp_auth=True,
            sent_folder="",
            smtp_username="shop@gmail.example",
        )
        item = Outbound(
            1,
            1,
            account.name,
            "email",
            Identity("email", "ann@example.net"),
            "Hi",
            "Body",
            "<x1@shop.example>",
            "k",
        )
        EmailConnector(account).send(item, Recorded())
    finally:
        controller.stop()
    assert logins == ["user=shop@gmail.example\x01auth=Bearer tok-123\x01\x01"]
    assert len(sink.received) == 1
