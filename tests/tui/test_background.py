"""Work that waits runs in the background: a slow connector call never stops the keys."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest
from helpers import PATIENCE_SECONDS, notifications, settle, until
from workspace import build_app

from deskterm import connector
from deskterm.macros import MacroSet, parse_macro
from deskterm.store import open_store, queries

REFUND = """
name = "refund"
description = "Refund the order in the shop"
after = "stay"
note = "Refund asked for in the shop."
actions = [{ connector = "shopify.refund", params = { order = "1001" } }]
"""


@dataclass
class Call:
    """The shop's refund call: `started` once it reached the shop, which answers once `answer` is
    set. The keys are pressed while the call is provably under way, however slow the machine."""

    started: threading.Event = field(default_factory=threading.Event)
    answer: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def slow_shop(db, monkeypatch) -> Call:
    call = Call()

    class SlowShop(connector.Connector):
        name = "shopify"
        channel = "shopify"

        def actions(self) -> list[connector.ConnectorAction]:
            def refund(params: Mapping, *, idempotency_key: str) -> connector.ActionOutcome:
                call.started.set()
                # A UI that waited on the call would hold the test's go-ahead up with it: the shop
                # answers anyway in the end, and the test sees the job over too soon.
                call.answer.wait(PATIENCE_SECONDS)
                return connector.ActionOutcome(f"refund of {params['order']} created")

            return [connector.ConnectorAction("refund", "Refund an order", refund)]

    monkeypatch.setattr(connector, "registry", lambda: {"shopify": SlowShop})
    store = open_store(db)
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, created_at) VALUES (?, ?, ?, ?)",
            ("shop", "shopify", "shopify", "2026-01-01T00:00:00Z"),
        )
    store.close()
    return call


async def test_a_slow_connector_action_leaves_the_queue_moving_and_shows_progress(db, slow_shop):
    macro_set = MacroSet()
    item = parse_macro(REFUND, source="test", stem="refund")
    macro_set.macros[item.name] = item
    app = build_app(db, macro_set=macro_set)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("enter")  # the macro acts outside deskterm: it asks first
        await settle(pilot)
        await pilot.press("down", "enter")  # "Yes, run it"
        await until(pilot, slow_shop.started.is_set, "the refund reached the shop")
        activity = app.screen.query_one("#activity")
        await until(pilot, lambda: activity.display, "the activity line showed")
        assert "macro refund on #1" in str(activity.render())

        for key, row in (("j", 1), ("j", 2), ("k", 1)):
            await pilot.press(key)
            assert app.screen.queue.cursor == row
        # All of that happened while the shop, still waiting for the go-ahead, had not answered.
        assert app.jobs.current is not None
        assert not any("Applied" in n for n in notifications(app))

        slow_shop.answer.set()
        await settle(pilot)
        assert "Applied refund to #1" in notifications(app)
        assert not activity.display
        done = [e for e in queries.events(app.store, 1) if e.kind == "connector_done"]
        assert [e.data["text"] for e in done] == ["refund of 1001 created"]
