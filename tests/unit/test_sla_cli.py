"""`deskterm sla explain|check|recompute` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from deskterm import actions
from deskterm.cli.main import app
from deskterm.sla import clocks

WED_10 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture(autouse=True)
def fresh_policies():
    clocks.use_policies(None)
    yield
    clocks.use_policies(None)


@pytest.fixture
def late_ticket(store, make_message, deliver):
    """An email that waited, went pending, came back, and got its reply late."""
    deliver(make_message(sent_at=WED_10), at=WED_10)
    actions.set_status(store, 1, "pending", actor="agent:anna", at=WED_10 + timedelta(hours=1))
    actions.set_status(store, 1, "open", actor="agent:anna", at=WED_10 + timedelta(hours=3))
    actions.reply(store, 1, "Here you go", actor="agent:anna", at=WED_10 + timedelta(hours=5))
    return 1


def run(*args: str):
    return runner.invoke(app, list(args))


def test_explain_prints_each_clock_timeline_and_the_policy_chosen(db_path, late_ticket):
    result = run("--db", str(db_path), "sla", "explain", "1", "--now", "2026-11-18T16:00:00Z")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Policy 'email', because it matches every ticket." in text
    assert "first reply: breached (target 2h, used 3h)" in text
    for line in (
        "2026-11-18 10:00:00 UTC (Wed 10:00 Europe/London)  started   first customer message",
        "2026-11-18 11:00:00 UTC (Wed 11:00 Europe/London)  paused    pending",
        "2026-11-18 13:00:00 UTC (Wed 13:00 Europe/London)  resumed   back to work",
        "2026-11-18 14:00:00 UTC (Wed 14:00 Europe/London)  breached  target 2h passed",
        "2026-11-18 15:00:00 UTC (Wed 15:00 Europe/London)  stopped   agent replied",
    ):
        assert line in text


def test_explain_json_gives_scripts_every_clock(db_path, late_ticket):
    result = run(
        "--db", str(db_path), "sla", "explain", "1", "--json", "--now", "2026-11-18T16:00:00Z"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["policy"] == "email"
    assert [(c["clock"], c["state"]) for c in data["clocks"]] == [
        ("first_reply", "breached"),
        ("resolution", "running"),
    ]
    assert data["next_deadline"] == data["clocks"][1]["due"] == "2026-11-23T12:00:00Z"


def test_explain_an_unknown_ticket_says_so(db_path, store):
    result = run("--db", str(db_path), "sla", "explain", "42")
    assert result.exit_code == 1
    assert "there is no ticket #42" in result.output


def test_check_lists_the_policies_in_match_order():
    result = run("sla", "check")
    assert result.exit_code == 0, result.output
    assert "shipped defaults" in result.output
    order = [result.output.index(f"  {name}:") for name in ("amazon", "ebay", "social", "email")]
    assert order == sorted(order)


def test_check_reports_a_bad_config_with_file_key_and_problem(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[[sla.policies]]\nname = "x"\nfirst_reply = "soon"\n', encoding="utf-8")
    result = run("sla", "check", "--config", str(path))
    assert result.exit_code == 2
    assert f"{path}: sla.policies[0].first_reply: must be a duration" in result.output


def test_recompute_applies_edited_policies_to_open_tickets(tmp_path, db_path, store, late_ticket):
    path = tmp_path / "config.toml"
    path.write_text(
        '[[sla.policies]]\nname = "all"\ncalendar = "24/7"\nresolution = "90m"\n', encoding="utf-8"
    )
    result = run(
        "--db",
        str(db_path),
        "sla",
        "recompute",
        "--config",
        str(path),
        "--now",
        "2026-11-18T16:00:00Z",
    )
    assert result.exit_code == 0, result.output
    assert "recomputed 1 open tickets" in result.output
    state = store.conn.execute("SELECT next_deadline, sla_state FROM tickets").fetchone()
    # An hour counted before going pending at 11:00, the other half hour after 13:00.
    assert state == ("2026-11-18T13:30:00Z", "breached")


def test_check_says_when_the_tickets_need_a_recompute(tmp_path, db_path, late_ticket):
    path = tmp_path / "config.toml"
    path.write_text(
        '[[sla.policies]]\nname = "all"\ncalendar = "24/7"\nfirst_reply = "1h"\n', encoding="utf-8"
    )
    before = run("--db", str(db_path), "sla", "check", "--config", str(path), "--json")
    assert json.loads(before.output)["recompute_needed"] is True
    run("--db", str(db_path), "sla", "recompute", "--config", str(path))
    after = run("--db", str(db_path), "sla", "check", "--config", str(path))
    assert after.exit_code == 0, after.output
    assert "recompute" not in after.output


def test_explain_says_when_no_policy_applies(tmp_path, db_path, late_ticket):
    path = tmp_path / "config.toml"
    path.write_text(
        '[[sla.policies]]\nname = "ebay"\nchannels = ["ebay"]\nfirst_reply = "1h"\n',
        encoding="utf-8",
    )
    result = run("--db", str(db_path), "sla", "explain", "1", "--config", str(path))
    assert result.exit_code == 0, result.output
    assert "No SLA policy matches this ticket, so no clock runs." in result.output
