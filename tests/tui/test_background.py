"""Work that waits runs in the background: a slow connector call never stops the keys."""

from __future__ import annotations

import time
from collections.abc import Mapping

import pytest
from helpers import notifications, settle
from workspace import build_app

from deskterm import connector
from deskterm.macros import MacroSet, parse_macro
from deskterm.store import open_store, queries

# What a slow shop API costs; a UI that waited on it would take this long to move the cursor.
CALL_SECONDS = 2.0

REFUND = """
name = "refund"
description = "Refund the order in the shop"
after = "stay"
note = "Refund asked for in the shop."
actions = [{ connector = "shopify.refund", params = { order = "1001" } }]
"""


class SlowShop(connector.Connector):
    name = "shopify"
    channel = "shopify"

    def actions(self) -> list[connector.ConnectorAction]:
        def refund(params: Mapping, *, idempotency_key: str) -> connector.ActionOutcome:
            time.sleep(CALL_SECONDS)
            return connector.ActionOutcome(f"refund of {params['order']} created")

        return [connector.ConnectorAction("refund", "Refund an order", refund)]


@pytest.fixture
def slow_shop(db, monkeypatch):
    monkeypatch.setattr(connector, "registry", lambda: {"shopify": SlowShop})
    store = open_store(db)
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, created_at) VALUES (?, ?, ?, ?)",
            ("shop", "shopify", "shopify", "2026-01-01T00:00:00Z"),
        )
    store.close()


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
        started = time.monotonic()
        await pilot.press("down", "enter")  # "Yes, run it"
        await pilot.pause(0.4)
        activity = app.screen.query_one("#activity")
        assert activity.display and "macro refund on #1" in str(activity.render())

        for key, row in (("j", 1), ("j", 2), ("k", 1)):
            pressed = time.monotonic()
            await pilot.press(key)
            assert app.screen.queue.cursor == row
            # Pilot's own round trip included, on a busy test machine; waiting would take 2 s.
            assert time.monotonic() - pressed < CALL_SECONDS / 4
        # All of that happened while the shop was still being called.
        assert app.jobs.current is not None and time.monotonic() - started < CALL_SECONDS
        assert not any("Applied" in n for n in notifications(app))

        await settle(pilot)
        assert "Applied refund to #1" in notifications(app)
        assert not activity.display
        done = [e for e in queries.events(app.store, 1) if e.kind == "connector_done"]
        assert [e.data["text"] for e in done] == ["refund of 1001 created"]
