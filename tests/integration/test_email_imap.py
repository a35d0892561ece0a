"""Pulling mail from a real Dovecot: first and incremental sync, UIDVALIDITY, IDLE, threading."""

from __future__ import annotations

import threading
import time

import pytest

from deskterm import actions, ingest
from deskterm.connectors.email import EmailConnector, fetch, pull
from deskterm.domain import utcnow
from deskterm.store import sync_state
from deskterm.sync import engine

from .conftest import mail

pytestmark = pytest.mark.integration


def pull_all(store, connector) -> ingest.IngestResult:
    total = ingest.IngestResult()
    for batch in connector.pull(sync_state.load_cursors(store.conn, connector.account.name)):
        total += ingest.ingest_batch(store, connector.account.name, batch)
    return total


def record_fetches(monkeypatch) -> list[list[int]]:
    """The UID lists the connector fetches bodies for, from now on."""
    fetched: list[list[int]] = []
    real_fetch = fetch.fetch_bodies
    monkeypatch.setattr(
        fetch,
        "fetch_bodies",
        lambda client, uids: fetched.append(uids) or real_fetch(client, uids),
    )
    return fetched


def count(store, sql: str, *args) -> int:
    return store.conn.execute(sql, args).fetchone()[0]


def test_first_sync_brings_every_inbox_message_in_as_tickets(dovecot, mail_account, store):
    account = mail_account()
    client = dovecot.client(account.settings["username"])
    for i in range(3):
        client.append("INBOX", mail(f"Order {i} missing", sender=f"buyer{i}@example.net"))
    connector = EmailConnector(account)

    result = pull_all(store, connector)

    assert result.added == 3 and result.new_tickets == 3
    subjects = {r[0] for r in store.conn.execute("SELECT subject FROM tickets")}
    assert subjects == {"Order 0 missing", "Order 1 missing", "Order 2 missing"}
    cursor = sync_state.load_cursors(store.conn, account.name)["INBOX"]
    assert cursor["uidnext"] == 4 and cursor["uidvalidity"] and cursor["highestmodseq"]
    connector.close()


def test_incremental_sync_fetches_only_new_mail(dovecot, mail_account, store, monkeypatch):
    account = mail_account(batch_size=2)
    client = dovecot.client(account.settings["username"])
    for i in range(3):
        client.append("INBOX", mail(f"first {i}", message_id=f"<first{i}@example.net>"))
    connector = EmailConnector(account)
    assert pull_all(store, connector).added == 3

    client.append("INBOX", mail("second", message_id="<second@example.net>"))
    fetched = record_fetches(monkeypatch)

    assert pull_all(store, connector).added == 1
    assert fetched == [[4]]
    # Nothing new: the folder's status matches the cursor, so not even a SEARCH is sent.
    assert list(connector.pull(sync_state.load_cursors(store.conn, account.name))) == []
    connector.close()


def test_uidvalidity_change_resyncs_the_folder_without_duplicates(dovecot, mail_account, store):
    account = mail_account(folders=["Support"])
    client = dovecot.client(account.settings["username"])
    client.create_folder("Support")
    old = [mail("kept", message_id="<kept@example.net>"), mail("no id", body="no message id")]
    for raw in old:
        client.append("Support", raw)
    connector = EmailConnector(account)
    assert pull_all(store, connector).added == 2
    before = sync_state.load_cursors(store.conn, account.name)["Support"]["uidvalidity"]

    # The server renumbers the folder: same mail under new UIDs, plus one new message.
    client.delete_folder("Support")
    client.create_folder("Support")
    for raw in [*old, mail("after renumbering")]:
        client.append("Support", raw)
    result = pull_all(store, connector)

    assert result.added == 1
    assert result.duplicates == 2
    assert count(store, "SELECT count(*) FROM messages") == 3
    assert sync_state.load_cursors(store.conn, account.name)["Support"]["uidvalidity"] != before
    connector.close()


def test_idle_wakes_the_watcher_when_mail_arrives(dovecot, mail_account, store):
    account = mail_account()
    connector = EmailConnector(account)
    pull_all(store, connector)
    deliverer = dovecot.client(account.settings["username"])
    timer = threading.Timer(0.5, deliverer.append, ("INBOX", mail("arrives during IDLE")))
    timer.start()

    started = time.monotonic()
    woke = connector.watch(timeout=20)
    waited = time.monotonic() - started
    timer.join()

    assert woke is True
    assert waited < 10
    assert pull_all(store, connector).added == 1
    assert not connector.watch(timeout=0.5)
    connector.close()


