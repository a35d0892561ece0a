"""Fixtures every test layer shares: a fresh store, a fixed clock, and a way to make messages."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deskterm import ingest
from deskterm.domain import Batch, Identity, InboundMessage
from deskterm.store import Store, open_store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real user's database, settings or macros."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DESKTERM_DB", str(home / "deskterm.db"))
    monkeypatch.setenv("DESKTERM_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "deskterm.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = open_store(db_path)
    yield opened
    opened.close()


MakeMessage = Callable[..., InboundMessage]


@pytest.fixture
def make_message() -> MakeMessage:
    """Build an InboundMessage with sensible defaults; every call gets a new external id."""
    counter = itertools.count(1)

    def make(**fields) -> InboundMessage:
        n = next(counter)
        defaults = {
            "account": "mail",
            "external_id": f"ext-{n}",
            "channel": "email",
            "sender": Identity("email", "anna@example.com"),
            "sender_name": "Anna Adams",
            "sent_at": NOW - timedelta(hours=1) + timedelta(minutes=n),
            "subject": "Where is my order?",
            "text": "Hello, my order has not arrived.",
            "message_id": f"<m{n}@example.com>",
        }
        defaults.update(fields)
        return InboundMessage(**defaults)

    return make


@pytest.fixture
def deliver(store: Store) -> Callable[..., ingest.IngestResult]:
    """Ingest messages as one batch of their account, as a connector's pull would."""

    def run(*messages: InboundMessage, at: datetime = NOW) -> ingest.IngestResult:
        return ingest.ingest_batch(store, messages[0].account, Batch(list(messages), {}), now=at)

    return run
