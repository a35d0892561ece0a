"""Real servers on loopback: Dovecot (IMAP) and aiosmtpd (SMTP) for the email tests, a fake
Amazon SP-API and LWA server (amazon_fake.py) for the Amazon tests.

Dovecot runs from a throw-away config in a temp folder: passwd-file users with plain passwords,
Maildir storage, no TLS, logs to a file. One server per test session (and per xdist worker);
each test gets its own mailbox user, so tests never see each other's mail.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from .amazon_fake import CLIENT_ID, CLIENT_SECRET, MARKETPLACE, REFRESH_TOKEN, FakeServer, FakeSpApi
from .postgres import Postgres, postgres_bin, running_postgres
from .servers import DOVECOT, PASSWORD, Dovecot, free_port, running_dovecot


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with running_dovecot(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL cluster per test session; each test makes its own database and roles."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[team]')")
    with running_postgres(bindir) as server:
        yield server


@dataclass
class SmtpSink:
    port: int
    received: list = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def mail(
    subject: str,
    *,
    sender: str = "Ann Buyer <ann@example.net>",
    to: str = "support@shop.example",
    body: str = "Where is my parcel?",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    extra: str = "",
) -> bytes:
    """A small RFC 5322 message as a mail client would send it."""
    head = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Thu, 20 Nov 2026 10:00:00 +0000\r\n"
    if message_id:
        head += f"Message-ID: {message_id}\r\n"
    if in_reply_to:
        head += f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
    body = body.replace("\n", "\r\n")
    mime = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    return f"{head}{extra}{mime}\r\n{body}\r\n".encode()


@pytest.fixture
def mail_account(dovecot, tmp_path, monkeypatch, store):
    """A fresh Dovecot user and a deskterm email account for it (in the store too)."""
    from deskterm.connector import Account
    from deskterm.secrets import env_name

    def make(smtp: SmtpSink | None = None, **settings) -> Account:
        user = dovecot.add_user()
        name = f"mail-{user}"
        monkeypatch.setenv(env_name(name), PASSWORD)
        config = {
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": "none",
            "username": user,
            "folders": ["INBOX"],
            "sent_folder": "Sent",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port if smtp else free_port(),
            "smtp_security": "none",
            "smtp_auth": False,
            "data_dir": str(tmp_path / "data"),
            **settings,
        }
        account = Account(name, "email", "email", "support@shop.example", config)
        with store.tx() as conn:
            conn.execute(
                "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
                " VALUES (?, 'email', 'email', ?, ?, '2026-11-20T00:00:00Z')",
                (name, account.address, json.dumps(config)),
            )
        return account

    return make


@pytest.fixture
def amazon_api() -> Iterator[FakeSpApi]:
    """A fake SP-API and LWA server on 127.0.0.1; no request may break Amazon's Swagger files."""
    with FakeServer(FakeSpApi()) as fake:
        yield fake
    assert fake.violations == []


_amazon_names = itertools.count(1)


@pytest.fixture
def amazon_account(amazon_api, monkeypatch, store):
    """A deskterm Amazon account (in the store too) talking to the fake, credentials in env."""
    from deskterm.connector import Account
    from deskterm.secrets import env_name

    # Rate-limit buckets are per account and process: a fresh name gets fresh buckets.
    name = f"amazon-{os.getpid()}-{next(_amazon_names)}"
    for key, value in (
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", REFRESH_TOKEN),
    ):
        monkeypatch.setenv(env_name(name, key), value)
    settings = {
        "region": "eu",
        "marketplace": MARKETPLACE,
        "endpoint": amazon_api.base_url,
        "token_url": f"{amazon_api.base_url}/auth/o2/token",
    }
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES (?, 'amazon', 'amazon', '', ?, '2026-11-20T00:00:00Z')",
            (name, json.dumps(settings)),
        )
    return Account(name, "amazon", "amazon", "", settings)


@pytest.fixture
def fake_shopify() -> Iterator:
    """A fake Shopify on loopback; the test fails if the connector sent any invalid document."""
    from .fake_shopify.server import FakeShopify

    fake = FakeShopify().start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.invalid == [], f"documents that do not validate: {fake.invalid}"


@pytest.fixture
def shopify_account(fake_shopify, store, monkeypatch):
    """A deskterm Shopify account on the fake shop, by admin token or client credentials."""
    from deskterm import secrets
    from deskterm.connector import Account

    monkeypatch.setattr("deskterm.secrets._keyring", lambda: None)

    def make(name: str = "shop", *, auth: str = "admin_token", **settings) -> Account:
        config = {"shop": "fake.myshopify.com", "api_url": fake_shopify.url, "auth": auth}
        if auth == "client_credentials":
            client_id, secret = fake_shopify.client()
            secrets.set_secret(name, client_id, "client_id")
            secrets.set_secret(name, secret, "client_secret")
        else:
            secrets.set_secret(name, fake_shopify.admin_token(), "admin_token")
        config.update(settings)
        account = Account(name, "shopify", "shopify", "fake.myshopify.com", config)
        with store.tx() as conn:
            conn.execute(
                "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
                " VALUES (?, 'shopify', 'shopify', ?, ?, '2026-11-20T00:00:00Z')",
                (name, account.address, json.dumps(config)),
            )
        return account

    return make