def test_customer_reply_to_our_answer_threads_into_the_same_ticket(
    dovecot, mail_account, store, smtp_server
):
    account = mail_account(smtp=smtp_server)
    client = dovecot.client(account.settings["username"])
    client.append("INBOX", mail("Broken lamp", message_id="<q1@example.net>"))
    connector = EmailConnector(account)
    pull_all(store, connector)
    (ticket_id,) = store.conn.execute("SELECT id FROM tickets").fetchone()
    actions.reply(store, ticket_id, "Sorry! A new lamp is on its way.", actor="agent:anna")
    engine.push_outbox(store, account, connector, utcnow(), engine.AccountReport(account.name))
    our_id = store.conn.execute(
        "SELECT message_id FROM messages WHERE direction = 'out'"
    ).fetchone()[0]

    client.append(
        "INBOX",
        mail("Re: Broken lamp", message_id="<q2@example.net>", in_reply_to=our_id, body="Thanks!"),
    )
    pull_all(store, connector)

    assert count(store, "SELECT count(*) FROM tickets") == 1
    assert count(store, "SELECT count(*) FROM messages WHERE ticket_id = ?", ticket_id) == 3
    connector.close()


def test_auto_replies_and_bounces_are_stored_as_automatic(dovecot, mail_account, store):
    account = mail_account()
    client = dovecot.client(account.settings["username"])
    client.append("INBOX", mail("Out of office", extra="Auto-Submitted: auto-replied\r\n"))
    client.append("INBOX", mail("Undelivered", sender="MAILER-DAEMON@mx.example.net"))
    client.append("INBOX", mail("A person", sender="cara@example.net"))
    connector = EmailConnector(account)
    pull_all(store, connector)

    flags = dict(store.conn.execute("SELECT subject, automatic FROM messages"))
    assert flags == {"Out of office": 1, "Undelivered": 1, "A person": 0}
    connector.close()


def test_wrong_password_is_a_clear_permanent_error(dovecot, mail_account, monkeypatch):
    from deskterm.connector import PermanentError
    from deskterm.secrets import env_name

    account = mail_account()
    monkeypatch.setenv(env_name(account.name), "wrong")
    with pytest.raises(PermanentError, match=r"login .* refused"):
        list(EmailConnector(account).pull({}))


def test_account_test_command_reports_a_working_login_and_a_missing_folder(
    mail_account, db_path, smtp_server
):
    from click.testing import CliRunner

    from deskterm.cli.main import app

    good = mail_account(smtp=smtp_server)
    result = CliRunner().invoke(app, ["--db", str(db_path), "account", "test", good.name])
    assert result.exit_code == 0, result.output
    assert "ok: IMAP login" in result.output and "ok: folder INBOX" in result.output
    assert "ok: SMTP login" in result.output

    bad = mail_account(smtp=smtp_server, folders=["INBOX", "Nope"])
    result = CliRunner().invoke(app, ["--db", str(db_path), "account", "test", bad.name])
    assert result.exit_code == 1
    assert "'Nope' does not exist" in result.output


def test_big_pulls_parse_in_worker_processes_and_keep_batch_order(dovecot, mail_account, store):
    account = mail_account(batch_size=4, parse_workers=2)
    client = dovecot.client(account.settings["username"])
    for i in range(9):
        client.append("INBOX", mail(f"parallel {i}", message_id=f"<p{i}@example.net>"))
    connector = EmailConnector(account)

    batches = list(connector.pull({}))

    # Batches start small and double up to batch_size, so storing starts at once.
    assert [[m.subject[-1] for m in b.messages] for b in batches] == [
        ["0"],
        ["1", "2"],
        ["3", "4", "5", "6"],
        ["7", "8"],
    ]
    assert [b.cursor["uidnext"] for b in batches] == [2, 4, 8, 10]
    connector.close()


def test_each_folder_keeps_its_own_cursor(dovecot, mail_account, store):
    account = mail_account(folders=["INBOX", "Amazon"])
    client = dovecot.client(account.settings["username"])
    client.create_folder("Amazon")
    client.append("INBOX", mail("inbox one"))
    client.append("Amazon", mail("amazon one", sender="x1@marketplace.amazon.com"))
    client.append("Amazon", mail("amazon two", sender="x2@marketplace.amazon.com"))
    connector = EmailConnector(account)
    pull_all(store, connector)

    client.append("Amazon", mail("amazon three", sender="x3@marketplace.amazon.com"))
    assert pull_all(store, connector).added == 1

    cursors = sync_state.load_cursors(store.conn, account.name)
    assert (cursors["INBOX"]["uidnext"], cursors["Amazon"]["uidnext"]) == (2, 4)
    channels = dict(store.conn.execute("SELECT subject, channel FROM tickets"))
    assert channels["amazon three"] == "amazon" and channels["inbox one"] == "email"
    connector.close()


