"""Signing in to a shop, and what a person is told when Shopify refuses or slows down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import connector_calls, secrets
from deskterm.cli.main import app
from deskterm.connector import PermanentError
from deskterm.connectors.shopify import ShopifyConnector
from deskterm.store import open_store
from deskterm.sync import engine

from .fake_shopify import seed

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _secrets_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))


def cli(db_path: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["--db", str(db_path), *args], input=stdin)


def test_account_add_keeps_the_client_credentials_in_the_keyring_and_test_lists_scopes(
    fake_shopify, db_path
) -> None:
    client_id, secret = fake_shopify.client()
    fake_shopify.shop.scopes -= {"write_draft_orders"}

    added = cli(
        db_path,
        "account", "add", "shopify", "shop", "--shop", "fake.myshopify.com",
        "--api-url", fake_shopify.url, "--password-stdin",
        stdin=f"{client_id}\n{secret}\n",
    )  # fmt: skip
    tested = cli(db_path, "account", "test", "shop")

    assert added.exit_code == 0, added.output
    assert "client id, client secret stored in:" in added.output
    settings = open_store(db_path).conn.execute("SELECT settings FROM accounts").fetchone()[0]
    assert secret not in settings and client_id not in settings
    assert json.loads(settings)["auth"] == "client_credentials"
    assert tested.exit_code == 0, tested.output
    assert "ok: Fake Shop (fake.myshopify.com, EUR) via client credentials" in tested.output
    assert "ok: replacement orders: missing write_draft_orders" in tested.output
    assert "ok: refund, cancel, address, note and tags: ready" in tested.output


def test_an_admin_token_account_signs_in_with_its_token(fake_shopify, db_path) -> None:
    token = fake_shopify.admin_token()
    cli(
        db_path,
        "account", "add", "shopify", "old", "--shop", "fake.myshopify.com", "--auth",
        "admin-token", "--api-url", fake_shopify.url, "--password-stdin",
        stdin=f"{token}\n",
    )  # fmt: skip

    tested = cli(db_path, "account", "test", "old")

    assert tested.exit_code == 0, tested.output
    assert "via admin API token" in tested.output
    assert fake_shopify.tokens_minted == 0


def test_a_shop_that_is_not_a_myshopify_address_is_refused_in_one_line(db_path) -> None:
    result = cli(db_path, "account", "add", "shopify", "s", "--shop", "shop.example.com")
    assert result.exit_code == 2
    assert result.output == (
        "deskterm: --shop must be the shop's x.myshopify.com address, not 'shop.example.com'\n"
    )


def test_an_expired_client_credentials_token_is_renewed_without_a_failed_action(
    fake_shopify, shopify_account, store, make_message, deliver
) -> None:
    shop = fake_shopify.shop
    buyer = seed.customer(shop, 7, "anna@example.com", "Anna Adams")
    seed.order(shop, 1042, buyer, placed=shop.now())
    shopify_account(auth="client_credentials")
    deliver(make_message())
    ticket = store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
    connector_calls.run(
        store, ticket, "shopify.tag", {"order": "#1042", "tags": "a"}, confirmed_by="agent:anna"
    )
    fake_shopify.expire_tokens()

    call = connector_calls.run(
        store, ticket, "shopify.tag", {"order": "#1042", "tags": "b"}, confirmed_by="agent:anna"
    )

    assert call.status == "done", call.outcome
    assert fake_shopify.tokens_minted == 2
    assert shop.orders["gid://shopify/Order/1042"].tags == ["a", "b"]


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (402, "the owner must settle it in the Shopify admin under Settings > Billing"),
        (403, "`deskterm account test shop` lists the scopes each feature needs"),
        (423, "its owner must contact Shopify support to unlock it"),
    ],
)
def test_a_frozen_forbidden_or_locked_shop_is_named_with_the_fix(
    fake_shopify, shopify_account, store, status: int, fix: str
) -> None:
    fake_shopify.fail_next(status, {"errors": "Unavailable Shop"})

    report = engine.sync_account(store, shopify_account())

    assert report.state == "error"
    assert report.error.startswith("fake.myshopify.com: ")
    assert fix in report.error
    assert "Unavailable Shop" in report.error


def test_throttled_queries_wait_for_the_bucket_and_no_throttle_reaches_the_user(
    fake_shopify, shopify_account, store
) -> None:
    seed.backfill(fake_shopify.shop, 60)
    # A bucket just big enough for one full page: each next page waits for points to return.
    fake_shopify.bucket.maximum = 1000.0
    fake_shopify.bucket.restore_rate = 2000.0
    fake_shopify.error_next("THROTTLED", "Throttled")

    report = engine.sync_account(store, shopify_account())

    assert report.state == "online", report.error
    assert store.conn.execute("SELECT COUNT(*) FROM orders").fetchone() == (60,)
    # Only the forced one: the client waited for the bucket instead of being refused.
    assert fake_shopify.throttled == 0


def test_access_denied_names_the_shop_and_the_way_to_find_the_missing_scope(
    fake_shopify, shopify_account
) -> None:
    fake_shopify.error_next("ACCESS_DENIED", "Access denied for orders field.")
    connector = ShopifyConnector(shopify_account())

    with pytest.raises(PermanentError) as refused:
        list(connector.pull({}))

    assert str(refused.value) == (
        "fake.myshopify.com: Shopify denied CustomersPage (Access denied for orders field.);"
        " `deskterm account test shop` lists the scopes each feature needs"
    )
