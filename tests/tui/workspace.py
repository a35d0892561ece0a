"""A small, fixed workspace and the app over it, with the clock frozen for stable screens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskterm import actions
from deskterm.config import Config
from deskterm.domain import Batch, Identity, InboundMessage, OrderSnapshot, to_iso
from deskterm.ingest import ingest_batch
from deskterm.macros import MacroSet
from deskterm.store import open_store
from deskterm.tui.app import DeskApp, make_app

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
MARKUP_SUBJECT = "[bold red]FREE[/] money"


def message(n: int, who: str, subject: str, text: str, ago: timedelta, **kw) -> InboundMessage:
    channel = kw.pop("channel", "email")
    account = "shop-mail" if channel == "email" else "ebay-store"
    kind = "email" if channel == "email" else "ebay"
    return InboundMessage(
        account=account,
        external_id=f"m{n}",
        channel=channel,
        sender=Identity(kind, who),
        sender_name=kw.pop("name", ""),
        sent_at=NOW - ago,
        subject=subject,
        text=text,
        message_id=f"<m{n}@example.com>" if channel == "email" else None,
        conversation_id=f"conv{n}" if channel == "ebay" else None,
        **kw,
    )


def fill(path: Path) -> None:
    """Five tickets that cover what the screens must show."""
    store = open_store(path)
    with store.tx() as conn:
        conn.executemany(
            "INSERT INTO accounts (name, connector, channel, address, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                ("shop-mail", "email", "email", "help@shop.example", to_iso(NOW)),
                ("ebay-store", "ebay", "ebay", "shop", to_iso(NOW)),
            ],
        )
    order = OrderSnapshot(
        account="shop",
        external_id="o1",
        number="1001",
        customer=Identity("email", "anna@example.com"),
        status="paid",
        placed_at=NOW - timedelta(days=4),
        total="59.90",
        currency="EUR",
        fulfillment_status="fulfilled",
        carrier="DHL",
        tracking_number="JD0001",
        tracking_url="https://track.example/JD0001",
    )
    mail = [
        message(
            1,
            "anna@example.com",
            "Where is my order #1001?",
            "Hello, my order #1001 has not arrived.\nCan you check?\n\nOn Mon, Bob wrote:\n"
            "> old text\n> more old text",
            timedelta(hours=3),
            name="Anna Berg",
            order_numbers=("1001",),
        ),
        message(
            2,
            "spam@example.com",
            MARKUP_SUBJECT,
            "Click \x1b[31mhere\x1b[0m [link](https://evil.example/x) now",
            timedelta(minutes=30),
            name="[i]Sly[/i]",
        ),
        message(
            3,
            "carl@example.com",
            "Refund for a broken lamp",
            "The lamp arrived broken, I want a refund.",
            timedelta(hours=1),
            name="Carl Diaz",
        ),
        message(
            5,
            "eve@example.com",
            "Change of address",
            "Please ship to my new address.",
            timedelta(minutes=10),
            name="Eve Fox",
        ),
    ]
    ingest_batch(store, "shop-mail", Batch(mail, {}, orders=[order]), now=NOW)
    ebay = [
        message(
            4,
            "buyer_dan",
            "Item not as described",
            "The colour is wrong.",
            timedelta(minutes=90),
            channel="ebay",
            name="Dan",
        )
    ]
    ingest_batch(store, "ebay-store", Batch(ebay, {}), now=NOW)
    actions.tag(store, 1, "wismo", actor="agent:anna", at=NOW)
    actions.assign(store, 3, "anna", actor="agent:anna", at=NOW)
    actions.set_priority(store, 3, "urgent", actor="agent:anna", at=NOW)
    store.close()


def build_app(
    db: Path,
    raw_config: dict | None = None,
    macro_set: MacroSet | None = None,
    *,
    sla_tick: bool = False,
) -> DeskApp:
    """The app over `db` at the frozen moment; SLA ticking off unless a test is about it."""
    config = Config(agent="anna", raw=raw_config or {})
    app = make_app(
        db,
        config,
        sync=False,
        now=lambda: NOW,
        zone=UTC,
        macro_set=macro_set if macro_set is not None else MacroSet(),
        sla_tick=sla_tick,
    )
    return recording(app)


def recording(app: DeskApp) -> DeskApp:
    """`app`, keeping every notification's text in `app.notified` for the assertions."""
    notify = app.notify
    app.notified = []

    def record(message: str, **kwargs) -> None:
        app.notified.append(message)
        notify(message, **kwargs)

    app.notify = record
    return app
