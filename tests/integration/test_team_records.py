"""What the team shares beside the event log (docs/team.md): orders the worker syncs, accounts
without their secrets, and where each account's pull stopped, against a real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from deskterm import actions
from deskterm.domain import (
    Attachment,
    Batch,
    CustomerProfile,
    Identity,
    InboundMessage,
    OrderSnapshot,
    Refund,
)
from deskterm.store import Store, accounts
from deskterm.store import orders as store_orders
from deskterm.store.attachments import AttachmentStore, attach_file
from deskterm.team import replica, server

from .postgres import Postgres
from .teams import Team, state
from .test_team_worker import ACCOUNT, Channel, Crew

pytestmark = pytest.mark.integration

BUYER = Identity("email", "anna@example.com")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _order(status: str = "paid", refunds: tuple[Refund, ...] = ()) -> OrderSnapshot:
    return OrderSnapshot(
        account="shop",
        external_id="gid://shopify/Order/1042",
        number="#1042",
        customer=BUYER,
        customer_name="Anna Adams",
        status=status,
        placed_at=NOW - timedelta(days=3),
        total="59.90",
        currency="EUR",
        items=(
            {"title": "Blue mug", "quantity": 2, "price": "19.95", "sku": "MUG-B"},
            {"title": "Tea towel", "quantity": 1, "price": "20.00", "sku": "TT-1"},
        ),
        refunds=refunds,
        changed_at=NOW - timedelta(days=1),
    )


class Shop(Channel):
    """The channel, which also brings its orders as they stand at every pull, and counts the
    messages it handed over."""

    def __init__(self, inbox: list[InboundMessage]) -> None:
        super().__init__(ACCOUNT, inbox)
        self.orders: list[OrderSnapshot] = []
        self.customers: list[CustomerProfile] = []
        self.handed = 0

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        for batch in super().pull(cursors):
            self.handed += len(batch.messages)
            yield batch
        if self.orders or self.customers:
            yield Batch(
                [],
                {"orders": len(self.orders)},
                "orders",
                orders=self.orders,
                customers=self.customers,
            )


@pytest.fixture
def crew(
    postgres: Postgres, tmp_path: Path, store: Store, make_message: Callable
) -> Iterator[Crew]:
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    shop = Shop([make_message(subject="Where is #1042?", sender=BUYER, text="Order #1042?")])
    crew = Crew(team, store, shop)
    yield crew
    crew.close()


def test_an_order_the_worker_syncs_reaches_every_replica_with_its_items_and_refunds(
    crew: Crew,
) -> None:
    shop = crew.channel
    assert isinstance(shop, Shop)
    shop.orders = [_order()]
    crew.workers[0].run_once()
    crew.team.sync(crew.ben)
    (order,) = store_orders.orders_by_number(crew.ben, "#1042")
    assert [item["title"] for item in order.items] == ["Blue mug", "Tea towel"]
    (buyer,) = crew.ben.conn.execute(
        "SELECT customer_id FROM tickets WHERE subject = 'Where is #1042?'"
    ).fetchone()
    assert store_orders.orders_for_customer(crew.ben, buyer) == [order]

    broken = ({"title": "Blue mug", "quantity": 1},)
    refund = Refund("r-1", "19.95", "EUR", NOW, note="one mug broke", items=broken)
    shop.orders = [_order("partially_refunded", (refund,))]
    crew.workers[0].run_once()
    crew.team.sync(crew.ben)
    (order,) = store_orders.orders_by_number(crew.ben, "#1042")
    assert (order.status, order.refunds) == ("partially_refunded", (refund,))
    crew.team.sync(crew.machines[1])
    assert state(crew.ben) == state(crew.machines[0]) == state(crew.machines[1])


def _buyer(spent: str, count: int, note: str) -> CustomerProfile:
    return CustomerProfile(
        account="shop",
        external_id="gid://shopify/Customer/7",
        name="Anna Adams",
        identities=(BUYER, Identity("phone", "+4915112345678")),
        orders_count=count,
        amount_spent=spent,
        currency="EUR",
        tags=("vip",),
        note=note,
        changed_at=NOW,
    )


def test_a_customer_profile_the_worker_syncs_shows_the_same_on_every_replica(
    crew: Crew,
) -> None:
    shop = crew.channel
    assert isinstance(shop, Shop)
    shop.orders = [replace(_order(), customer_ref="gid://shopify/Customer/7")]
    shop.customers = [_buyer("59.90", 1, "")]
    crew.workers[0].run_once()
    crew.team.sync(crew.ben)
    shown = store_orders.profile(crew.ben, "shop", "gid://shopify/Customer/7")
    assert shown is not None
    assert (shown.orders_count, shown.amount_spent, shown.tags) == (1, "59.90", ("vip",))
    # Her phone number, which only the shop knew, leads to her on ben's replica too.
    (buyer,) = crew.ben.conn.execute(
        "SELECT customer_id FROM tickets WHERE subject = 'Where is #1042?'"
    ).fetchone()
    assert shown.customer_id == buyer
    assert crew.ben.conn.execute(
        "SELECT customer_id FROM identities WHERE value = '+4915112345678'"
    ).fetchone() == (buyer,)

    shop.customers = [_buyer("159.80", 2, "Prefers email")]
    crew.workers[0].run_once()
    for store in (crew.ben, crew.machines[1]):
        crew.team.sync(store)
    shown = store_orders.profile(crew.ben, "shop", "gid://shopify/Customer/7")
    assert shown is not None
    assert (shown.orders_count, shown.amount_spent, shown.note) == (2, "159.80", "Prefers email")
    found = [state(store) for store in (crew.ben, *crew.machines)]
    assert found[0] == found[1] == found[2]
    assert found[0].shared["profiles"]


def test_a_worker_taking_an_account_over_resumes_where_the_last_one_stopped(
    crew: Crew, make_message: Callable
) -> None:
    shop = crew.channel
    assert isinstance(shop, Shop)
    first, second = crew.workers
    first.run_once()
    first.close()  # its machine goes away, and its lock with it
    shop.inbox.extend(make_message(subject=f"Later {n}") for n in range(2))
    pulled = sum(report.pulled for report in second.run_once())
    # The second worker reads only the two new mails: it had the first one's cursor.
    assert (pulled, shop.handed) == (2, 3)
    crew.workers = [second]
    crew.team.sync(crew.ben)
    assert state(crew.ben) == state(crew.machines[1])
    assert len(state(crew.ben)) == 3


def test_a_worker_back_from_the_dead_does_not_take_the_team_back_to_its_cursor(
    crew: Crew, make_message: Callable
) -> None:
    shop = crew.channel
    assert isinstance(shop, Shop)
    first, second = crew.workers
    first.run_once()
    first.close()
    shop.inbox.extend(make_message(subject=f"Later {n}") for n in range(2))
    second.run_once()
    second.close()
    # The first machine comes back; its cursor is older than the team's, which it takes.
    back = crew.worker(crew.machines[0])
    crew.workers = [back]
    handed = shop.handed
    assert sum(report.pulled for report in back.run_once()) == 0
    assert shop.handed == handed


def test_accounts_reach_every_replica_without_their_secrets(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskterm import secrets

    monkeypatch.setenv(secrets.env_name("shop"), "shpat_s3cret")
    settings = {"shop": "mugs.myshopify.com", "data_dir": "/home/anna/deskterm"}
    accounts.save_account(
        crew.machines[0],
        "shop",
        connector="shopify",
        channel="shopify",
        address="",
        settings=settings,
    )
    crew.team.sync(crew.machines[0])
    crew.team.sync(crew.ben)
    found = accounts.account(crew.ben, "shop")
    assert found is not None and found.settings == {"shop": "mugs.myshopify.com"}
    on_server = crew.team.records("account")
    assert "shpat_s3cret" not in json.dumps(on_server) and "/home/anna" not in json.dumps(on_server)
    assert state(crew.ben) == state(crew.machines[0])


def test_a_file_the_worker_receives_opens_on_another_replica_and_one_an_agent_attaches_leaves(
    crew: Crew, make_message: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = crew.channel
    label = b"%PDF-1.4 return label for #1042\n" * 50
    digest, path = AttachmentStore(tmp_path / "anna-mail").put(label)
    photo = Attachment("label.pdf", "application/pdf", len(label), digest, str(path))
    shop.inbox.append(make_message(subject="My label", attachments=(photo,)))
    monkeypatch.setenv("DESKTERM_DATA", str(tmp_path / "anna"))
    crew.workers[0].run_once()

    monkeypatch.setenv("DESKTERM_DATA", str(tmp_path / "ben"))
    crew.team.sync(crew.ben)
    (raw,) = crew.ben.conn.execute(
        "SELECT attachments FROM messages WHERE subject = 'My label'"
    ).fetchone()
    (found,) = json.loads(raw)
    assert found["path"].startswith(str(tmp_path / "ben"))  # ben's own copy
    assert Path(found["path"]).read_bytes() == label

    (tmp_path / "invoice.txt").write_bytes(b"Invoice 1042: 59.90 EUR")
    invoice = attach_file(tmp_path / "invoice.txt")
    ticket = crew.ben.conn.execute("SELECT ticket_id FROM messages WHERE subject = 'My label'")
    actions.reply(
        crew.ben,
        ticket.fetchone()[0],
        "Here is your invoice.",
        attachments=[invoice],
        actor="agent:ben",
    )
    crew.team.sync(crew.ben)
    monkeypatch.setenv("DESKTERM_DATA", str(tmp_path / "anna"))
    crew.workers[0].run_once()
    (sent,) = shop.delivered
    (file,) = sent.attachments
    assert file.path is not None and file.path.startswith(str(tmp_path / "anna"))
    assert Path(file.path).read_bytes() == b"Invoice 1042: 59.90 EUR"
    on_server = json.dumps(crew.team.events_data())
    assert str(tmp_path / "ben") not in on_server and str(tmp_path / "anna-mail") not in on_server
    crew.team.sync(crew.ben)
    assert state(crew.ben) == state(crew.machines[0])


def test_a_record_numbered_later_waits_for_an_earlier_writer_to_commit(crew: Crew) -> None:
    """Records are numbered in commit order: while one writer's transaction is open, a second
    writer waits, so no pull can pass a number that is yet to commit."""
    import threading
    import time

    first = server.connect(crew.team.url("anna"))
    second = server.connect(crew.team.url("ben"))
    watcher = server.connect(crew.team.url("ben"))  # a role sees its own sessions' waits
    try:
        first.execute("SELECT deskterm.put_records(%s)", (Jsonb([_record("a")]),))
        (waiting_pid,) = second.execute("SELECT pg_backend_pid()").fetchone()
        second.commit()
        writer = threading.Thread(target=server.put_records, args=(second, [_record("b")]))
        writer.start()
        deadline = time.monotonic() + 60
        while not _waits_for_a_lock(watcher, waiting_pid):
            assert writer.is_alive(), "the second writer committed before the first"
            assert time.monotonic() < deadline, "the second writer neither waited nor ended"
        first.commit()
        writer.join()
        seqs = watcher.execute(
            "SELECT key, seq FROM deskterm.records_after(0, 10) WHERE kind = 'account' ORDER BY seq"
        ).fetchall()
        assert [key for key, _ in seqs] == ['["a"]', '["b"]']
    finally:
        for conn in (first, second, watcher):
            conn.close()


def _record(name: str) -> dict:
    return {"kind": "account", "key": json.dumps([name]), "data": {"name": name}}


def _waits_for_a_lock(watcher: psycopg.Connection, pid: int) -> bool:
    (kind,) = watcher.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
    ).fetchone()
    watcher.commit()
    return kind == "Lock"