def test_without_idle_the_watcher_polls_and_reports_only_real_news(
    dovecot, mail_account, store, monkeypatch
):
    account = mail_account()
    connector = EmailConnector(account)
    pull_all(store, connector)
    client = connector.session.client()
    monkeypatch.setattr(client, "has_capability", lambda name: name != "IDLE")

    assert connector.watch(timeout=0.1) is False
    dovecot.client(account.settings["username"]).append("INBOX", mail("polled"))
    assert connector.watch(timeout=0.1) is True
    connector.close()


def test_a_missing_folder_is_a_setup_error_naming_the_folder(mail_account):
    from deskterm.connector import PermanentError

    connector = EmailConnector(mail_account(folders=["INBOX", "Amazon Orders"]))
    with pytest.raises(PermanentError, match="'Amazon Orders' does not exist"):
        list(connector.pull({}))
    connector.close()


def test_connection_lost_mid_sync_resumes_from_the_last_stored_batch(
    dovecot, mail_account, store, monkeypatch
):
    from deskterm.connector import TemporaryError

    account = mail_account(batch_size=2)
    client = dovecot.client(account.settings["username"])
    for i in range(5):
        client.append("INBOX", mail(f"resume {i}", message_id=f"<r{i}@example.net>"))
    connector = EmailConnector(account)
    real_fetch = fetch.fetch_bodies
    calls = []

    def flaky(imap, uids):
        calls.append(uids)
        if len(calls) == 2:
            raise OSError("connection reset by peer")
        return real_fetch(imap, uids)

    monkeypatch.setattr(fetch, "fetch_bodies", flaky)
    with pytest.raises(TemporaryError, match="connection reset"):
        pull_all(store, connector)
    # Batches of 1, then 2: the first was stored before the second fetch failed.
    assert calls == [[1], [2, 3]]
    assert count(store, "SELECT count(*) FROM messages") == 1

    result = pull_all(store, connector)

    assert (result.added, result.duplicates) == (4, 0)
    assert calls[2:] == [[2], [3, 4], [5]]
    connector.close()


def test_imap_tracing_reaches_its_logger_when_debug_is_wanted(dovecot, mail_account, store, caplog):
    account = mail_account()
    dovecot.client(account.settings["username"]).append("INBOX", mail("traced", body="TRACEME"))
    caplog.set_level("DEBUG", logger="imapclient.imaplib")
    connector = EmailConnector(account)
    assert pull_all(store, connector).added == 1
    assert any("TRACEME" in r.getMessage() for r in caplog.records)
    connector.close()


def test_a_first_sync_with_since_leaves_older_mail_alone_but_not_later_arrivals(
    dovecot, mail_account, store
):
    from datetime import datetime

    account = mail_account(since="2026-01-01")
    client = dovecot.client(account.settings["username"])
    client.append(
        "INBOX", mail("old", message_id="<old@example.net>"), msg_time=datetime(2019, 5, 1)
    )
    client.append("INBOX", mail("recent", message_id="<recent@example.net>"))
    connector = EmailConnector(account)

    assert pull_all(store, connector).added == 1
    assert count(store, "SELECT count(*) FROM messages WHERE message_id = '<recent@example.net>'")
    # Moved in later from an old archive: new to the folder, so it is pulled whatever its date.
    client.append(
        "INBOX", mail("moved in", message_id="<moved@example.net>"), msg_time=datetime(2018, 1, 1)
    )
    assert pull_all(store, connector).added == 1
    assert count(store, "SELECT count(*) FROM messages WHERE message_id = '<old@example.net>'") == 0
    connector.close()


def test_mail_in_a_second_folder_ends_the_wait_at_the_next_watch(dovecot, mail_account, store):
    account = mail_account(folders=["INBOX", "Amazon"])
    client = dovecot.client(account.settings["username"])
    client.create_folder("Amazon")
    connector = EmailConnector(account)
    pull_all(store, connector)
    assert not connector.watch(timeout=0.3)

    client.append("Amazon", mail("Inquiry from Amazon customer"))

    started = time.monotonic()
    assert connector.watch(timeout=5) is True
    assert time.monotonic() - started < 1  # seen before IDLE began, not after the timeout
    assert pull_all(store, connector).added == 1
    connector.close()


def test_big_mail_is_fetched_a_few_messages_at_a_time(dovecot, mail_account, store, monkeypatch):
    account = mail_account(batch_size=100)
    client = dovecot.client(account.settings["username"])
    photo = "x" * 76 + "\n"
    for i in range(6):
        client.append("INBOX", mail(f"photo {i}", body=photo * 2000))  # about 150 KB each
    monkeypatch.setattr(pull, "CHUNK_BYTES", 400_000)
    fetched = record_fetches(monkeypatch)

    connector = EmailConnector(account)
    assert pull_all(store, connector).added == 6
    assert max(len(uids) for uids in fetched) <= 2
    assert sorted(uid for uids in fetched for uid in uids) == [1, 2, 3, 4, 5, 6]
    connector.close()
