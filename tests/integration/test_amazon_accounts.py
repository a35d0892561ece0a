"""`deskterm account add amazon` keeps the LWA credentials in the keyring; `account test` says
which of the app's roles work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import secrets
from deskterm.cli.main import app
from deskterm.store import open_store

from .amazon_fake import CLIENT_ID, CLIENT_SECRET, MARKETPLACE, REFRESH_TOKEN

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _secrets_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))


def _add(db_path: Path, name: str, *options: str):
    credentials = f"{CLIENT_ID}\n{CLIENT_SECRET}\n{REFRESH_TOKEN}\n"
    args = ["--db", str(db_path), "account", "add", "amazon", name, *options, "--password-stdin"]
    return CliRunner().invoke(app, args, input=credentials)


def test_an_amazon_account_keeps_its_three_credentials_in_the_keyring(amazon_api, db_path) -> None:
    result = _add(db_path, "amz-uk", "--region", "eu", "--marketplace", MARKETPLACE)
    assert result.exit_code == 0, result.output
    assert "account amz-uk added (amazon.co.uk); client id, client secret, refresh token" in (
        result.output
    )
    assert "the first sync pulls orders changed in the last 30 days" in result.output
    assert secrets.get_secret("amz-uk", "refresh_token") == REFRESH_TOKEN
    assert secrets.get_secret("amz-uk", "client_id") == CLIENT_ID
    settings = open_store(db_path).conn.execute("SELECT settings FROM accounts").fetchone()[0]
    assert json.loads(settings) == {"region": "eu", "marketplace": MARKETPLACE, "since_days": 30}
    assert REFRESH_TOKEN not in settings and CLIENT_SECRET not in settings


def test_a_marketplace_of_another_region_is_refused_in_one_line(db_path) -> None:
    result = _add(db_path, "amz", "--region", "na", "--marketplace", MARKETPLACE)
    assert result.exit_code == 2
    assert result.output == ("deskterm: marketplace A1F83G8C2ARO7P (GB) is served by region eu\n")


def test_account_test_reports_what_the_apps_roles_allow(amazon_api, db_path) -> None:
    base = amazon_api.base_url
    _add(
        db_path, "amz-uk", "--region", "eu", "--marketplace", MARKETPLACE,
        "--endpoint", base, "--token-url", f"{base}/auth/o2/token",
    )  # fmt: skip
    amazon_api.roles = {"orders", "messaging"}
    result = CliRunner().invoke(app, ["--db", str(db_path), "account", "test", "amz-uk"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "ok: orders API: allowed (Inventory and Order Tracking role)",
        "ok: messaging API: allowed (Buyer Communication role)",
        "deskterm: amz-uk: the app may not use: solicitations (Buyer Solicitation role)",
    ]
