"""The eBay connector against the local fake eBay, through the real sync engine and store."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from deskterm import actions, mailbox
from deskterm.connector import Account, PermanentError
from deskterm.domain import Status
from deskterm.macros import apply, load_macros
from deskterm.secrets import env_name
from deskterm.store import Store
from deskterm.sync import engine, sending

from .fake_ebay import (
    CLIENT_ID,
    FULFILLMENT,
    MESSAGE,
    RU_NAME,
    SELLER,
    FakeEbay,
    Fault,
    specs_dir,
)

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeEbay]:
    specs = specs_dir()
    if specs is None:
        pytest.skip("eBay's OpenAPI descriptions are not in ../shared/specs; set DESKTERM_SPECS")
    server = FakeEbay(specs, NOW).start()
    try:
        yield server
    finally:
        server.stop()
    assert server.violations == []


@pytest.fixture
def account(fake: FakeEbay, store: Store, tmp_path: Path, monkeypatch) -> Account:
    name = "shop-ebay"
    monkeypatch.setenv(env_name(name), "PRD-client-secret-abcdef")
    monkeypatch.setenv(env_name(name, "refresh_token"), "refresh-token-1")
    settings = fake.settings(data_dir=str(tmp_path / "data"), requests_per_second=500)
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, settings, created_at)"
            " VALUES (?, 'ebay', 'ebay', ?, '2026-11-01T00:00:00Z')",
            (name, json.dumps(settings)),
        )
    return Account(name, "ebay", "ebay", "", settings)


def sync(store: Store, account: Account, *, at=NOW) -> engine.AccountReport:
    report = engine.sync_account(store, account, now=at)
    assert report.error is None, report.error
    return report


def rows(store: Store, sql: str, *args) -> list[tuple]:
    return store.conn.execute(sql, args).fetchall()


def test_first_sync_pages_through_120_conversations(fake, account, store):
    for n in range(120):
        cid = fake.conversation(f"buyer{n}", f"Question {n}")
        fake.message(cid, f"Is item {n} in stock?", at=NOW - timedelta(minutes=n))
    report = sync(store, account)
    assert report.pulled == 120
    assert rows(store, "SELECT count(*), count(DISTINCT conversation_id) FROM tickets") == [
        (120, 120)
    ]
    listed = [
        s.query["offset"]
        for s in fake.seen
        if s.path == f"{MESSAGE}/conversation" and s.query["conversation_type"] == "FROM_MEMBERS"
    ]
    assert listed == ["0", "50", "100"]


def test_ebay_notice_is_stored_automatic_and_stays_visible(fake, account, store):
    cid = fake.conversation("eBay", "A buyer opened a return", kind="FROM_EBAY")
    fake.message(cid, "<p>Return <b>5012</b> was opened for order 12-34567-89012.</p>")
    sync(store, account)
    [(automatic, text, html, status)] = rows(
        store,
        "SELECT m.automatic, m.text, m.html, t.status FROM messages m JOIN tickets t"
        " ON t.id = m.ticket_id",
    )
    assert automatic == 1 and status == "new"
    assert "Return **5012** was opened" in text and html.startswith("<p>")


def test_media_are_downloaded_into_the_attachment_store(fake, account, store):
    cid = fake.conversation("anna_b", "Damaged on arrival")
    photo = b"\x89PNG fake photo bytes"
    fake.message(cid, "See the photo", media=[("box.png", "IMAGE", photo)])
    sync(store, account)
    [(attachments,)] = rows(store, "SELECT attachments FROM messages")
    [attachment] = json.loads(attachments)
    assert attachment["filename"] == "box.png" and attachment["size"] == len(photo)
    assert Path(attachment["path"]).read_bytes() == photo


def test_an_expired_token_is_renewed_mid_sync(fake, account):
    for n in range(60):
        fake.message(fake.conversation(f"buyer{n}", f"Question {n}"), "Hello")
    connector = engine.connector_for(account, clock=lambda: NOW)
    batches = connector.pull({})
    assert next(batches).folder == "orders"
    fake.expire_tokens()  # two hours later, half-way through the pass
    assert sum(len(b.messages) for b in batches) == 60
    assert fake.token_grants == ["refresh_token", "refresh_token"]
    connector.close()


def test_invalid_grant_says_how_to_consent_again(fake, account, store):
    fake.refresh_tokens.clear()
    report = engine.sync_account(store, account, now=NOW)
    assert report.state == "error"
    assert "invalid_grant" in report.error
    assert "deskterm account add ebay shop-ebay --replace" in report.error


def test_429_with_retry_after_is_waited_out(fake, account, store):
    cid = fake.conversation("anna_b", "Hello")
    fake.message(cid, "Anyone there?")
    fake.faults.append(Fault(f"{MESSAGE}/conversation", 429, {"Retry-After": "1"}))
    started = time.monotonic()
    assert sync(store, account).pulled == 1
    assert time.monotonic() - started >= 1.0
    listed = [s for s in fake.seen if s.path == f"{MESSAGE}/conversation"]
    assert len(listed) == 3  # the refused one again, then the notices


def _ticket_of(store: Store, cid: str) -> int:
    [(ticket_id,)] = rows(store, "SELECT id FROM tickets WHERE conversation_id = ?", cid)
    return ticket_id


def test_a_crash_after_send_message_sends_once(fake, account, store, monkeypatch):
    cid = fake.conversation("anna_b", "Where is my parcel?")
    fake.message(cid, "It has not arrived")
    sync(store, account)
    actions.reply(store, _ticket_of(store, cid), "It left today.", actor="agent:anna", at=NOW)
    real = sending.record_sent

    def crash(*args, **kwargs):
        raise SystemError("power cut before the bookkeeping")

    monkeypatch.setattr(sending, "record_sent", crash)
    report = engine.sync_account(store, account, now=NOW + timedelta(minutes=1))
    assert "power cut" in report.error
    assert rows(store, "SELECT status FROM outbox") == [("sending",)]
    monkeypatch.setattr(sending, "record_sent", real)
    sync(store, account, at=NOW + timedelta(minutes=5))
    assert rows(store, "SELECT status FROM outbox") == [("sent",)]
    assert [s["messageText"] for s in fake.sent] == ["It left today."]


def test_a_lost_answer_to_send_message_is_looked_up_not_resent(fake, account, store):
    cid = fake.conversation("anna_b", "Where is my parcel?")
    fake.message(cid, "It has not arrived")
    sync(store, account)
    actions.reply(store, _ticket_of(store, cid), "It left today.", actor="agent:anna", at=NOW)
    fake.faults.append(Fault(f"{MESSAGE}/send_message", 502, after=True))
    sync(store, account, at=NOW + timedelta(minutes=1))
    [(status, external_id)] = rows(store, "SELECT status, external_id FROM outbox")
    assert status == "sent" and external_id == fake.conversations[cid]["messages"][-1]["messageId"]
    assert len(fake.sent) == 1


def test_a_new_message_months_later_reopens_the_solved_ticket(fake, account, store):
    cid = fake.conversation("anna_b", "Sizing")
    fake.message(cid, "Does it run small?")
    sync(store, account)
    ticket_id = _ticket_of(store, cid)
    actions.resolve(store, ticket_id, actor="agent:anna", at=NOW)
    later = NOW + timedelta(days=120)
    fake.message(cid, "Bought another pair, same question", at=later)
    assert sync(store, account, at=later + timedelta(minutes=5)).pulled == 1
    assert rows(store, "SELECT id, status FROM tickets") == [(ticket_id, Status.OPEN.value)]


def test_one_buyer_in_two_conversations_is_one_customer(fake, account, store):
    for title in ("Colour", "Shipping to Canada"):
        fake.message(fake.conversation("anna_b", title), "Question")
    sync(store, account)
    assert rows(store, "SELECT count(*), count(DISTINCT customer_id) FROM tickets") == [(2, 1)]


def test_a_renamed_buyer_stays_one_customer_through_the_orders_email(fake, account, store):
    fake.order("11-11111-11111", "anna_b", email="anna@example.net")
    fake.order("22-22222-22222", "u1a2b3c4d5", email="anna@example.net")
    fake.message(fake.conversation("u1a2b3c4d5", "Second order"), "Hi again")
    fake.message(fake.conversation("anna_b", "First order"), "Hello")
    sync(store, account)
    assert rows(store, "SELECT count(DISTINCT customer_id) FROM tickets") == [(1,)]
    assert rows(store, "SELECT count(DISTINCT customer_id) FROM orders") == [(1,)]


def test_the_order_of_the_listing_is_linked_and_fills_the_macro(fake, account, store):
    fake.order("12-34567-89012", "anna_b", listing="110000000042", shipped=("USPS", "9400111"))
    cid = fake.conversation("anna_b", "Tracking?", listing="110000000042")
    fake.message(cid, "Where is it?")
    sync(store, account)
    [(number, carrier, tracking, url, address)] = rows(
        store,
        "SELECT o.number, o.carrier, o.tracking_number, o.tracking_url, o.shipping_address"
        " FROM tickets t JOIN orders o ON o.id = t.order_id",
    )
    assert (number, carrier, tracking) == ("12-34567-89012", "USPS", "9400111")
    assert url == "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111"
    assert json.loads(address)["city"] == "Springfield"
    macro = load_macros(stock=True).get("ebay-buyer-reply")
    apply(macro, store, _ticket_of(store, cid), "anna", at=NOW)
    sync(store, account, at=NOW + timedelta(minutes=1))
    [sent] = fake.sent
    assert "12-34567-89012" in sent["messageText"] and "9400111" in sent["messageText"]


def test_a_reply_too_long_for_ebay_is_refused_before_it_is_queued(fake, account, store):
    cid = fake.conversation("anna_b", "Long story")
    fake.message(cid, "Tell me everything")
    sync(store, account)
    with pytest.raises(actions.ActionError, match="at most 2,000 characters; this reply has 2,001"):
        actions.reply(store, _ticket_of(store, cid), "x" * 2001, actor="agent:anna", at=NOW)
    assert rows(store, "SELECT count(*) FROM outbox") == [(0,)]


def test_errors_name_the_account_and_ebays_error_id(fake, account, store):
    cid = fake.conversation("anna_b", "Gone soon")
    fake.message(cid, "Hello")
    sync(store, account)
    actions.reply(store, _ticket_of(store, cid), "Hi!", actor="agent:anna", at=NOW)
    del fake.conversations[cid]
    sync(store, account, at=NOW + timedelta(minutes=1))
    [(status, error)] = rows(store, "SELECT status, last_error FROM outbox")
    assert status == "failed"
    assert "eBay account shop-ebay" in error and "error 355007" in error


def test_read_tickets_are_marked_read_on_ebay_when_asked(fake, account, store):
    settings = {**account.settings, "mark_seen": True}
    store.conn.execute("UPDATE accounts SET settings = ?", (json.dumps(settings),))
    account = Account(account.name, "ebay", "ebay", "", settings)
    cid = fake.conversation("anna_b", "Read me")
    fake.message(cid, "Hello")
    sync(store, account)
    assert fake.conversations[cid]["messages"][0]["readStatus"] is False
    mailbox.mark_read(store, _ticket_of(store, cid), NOW)
    sync(store, account, at=NOW + timedelta(minutes=1))
    assert fake.conversations[cid]["messages"][0]["readStatus"] is True


def test_account_test_checks_both_apis(fake, account):
    fake.order("12-34567-89012", "anna_b")
    fake.message(fake.conversation("anna_b", "Hello"), "Hi")
    connector = engine.connector_for(account, clock=lambda: NOW)
    lines = list(connector.test())
    connector.close()
    assert lines[0].startswith("Commerce Message API") and "1 orders" in lines[1]
    assert {s.path for s in fake.seen} >= {f"{MESSAGE}/conversation", f"{FULFILLMENT}/order"}


def test_our_own_messages_from_ebays_site_are_outgoing_on_the_buyers_ticket(fake, account, store):
    cid = fake.conversation("anna_b", "Colour")
    fake.message(cid, "Is it blue?", at=NOW - timedelta(minutes=10))
    fake.message(cid, "Yes, navy blue.", sender=SELLER, at=NOW - timedelta(minutes=5))
    sync(store, account)
    assert rows(store, "SELECT direction, author_addr FROM messages ORDER BY sent_at") == [
        ("in", "anna_b"),
        ("out", "anna_b"),
    ]
    assert rows(store, "SELECT count(*) FROM customers") == [(1,)]


def test_a_cancellation_request_is_read_from_the_order_itself(fake, account, store):
    order = fake.order("12-34567-89012", "anna_b")
    order["cancelStatus"] = {
        "cancelState": "IN_PROGRESS",
        "cancelRequests": [
            {
                "cancelInitiator": "Buyer",
                "cancelReason": "ORDERED_WRONG_ITEM",
                "cancelRequestState": "REQUESTED",
                "cancelRequestId": "5000012345",
            }
        ],
    }
    sync(store, account)
    assert rows(store, "SELECT status, note FROM orders") == [
        ("cancel requested", "Cancellation requested by Buyer: ORDERED_WRONG_ITEM")
    ]
    assert f"{FULFILLMENT}/order/12-34567-89012" in {s.path for s in fake.seen}


def test_consent_stores_the_refresh_token_that_the_sync_then_uses(
    fake, store, tmp_path, monkeypatch
):
    from deskterm import secrets
    from deskterm.connectors.ebay import accounts

    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))
    monkeypatch.setenv(env_name("new-ebay"), "PRD-client-secret-abcdef")
    account = Account("new-ebay", "ebay", "ebay", "", fake.settings(requests_per_second=500))
    said: list[str] = []

    def browser(prompt: str) -> str:
        """The person opens the link, agrees, and pastes where the browser ended up."""
        return httpx.get(said[-1]).headers["location"]

    assert accounts.give(account, browser, said.append) == str(tmp_path / "secrets.json")
    assert secrets.get_secret("new-ebay", "refresh_token") == "refresh-token-1"
    assert fake.token_grants == ["authorization_code"]
    fake.message(fake.conversation("anna_b", "Hello"), "Hi")
    assert sync(store, account).pulled == 1


def test_a_declined_consent_stores_nothing_and_says_so(fake, tmp_path, monkeypatch):
    from deskterm import secrets
    from deskterm.connectors.ebay import accounts

    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))
    monkeypatch.setenv(env_name("new-ebay"), "PRD-client-secret-abcdef")
    account = Account("new-ebay", "ebay", "ebay", "", fake.settings())
    declined = "https://northwind-outfitters.example/declined?error=access_denied"
    with pytest.raises(PermanentError, match="access_denied"):
        accounts.give(account, lambda prompt: declined, lambda line: None)
    assert secrets.get_secret("new-ebay", "refresh_token") is None


def test_account_add_ebay_keeps_the_secrets_out_of_the_database(fake, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from deskterm import secrets
    from deskterm.cli.main import app
    from deskterm.connectors.ebay import oauth

    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))
    monkeypatch.setattr(oauth.random_tokens, "token_urlsafe", lambda n: "state-1")
    db = tmp_path / "desk.db"
    consent = f"{fake.url}/oauth2/authorize"
    args = ["account", "add", "ebay", "shop-ebay", "--db", str(db), "--password-stdin"]
    args += ["--client-id", CLIENT_ID, "--ru-name", RU_NAME, "--seller", SELLER]
    args += ["--api-url", fake.url, "--auth-url", consent]
    app_keys = oauth.App(CLIENT_ID, "", RU_NAME, fake.url, consent)
    # What the browser ends on once the seller agrees at the printed link.
    pasted = httpx.get(oauth.consent_url(app_keys)[0]).headers["location"]

    result = CliRunner().invoke(app, args, input=f"PRD-client-secret-abcdef\n{pasted}\n")

    assert result.exit_code == 0, result.output
    assert f"{consent}?client_id=" in result.output and "eBay access granted" in result.output
    assert secrets.get_secret("shop-ebay", "refresh_token") == "refresh-token-1"
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT connector, address, settings FROM accounts").fetchone()
    assert row[:2] == ("ebay", SELLER)
    assert "client-secret" not in row[2] and "refresh-token" not in row[2]


def test_the_next_sync_asks_only_for_what_is_new_with_an_overlap(fake, account, store):
    old = fake.conversation("carl_d", "Returns")
    fake.message(old, "How do I return it?", at=NOW - timedelta(hours=5))
    latest = fake.conversation("anna_b", "Colour")
    fake.message(latest, "Is it blue?", at=NOW - timedelta(hours=2))
    sync(store, account)
    fake.seen.clear()
    second = fake.conversation("ben_c", "Size")
    fake.message(second, "Is it a 39?", at=NOW + timedelta(minutes=30))
    assert sync(store, account, at=NOW + timedelta(hours=1)).pulled == 1
    [listing] = [
        s.query
        for s in fake.seen
        if s.path == f"{MESSAGE}/conversation" and s.query["conversation_type"] == "FROM_MEMBERS"
    ]
    # The latest message seen was 2 h before NOW; the pull reaches 15 minutes further back.
    assert listing["start_time"] == "2026-11-20T09:45:00.000Z"
    read = {s.path for s in fake.seen if s.path.startswith(f"{MESSAGE}/conversation/")}
    assert read == {f"{MESSAGE}/conversation/{c}" for c in (latest, second)}


def test_a_server_error_on_a_read_is_retried_by_the_shared_client(fake, account, store):
    fake.message(fake.conversation("anna_b", "Hello"), "Anyone there?")
    fake.faults.append(Fault(f"{MESSAGE}/conversation", 503, times=2))
    assert sync(store, account).pulled == 1


def test_media_that_cannot_be_fetched_are_listed_with_the_reason(fake, account, store, monkeypatch):
    from deskterm.connectors.ebay import media

    monkeypatch.setattr(media, "MAX_BYTES", 1024)
    cid = fake.conversation("anna_b", "Photos")
    message = fake.message(
        cid,
        "Two photos",
        media=[("gone.jpg", "IMAGE", b"x"), ("huge.jpg", "IMAGE", b"y" * 5000)],
    )
    fake.media.pop(message["messageMedia"][0]["mediaUrl"].rsplit("/media/", 1)[1])
    sync(store, account)
    [(attachments, warnings)] = rows(store, "SELECT attachments, warnings FROM messages")
    assert [(a["filename"], a["path"]) for a in json.loads(attachments)] == [
        ("gone.jpg", None),
        ("huge.jpg", None),
    ]
    gone, huge = json.loads(warnings)
    assert "HTTP 404" in gone and "/media/" in gone
    assert "larger than" in huge


def test_a_conversation_deleted_while_the_sync_runs_is_skipped(fake, account, store):
    gone = fake.conversation("anna_b", "Never mind")
    fake.message(gone, "Sorry, wrong seller", at=NOW - timedelta(minutes=1))
    fake.message(fake.conversation("ben_c", "Size"), "Is it a 39?", at=NOW - timedelta(minutes=2))
    fake.faults.append(
        Fault(
            f"{MESSAGE}/conversation/{gone}",
            400,
            body={"errors": [{"errorId": 355007, "message": "Invalid conversation_id value."}]},
        )
    )
    assert sync(store, account).pulled == 1


def test_account_test_says_when_the_seller_name_is_wrong(fake, account):
    fake.message(fake.conversation("anna_b", "Hello"), "Hi")
    wrong = Account(account.name, "ebay", "ebay", "", {**account.settings, "seller": "northwind"})
    connector = engine.connector_for(wrong, clock=lambda: NOW)
    with pytest.raises(PermanentError, match="'northwind' is in none of your conversations"):
        list(connector.test())
    connector.close()
