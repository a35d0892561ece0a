"""The demo workspace and its live channel, which feeds the queue through the real sync path."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm.connector import Account
from deskterm.connectors.demo import DemoConnector
from deskterm.demo import ACCOUNTS, build_demo
from deskterm.domain import from_iso
from deskterm.store import Store, open_store
from deskterm.sync import engine


@pytest.fixture
def demo_store(store: Store, now) -> Store:
    build_demo(store, seed=3, now=now, tickets=60)
    return store


def count(store: Store, table: str) -> int:
    return store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_demo_tickets_have_honest_histories(demo_store: Store) -> None:
    assert count(demo_store, "tickets") == 60
    # Every ticket was opened by ingest, and every reply sits in the outbox like a real one.
    assert demo_store.conn.execute(
        "SELECT COUNT(*) FROM events WHERE kind = 'created'"
    ).fetchone() == (60,)
    replies = demo_store.conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'reply'").fetchone()
    assert replies[0] == count(demo_store, "outbox") > 0
    assert count(demo_store, "orders") > 0
    linked = demo_store.conn.execute(
        "SELECT COUNT(*) FROM tickets WHERE order_id IS NOT NULL"
    ).fetchone()[0]
    assert linked > 0


def test_the_live_channel_staggers_messages_about_every_30_seconds(demo_store: Store, now) -> None:
    def pulled_at(moment) -> list[str]:
        reports = engine.run_once(demo_store, now=moment)
        return [r.account for r in reports if r.pulled]

    assert pulled_at(now) == []
    assert pulled_at(now + timedelta(seconds=31)) == [ACCOUNTS[0][0]]
    assert pulled_at(now + timedelta(seconds=61)) == [ACCOUNTS[1][0]]
    assert pulled_at(now + timedelta(seconds=91)) == [ACCOUNTS[2][0]]
    assert pulled_at(now + timedelta(seconds=121)) == [ACCOUNTS[3][0]]
    assert pulled_at(now + timedelta(seconds=151)) == [ACCOUNTS[0][0]]


def test_live_messages_are_new_conversations_with_orders(demo_store: Store, now) -> None:
    before = count(demo_store, "tickets")
    engine.run_once(demo_store, now=now + timedelta(minutes=5))
    assert count(demo_store, "tickets") == before + 4
    newest = demo_store.conn.execute(
        "SELECT channel, order_id FROM tickets ORDER BY id DESC LIMIT 4"
    ).fetchall()
    assert {channel for channel, _ in newest} == {"email", "ebay", "amazon", "shopify"}


def test_demo_replies_leave_through_the_outbox(demo_store: Store, now) -> None:
    engine.run_once(demo_store, now=now + timedelta(seconds=1))
    waiting = demo_store.conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE status != 'sent'"
    ).fetchone()
    assert waiting == (0,)


def test_the_same_account_and_count_give_the_same_message(now) -> None:
    account = Account("support-mail", "demo", "email", settings={"interval": 120})
    first = list(DemoConnector(account, clock=lambda: now).pull({}))
    second = list(DemoConnector(account, clock=lambda: now).pull({}))
    assert first[0].messages[0].text == second[0].messages[0].text
    assert first[0].cursor == {"delivered": 1, "last": "2026-11-20T12:00:00Z"}


def test_watcher_keeps_syncing_in_the_background_until_stopped(db_path: Path, now) -> None:
    store = open_store(db_path)
    build_demo(store, seed=2, now=now - timedelta(minutes=10), tickets=10)
    store.close()
    seen: list[engine.AccountReport] = []
    got_four = threading.Event()

    def on_report(report: engine.AccountReport) -> None:
        seen.append(report)
        if len(seen) >= 4:
            got_four.set()

    watcher = engine.Watcher(db_path, interval=60, on_report=on_report, now=lambda: now)
    watcher.start()
    try:
        assert got_four.wait(10)
    finally:
        watcher.stop()
    assert {r.account for r in seen} == {name for name, _, _ in ACCOUNTS}
    assert all(r.error is None for r in seen)
    check = open_store(db_path)
    assert check.conn.execute("SELECT COUNT(*) FROM tickets").fetchone() == (14,)
    check.close()


def test_the_demo_is_a_live_shop_this_morning(db_path: Path, now) -> None:
    from deskterm.cli.common import workspace_config
    from deskterm.config import Config, parse_config
    from deskterm.demo_shop import SHOP_SETTINGS, YOU

    store = open_store(db_path)
    build_demo(store, seed=1, now=now)
    states = dict(
        store.conn.execute(
            "SELECT sla_state, COUNT(*) FROM tickets WHERE status NOT IN ('solved', 'closed')"
            " GROUP BY sla_state"
        ).fetchall()
    )
    active = sum(states.values())
    # A few breaches, some warnings, most clocks running or waiting on the customer.
    assert 1 <= states["breached"] <= active // 10
    assert states["warning"] >= 1 and states["running"] > active // 3
    worst = store.conn.execute(
        "SELECT MIN(next_deadline) FROM tickets WHERE sla_state = 'breached'"
    ).fetchone()[0]
    assert from_iso(worst) > now - timedelta(days=2)
    # Replies written before the last sync have left; the header has no backlog to show.
    waiting = (
        count(store, "outbox")
        - store.conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
    )
    assert waiting <= 4
    # You are one of the shop's agents, with tickets of your own.
    config = workspace_config(Config(agent="root"), db_path)
    assert config.agent == YOU and config.shop.name == SHOP_SETTINGS["name"]
    mine = store.conn.execute(
        "SELECT COUNT(*) FROM tickets WHERE assignee = ? AND status NOT IN ('solved', 'closed')",
        (YOU,),
    ).fetchone()[0]
    assert mine > 0
    # Your own settings win.
    yours = parse_config({"agent": {"name": "zoe"}, "shop": {"name": "Hatbox"}})
    assert workspace_config(yours, db_path).agent == "zoe"
    assert workspace_config(yours, db_path).shop.name == "Hatbox"
