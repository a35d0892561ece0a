"""`deskterm order ...` on a synced shop: show from the store, act through the shop."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.main import app
from deskterm.sync import engine

from .fake_shopify import seed
from .fake_shopify.roots import FULFILLED_ADDRESS_ERROR

pytestmark = pytest.mark.integration


@pytest.fixture
def synced(fake_shopify, shopify_account, store, make_message, deliver) -> int:
    """Anna's #1042 (shipped) synced into the store, and her ticket about it."""
    shop = fake_shopify.shop
    buyer = seed.customer(shop, 7, "anna@example.com", "Anna Adams", tags=["vip"])
    seed.order(shop, 1042, buyer, placed=shop.now() - timedelta(days=3), fulfilled=True)
    engine.sync_account(store, shopify_account())
    deliver(make_message(order_numbers=("#1042",)))
    return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]


def cli(db_path: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db_path), *args])


def test_order_show_prints_the_order_in_full_from_the_store(synced, fake_shopify, db_path) -> None:
    asked = len(fake_shopify.operations)
    result = cli(db_path, "order", "show", "1042")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "#1042 · open · paid · fulfilled · 83.80 EUR"
    assert "  2 × Wool scarf  19.95" in lines
    assert "  Anna Adams, Hauptstr. 1, 10115 Berlin, BE, DE" in lines
    assert "  https://dhl.example/track/JD000000001042" in lines
    assert "Anna Adams · 1 orders · 83.80 EUR spent" in lines
    assert len(fake_shopify.operations) == asked  # offline


def test_refund_dry_run_prints_shopifys_preview_and_changes_nothing(
    synced, fake_shopify, db_path
) -> None:
    result = cli(db_path, "order", "refund", "#1042", "--item", "1:1", "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "Shopify suggests refunding 19.95 EUR on #1042 to shopify_payments:",
        "  1 × Wool scarf  19.95",
    ]
    assert fake_shopify.mutations.refunds_created == 0


def test_refund_with_yes_refunds_and_says_where_it_is_recorded(
    synced, fake_shopify, db_path
) -> None:
    result = cli(db_path, "order", "refund", "#1042", "--item", "2", "--yes", "--json")

    assert result.exit_code == 0, result.output
    answer = json.loads(result.output.splitlines()[-1])
    assert (answer["status"], answer["ticket"]) == ("done", synced)
    assert answer["outcome"] == "refunded 39.00 EUR on #1042 (1 × Leather wallet)"
    assert fake_shopify.mutations.refunds_created == 1
    # The store has the order as the shop has it now, without waiting for a sync.
    shown = json.loads(cli(db_path, "order", "show", "1042", "--json").output)["order"]
    assert (shown["financial_status"], len(shown["refunds"])) == ("partially_refunded", 1)


def _raw(store, table: str, where: str, value: str) -> dict:
    """A row as SQLite has it, its JSON columns decoded: what `order show --json` prints."""
    cursor = store.conn.execute(f"SELECT * FROM {table} WHERE {where} = ?", (value,))
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    for column in ("items", "tags", "fulfillments", "refunds", "shipping_address"):
        if column in row:
            row[column] = json.loads(row[column]) if row[column] else None
    return row


def test_order_show_json_prints_the_stored_order_and_buyer_byte_for_byte(
    synced, store, db_path
) -> None:
    cli(db_path, "order", "refund", "#1042", "--item", "2", "--yes")
    order = _raw(store, "orders", "number", "#1042")
    buyer = _raw(store, "customer_profiles", "external_id", order["customer_ref"])

    shown = cli(db_path, "order", "show", "1042", "--json")

    assert shown.exit_code == 0, shown.output
    assert shown.output == json.dumps({"order": order, "buyer": buyer}) + "\n"
    assert order["shipping_address"] and order["fulfillments"] and order["refunds"]
    assert buyer["tags"] == ["vip"]


def test_a_refused_action_exits_1_with_shopifys_reason(synced, db_path) -> None:
    result = cli(db_path, "order", "address", "#1042", "--address1", "Neue Str. 5", "--yes")

    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"failed: Shopify refused the address change on #1042: {FULFILLED_ADDRESS_ERROR}"
        f" (ticket #{synced})"
    )


def test_an_order_that_is_not_stored_is_one_line(store, db_path) -> None:
    result = cli(db_path, "order", "show", "#9999")
    assert result.exit_code == 1
    assert result.output == "deskterm: no order #9999 is stored; sync the shop's account first\n"
