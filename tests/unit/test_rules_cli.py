"""`deskterm rules list|check|test|explain|run` as a user runs them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm import actions
from deskterm.cli.main import app
from deskterm.domain import Identity

runner = CliRunner()

WISMO = """name = "wismo"
description = "Where is my order"
when = ["ticket_created"]
then = [{ tag = "wismo" }]
if.all = [{ field = "subject", contains = "where is my order" }]
"""
REMIND = """name = "remind"
when = "schedule"
then = [{ note = "still waiting" }, { tag = "reminded" }]
if.all = [{ field = "status", is = "pending" }, { field = "tags", lacks = "reminded" }]
"""

GREET = """name = "greet"
when = ["ticket_created"]
then = [{ auto_reply = "Thanks, we have it.", per_sender_per_day = 1 }, { assign_round_robin = "billing" }]
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "wismo.toml").write_text(WISMO)
    (rules / "remind.toml").write_text(REMIND)
    monkeypatch.setenv("DESKTERM_RULES", str(rules))
    return rules


def run(*args: str):
    return runner.invoke(app, list(args))


def test_list_shows_the_rules_in_order_with_their_events(folder: Path) -> None:
    result = run("rules", "list")
    assert result.exit_code == 0
    assert "remind" in result.output and "schedule" in result.output
    assert "wismo" in result.output and "Where is my order" in result.output


def test_check_fails_on_a_broken_rule_with_one_line_each(folder: Path) -> None:
    (folder / "bad.toml").write_text('name = "bad"\nwhen = "ticket_created"\nthen = [{ tga = 1 }]')
    result = run("rules", "check")
    assert result.exit_code == 1
    assert "bad.toml" in result.output and "did you mean 'tag'" in result.output
    assert "2 rules loaded, 1 errors" in result.output


def test_the_stock_rules_check_clean() -> None:
    result = run("rules", "check", "--stock", "--rules", "/nonexistent")
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output


def test_test_is_a_dry_run_showing_each_condition(
    folder: Path, db_path, deliver, make_message
) -> None:
    deliver(make_message())
    deliver(make_message(subject="Invoice", sender=Identity("email", "b@x.io")))
    result = run("rules", "test", "wismo", "--since", "3650d", "--db", str(db_path), "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [(r["ticket"], r["matched"]) for r in found] == [(1, True), (2, False)]
    assert "subject contains 'where is my order'" in found[0]["checks"][0]
    one = run("rules", "test", "wismo", "--ticket", "1", "--db", str(db_path))
    assert "#1: matches" in one.output
    assert run("rules", "test", "wismo", "--db", str(db_path)).exit_code == 2


def test_explain_says_a_time_rule_fired_and_waits_to_be_re_armed(
    folder: Path, db_path, store, deliver, make_message
) -> None:
    deliver(make_message())
    actions.set_status(store, 1, "pending", actor="agent:sam")
    assert "remind fired on #1" in run("rules", "run", "--db", str(db_path)).output
    result = run("rules", "explain", "1", "--db", str(db_path))
    assert result.exit_code == 0, result.output
    assert "remind (schedule): does not match now; acted: note at" in result.output
    assert "wismo (ticket_created): matches now; acted: tag at" in result.output
    assert "waits for a change to re-arm" in result.output
    assert "rule:remind" in result.output
    assert (
        run("rules", "explain", "99", "--db", str(db_path))
        .output.strip()
        .endswith("there is no ticket #99")
    )


def test_explain_says_why_a_rule_skipped_an_action(
    folder: Path, db_path, deliver, make_message
) -> None:
    Path(os.environ["DESKTERM_CONFIG"]).write_text(
        '[team]\ncap = 1\ngroups = { billing = ["anna"] }\n'
    )
    (folder / "greet.toml").write_text(GREET)
    deliver(make_message(subject="The first question"))
    deliver(make_message(subject="The second question"))

    first = run("rules", "explain", "1", "--db", str(db_path)).output
    assert "greet (ticket_created): matches now; acted: reply at " in first
    assert "skipped" not in first
    second = run("rules", "explain", "2", "--db", str(db_path))
    assert second.exit_code == 0, second.output
    lines = {line.split(" (")[0]: line for line in second.output.splitlines() if " (" in line}
    assert lines["greet"].startswith("greet (ticket_created): matches now; has not acted")
    assert "; auto_reply skipped at 20" in lines["greet"]
    assert ": already 1 automatic reply to anna@example.com today" in lines["greet"]
    assert "; assign_round_robin skipped at 20" in lines["greet"]
    assert ": nobody of group billing is under the cap of 1 open tickets" in lines["greet"]
    # In the order the rule lists its actions.
    assert lines["greet"].index("auto_reply") < lines["greet"].index("assign_round_robin")
    data = json.loads(run("rules", "explain", "2", "--json", "--db", str(db_path)).output)
    greet = next(r for r in data["rules"] if r["rule"] == "greet")
    assert "auto_reply skipped at" in greet["note"]
