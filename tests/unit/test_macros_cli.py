"""`deskterm macro ...`: what a person or a script sees, and what lands in the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import ingest
from deskterm.cli.main import app
from deskterm.domain import Batch, Identity, OrderSnapshot
from deskterm.store import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    Path(os.environ["DESKTERM_CONFIG"]).write_text(
        '[agent]\nname = "Sam"\n\n[shop]\nname = "Hatbox"\nsignature = "Sam at Hatbox"\n',
        encoding="utf-8",
    )
    folder = tmp_path / "my-macros"
    folder.mkdir()
    monkeypatch.setenv("DESKTERM_MACROS", str(folder))
    return folder


@pytest.fixture
def ticket(store: Store, make_message) -> int:
    shipped = OrderSnapshot(
        account="shop",
        external_id="gid-1",
        number="#1001",
        customer=Identity("email", "anna@example.com"),
        status="paid",
        placed_at=NOW - timedelta(days=2),
        total="59.00",
        currency="EUR",
        carrier="DHL",
        tracking_url="https://track.example/JD0001",
    )
    msg = make_message(order_numbers=("#1001",))
    ingest.ingest_batch(store, "mail", Batch([msg], {}, orders=[shipped]), now=NOW)
    return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]


def run(db_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db_path), "macro", *args])
    return result.exit_code, result.stdout, result.stderr


def count(store: Store, table: str) -> int:
    return store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_check_passes_on_the_stock_pack(db_path: Path) -> None:
    code, out, _ = run(db_path, "check")
    assert code == 0
    assert "0 errors" in out


def test_check_fails_and_names_the_clash(db_path: Path, settings: Path) -> None:
    (settings / "mine.toml").write_text('name = "mine"\nkey = "w"\nnote = "x"', encoding="utf-8")
    (settings / "oops.toml").write_text('reply = "{{ ordr.number }}"', encoding="utf-8")
    code, out, _ = run(db_path, "check", "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    messages = " ".join(p["message"] for p in problems)
    assert "key 'w' is already bound to macro mine; wismo is left without a key" in messages
    assert "did you mean 'order'" in messages


@pytest.mark.parametrize("as_json", [[], ["--json"]])
def test_list_fails_when_a_user_macro_is_broken(
    db_path: Path, settings: Path, as_json: list[str]
) -> None:
    (settings / "oops.toml").write_text('reply = "{{ ordr.number }}"', encoding="utf-8")
    code, out, err = run(db_path, "list", *as_json)
    assert code == 1
    assert "oops.toml" in err
    assert "wismo" in out


def test_list_shows_every_macro_with_its_key(db_path: Path) -> None:
    code, out, _ = run(db_path, "list", "--json")
    assert code == 0
    listed = {m["name"]: m for m in json.loads(out)}
    assert listed["wismo"]["key"] == "w" and listed["wismo"]["bound"]
    assert len(listed) >= 12


def test_list_and_show_carry_a_snooze_moment_as_text(db_path: Path, settings: Path) -> None:
    (settings / "later.toml").write_text(
        'note = "x"\nactions = [{ snooze = 2030-01-02T09:00:00Z }]', encoding="utf-8"
    )
    code, out, _ = run(db_path, "list", "--json")
    assert code == 0
    listed = {m["name"]: m for m in json.loads(out)}
    assert listed["later"]["actions"] == [{"snooze": "2030-01-02T09:00:00Z"}]
    code, out, _ = run(db_path, "show", "later")
    assert code == 0
    assert '{"snooze": "2030-01-02T09:00:00Z"}' in out


def test_show_renders_the_macro_for_a_ticket(db_path: Path, ticket: int) -> None:
    code, out, _ = run(db_path, "show", "wismo", "--ticket", str(ticket))
    assert code == 0
    assert "{{ order.tracking_url }}" in out
    assert "https://track.example/JD0001" in out
    assert "set status to pending" in out


def test_apply_queues_the_reply_and_writes_the_events(
    db_path: Path, store: Store, ticket: int
) -> None:
    code, out, _ = run(db_path, "apply", "wismo", "--ticket", str(ticket), "--json")
    assert code == 0
    result = json.loads(out)
    assert [e["kind"] for e in result["events"]] == ["reply", "status", "tag"]
    assert {e["actor"] for e in result["events"]} == {"macro:wismo"}
    assert result["events"][0]["outbox"]["status"] == "queued"
    body = json.loads(store.conn.execute("SELECT payload FROM outbox").fetchone()[0])["body"]
    assert "https://track.example/JD0001" in body
    assert body.endswith("Sam\nSam at Hatbox")


def test_apply_as_another_agent_signs_with_their_name(db_path: Path, ticket: int) -> None:
    code, out, _ = run(
        db_path, "apply", "wismo", "-t", str(ticket), "--agent", "Lee", "--dry-run", "--json"
    )
    assert code == 0
    assert "\nLee\nSam at Hatbox" in json.loads(out)["text"]


def test_dry_run_changes_nothing(db_path: Path, store: Store, ticket: int) -> None:
    before = count(store, "events")
    code, out, _ = run(db_path, "apply", "wismo", "--ticket", str(ticket), "--dry-run")
    assert code == 0
    assert "Hi Anna," in out and "set status to pending" in out
    assert count(store, "events") == before
    assert count(store, "outbox") == 0


def test_a_missing_placeholder_fails_with_its_name(
    db_path: Path, store: Store, ticket: int
) -> None:
    store.conn.execute("UPDATE orders SET tracking_url = ''")
    code, _, err = run(db_path, "apply", "wismo", "--ticket", str(ticket))
    assert code == 1
    assert "order.tracking_url has no value" in err
    assert count(store, "outbox") == 0


def test_a_connector_action_is_refused_without_yes(
    db_path: Path, store: Store, ticket: int
) -> None:
    before = count(store, "events")
    code, _, err = run(db_path, "apply", "refund-order", "--ticket", str(ticket))
    assert code == 3
    assert "pass --yes to confirm" in err
    assert count(store, "events") == before


def test_an_unknown_macro_suggests_the_closest(db_path: Path, ticket: int) -> None:
    code, _, err = run(db_path, "apply", "wimso", "--ticket", str(ticket))
    assert code == 1
    assert "did you mean wismo" in err


def test_undo_reverts_the_whole_application(db_path: Path, store: Store, ticket: int) -> None:
    applied = run(db_path, "apply", "damaged-item", "--ticket", str(ticket))
    assert applied[0] == 0, applied[2]
    assert "reply, outbox #1 queued" in applied[1]
    assert "applied damaged-item to ticket #1 (4 events)" in applied[1]
    code, out, _ = run(db_path, "undo", "damaged-item")
    assert code == 0
    assert "undid 4 steps" in out
    status, priority = store.conn.execute("SELECT status, priority FROM tickets").fetchone()
    assert (status, priority) == ("new", "normal")
    assert store.conn.execute("SELECT status FROM outbox").fetchone()[0] == "cancelled"


def test_the_macro_engine_and_commands_never_import_textual() -> None:
    code = (
        "import sys, deskterm.macros, deskterm.cli.macros, deskterm.cli.main;"
        "sys.exit('textual' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_check_warns_about_my_macros_not_reviewed_in_a_quarter(
    db_path: Path, settings: Path
) -> None:
    from datetime import date

    today = date.today().isoformat()
    (settings / "old.toml").write_text('note = "x"\nreviewed = 2025-01-06\n', encoding="utf-8")
    (settings / "fresh.toml").write_text(f'note = "x"\nreviewed = {today}\n', encoding="utf-8")
    (settings / "never.toml").write_text('note = "x"\n', encoding="utf-8")
    code, out, err = run(db_path, "check")
    assert code == 0  # warnings do not fail the check
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert any("macro old: not reviewed for" in w and "(last 2025-01-06)" in w for w in warnings)
    assert any("macro never: has no reviewed date" in w for w in warnings)
    assert "1 errors" not in out and "2 warnings" in out
