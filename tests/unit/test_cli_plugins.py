"""A connector brings its own `account add` options and importers; core only reads its declarations."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import deskterm.cli
from deskterm import connector, secrets
from deskterm.cli.main import app
from deskterm.connector import (
    Connector,
    ConnectorError,
    Field,
    Importer,
    ImportRequest,
    ImportStream,
    NewAccount,
    SourceError,
)
from deskterm.domain import Identity, InboundMessage
from deskterm.store import open_store

READ: list[ImportRequest] = []


def _read_orders(request: ImportRequest) -> ImportStream:
    if request.path.suffix != ".csv":
        raise SourceError(f"{request.path} is not a CSV file")
    READ.append(request)
    ids = request.path.read_text().split()

    def messages():
        for external_id in ids:
            yield InboundMessage(
                account=request.account,
                external_id=external_id,
                channel="email",
                sender=Identity("email", "anna@example.com"),
                sender_name="Anna Adams",
                sent_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
                subject=f"Order {external_id}",
                text="Where is it?",
            )

    return ImportStream(messages(), len(ids))


class ShopConnector(Connector):
    name = "shop"
    channel = "shopify"
    account_help = "Add a shop; its token goes to the keyring."
    account_fields = (
        Field("domain", "The shop's domain.", prompt="Shop domain"),
        Field("api-version", "API version.", default="2026-01", choices=("2026-01", "2025-10")),
        Field("location", "Stock location (repeatable).", multiple=True),
        Field("webhooks", "Subscribe to webhooks.", type=bool, default=True),
    )
    importers = (Importer("orders-csv", "Import order mail ids.", "A CSV file.", _read_orders),)

    @classmethod
    def new_account(cls, name: str, values: dict[str, Any], today: date) -> NewAccount:
        if "." not in values["domain"]:
            raise ConnectorError(f"{values['domain']!r} is not a shop domain")
        return NewAccount(
            address=values["domain"],
            settings={k: values[k] for k in ("api_version", "location", "webhooks")},
            secret="token",
            notes=(f"orders of {values['domain']} are read, never changed",),
        )


@pytest.fixture(autouse=True)
def _only_the_shop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(connector, "registry", lambda: {"shop": ShopConnector})
    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def test_account_add_takes_the_options_the_connector_declares(db_path: Path) -> None:
    result = invoke(
        "--db", str(db_path), "account", "add", "shop", "north", "--domain", "north.example",
        "--api-version", "2025-10", "--location", "A", "--location", "B", "--no-webhooks",
        "--password-stdin", input="tok3n\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "account north added (north.example); token stored in:" in result.output
    assert "orders of north.example are read, never changed" in result.output
    assert secrets.get_secret("north") == "tok3n"
    row = (
        open_store(db_path)
        .conn.execute("SELECT connector, channel, address, settings FROM accounts")
        .fetchone()
    )
    assert row[:3] == ("shop", "shopify", "north.example")
    assert json.loads(row[3]) == {
        "api_version": "2025-10",
        "location": ["A", "B"],
        "webhooks": False,
    }


def test_account_add_refuses_a_bad_choice_and_what_the_connector_refuses(db_path: Path) -> None:
    base = ["--db", str(db_path), "account", "add", "shop", "north", "--password-stdin"]
    bad_choice = invoke(*base, "--domain", "north.example", "--api-version", "1999", input="t\n")
    refused = invoke(*base, "--domain", "localhost", input="t\n")

    assert bad_choice.exit_code == 2
    assert "--api-version must be one of 2026-01, 2025-10, not '1999'" in bad_choice.output
    assert refused.exit_code == 2 and "'localhost' is not a shop domain" in refused.output
    assert refused.output.count("\n") == 1  # one line


def test_account_add_lists_the_connectors_that_offer_it() -> None:
    result = invoke("account", "add", "--help")
    assert result.exit_code == 0
    assert "shop" in result.output and "Add a shop" in result.output
    assert "email" not in result.output


def test_an_importer_of_a_connector_feeds_core_ingest(db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("o-1 o-2 o-3")
    result = invoke("--db", str(db_path), "import", "orders-csv", str(source), "--account", "north")
    again = invoke("--db", str(db_path), "import", "orders-csv", str(source), "--account", "north")
    wrong = invoke("--db", str(db_path), "import", "orders-csv", str(tmp_path / "x.txt"))

    assert result.exit_code == 0, result.output
    assert "3 messages added" in result.output
    assert "0 messages added (0 new tickets), 3 already there" in again.output
    assert READ[-1].account == "north" and READ[-1].attachments_dir.name == "attachments"
    assert wrong.exit_code == 2 and "is not a CSV file" in wrong.output


def test_help_and_search_load_no_connector(tmp_path: Path) -> None:
    open_store(tmp_path / "x.db").close()
    for args in (["--help"], ["search", "refund", "--db", str(tmp_path / "x.db")]):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "deskterm", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
        heavy = {"deskterm.connectors", "deskterm.actions", "rich", "sqlite_utils", "textual"}
        assert not imported & heavy, args


def test_the_command_line_runs_no_sql_of_its_own() -> None:
    cli = Path(deskterm.cli.__file__).parent
    found = [
        f"{p.name}:{n}"
        for p in sorted(cli.glob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "execute(" in line
    ]
    assert not found, f"SQL belongs in deskterm.store: {found}"
