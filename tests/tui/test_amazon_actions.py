"""An Amazon relay ticket in the workstation: its order with package tracking in the sidebar, and a
buyer message sent from the command palette after the channel's preview (fake SP-API)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import notifications, run_command, settle, until
from integration.amazon_fake import (
    CLIENT_ID,
    CLIENT_SECRET,
    MARKETPLACE,
    REFRESH_TOKEN,
    FakeServer,
    FakeSpApi,
)
from textual.widgets import Static
from workspace import NOW, build_app

from deskterm import secrets
from deskterm.domain import Batch, Identity, InboundMessage
from deskterm.ingest import ingest_batch
from deskterm.store import open_store
from deskterm.store.accounts import save_account
from deskterm.sync import engine

RELAY = "8fjw7d2kx@marketplace.amazon.co.uk"
ORDER = "202-1234567-7654321"
TEXT = "We are sorry: your parcel was damaged, a new one leaves today."


@pytest.fixture
def amazon(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSpApi]:
    with FakeServer(FakeSpApi()) as fake:
        for key, value in (
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", REFRESH_TOKEN),
        ):
            monkeypatch.setenv(secrets.env_name("amz-uk-tui", key), value)
        yield fake
    assert fake.violations == []


@pytest.fixture
def amazon_db(tmp_path: Path, amazon: FakeSpApi) -> Path:
    """A relay-mail ticket about ORDER, and the Amazon account's order synced from the fake."""
    path = tmp_path / "desk.db"
    store = open_store(path)
    save_account(
        store,
        "amz-uk-tui",
        connector="amazon",
        channel="amazon",
        address="amazon.co.uk",
        settings={
            "region": "eu",
            "marketplace": MARKETPLACE,
            "endpoint": amazon.base_url,
            "token_url": f"{amazon.base_url}/auth/o2/token",
        },
    )
    mail = InboundMessage(
        account="shop-mail",
        external_id="relay-1",
        channel="amazon",
        sender=Identity("email", RELAY),
        sender_name="Jane - Amazon Marketplace",
        sent_at=NOW - timedelta(hours=2),
        subject=f"Inquiry from Amazon customer Jane (Order: {ORDER})",
        text="Where is my parcel?",
        order_numbers=(ORDER,),
    )
    ingest_batch(store, "shop-mail", Batch([mail], {}), now=NOW)
    amazon.add_order(ORDER, buyer_email=RELAY, buyer_name="Jane Doe", updated=NOW)
    account = engine.enabled_accounts(store)[0]
    assert engine.sync_account(store, account, now=NOW).error is None
    store.close()
    return path


async def test_the_relay_ticket_shows_its_order_with_package_tracking(amazon_db):
    app = build_app(amazon_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        sidebar = str(app.screen.query_one("#sidebar-body").render())
        assert f"{ORDER} · shipped · in transit · 103.97 GBP" in sidebar
        assert "ship by 20 Nov · deliver by 23 Nov" in sidebar
        assert "Royal Mail RR123456789GB · in transit" in sidebar


async def test_unexpected_problem_is_sent_from_the_palette_after_a_preview(amazon_db, amazon):
    app = build_app(amazon_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await run_command(
            pilot,
            "Unexpected problem",
            "Channel: Amazon message: Unexpected problem with the order",
        )
        await until(
            pilot,
            lambda: str(getattr(app.focused, "id", "")).startswith("field-"),
            "the form took the keys",
        )
        await pilot.press(*TEXT, "ctrl+s")
        await settle(pilot)
        preview = str(app.screen.query_one("#action-preview-text", Static).render())
        assert preview == (
            f"Unexpected problem with the order, to the buyer of Amazon order {ORDER}:\n\n{TEXT}"
        )
        assert amazon.sent == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert amazon.sent == [(ORDER, "unexpectedProblem", {"text": TEXT})]
        assert "Amazon message: Unexpected problem with the order: done on #1" in (
            notifications(app)
        )
        sidebar = str(app.screen.query_one("#sidebar-body").render())
        assert "amazon.unexpectedProblem done: Unexpected problem with the order: message" in (
            " ".join(sidebar.split())
        )
