"""Bulk paths (an import, an account's first sync) store big batches without triage and read
them right after, so storing history does not wait on triage; everything else is read as it is
stored, so rules see what triage read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deskterm import ingest
from deskterm.connector import Account, Connector
from deskterm.domain import Batch, Identity, InboundMessage
from deskterm.store import Store
from deskterm.store import triage as store_triage
from deskterm.sync import engine
from deskterm.triage.backfill import backfill
from tests.conftest import NOW

ACCOUNT = Account(name="mail", connector="fake", channel="email", address="help@shop.example")


def customers(make_message, count: int) -> list[InboundMessage]:
    return [
        make_message(
            subject="", text="Where is my parcel?", sender=Identity("email", f"c{n}@x.example")
        )
        for n in range(count)
    ]


def intents(store: Store) -> set[str | None]:
    return {intent for (intent,) in store.conn.execute("SELECT intent FROM tickets")}


def test_a_bulk_batch_is_stored_unread_then_read_by_the_backfill(
    store: Store, make_message
) -> None:
    ingest.ingest_batch(
        store, "mail", Batch(customers(make_message, ingest.BULK), {}), now=NOW, bulk=True
    )
    assert store_triage.unread_count(store.conn) == ingest.BULK
    assert intents(store) == {None}

    assert backfill(store) == ingest.BULK
    assert intents(store) == {"wismo"}


def test_a_small_bulk_batch_and_any_other_batch_are_read_as_they_are_stored(
    store: Store, make_message
) -> None:
    ingest.ingest_batch(store, "mail", Batch(customers(make_message, 3), {}), now=NOW, bulk=True)
    assert store_triage.unread_count(store.conn) == 0
    assert intents(store) == {"wismo"}


class OneBigBatch(Connector):
    name = "fake"
    channel = "email"

    def __init__(self, account: Account, inbox: list[InboundMessage]) -> None:
        super().__init__(account)
        self.inbox = inbox

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        start = cursors.get("INBOX", {}).get("next", 0)
        if start < len(self.inbox):
            yield Batch(self.inbox[start:], {"next": len(self.inbox)}, "INBOX")


def test_a_first_sync_reads_its_big_batches_after_the_pull_and_later_ones_as_they_come(
    store: Store, make_message, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiting: list[int] = []

    def read_after(store: Store) -> int:
        waiting.append(store_triage.unread_count(store.conn))
        return backfill(store)

    monkeypatch.setattr(engine, "backfill", read_after)
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, created_at)"
            " VALUES ('mail', 'fake', 'email', 'help@shop.example', '2026-11-01T00:00:00Z')"
        )
    inbox = customers(make_message, ingest.BULK + 1)
    channel = OneBigBatch(ACCOUNT, inbox[:-1])

    engine.sync_account(store, ACCOUNT, connector=channel, now=NOW)
    assert waiting == [ingest.BULK]
    assert store_triage.unread_count(store.conn) == 0
    assert intents(store) == {"wismo"}

    channel.inbox = inbox
    report = engine.sync_account(store, ACCOUNT, connector=channel, now=NOW)
    assert report.pulled == 1
    assert waiting == [ingest.BULK]
    assert store_triage.unread_count(store.conn) == 0
