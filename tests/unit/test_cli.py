"""The shell interface: the demo workspace, listing and acting on tickets, clear errors, fast start."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.main import app

NOW = "2026-11-20T12:00:00Z"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    code, _, _ = run("demo", "--seed", "1", "--now", NOW, "--no-open", "--db", str(path))
    assert code == 0
    return path


@pytest.fixture
def work_db(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo workspace for tests that change it."""
    copy = tmp_path / "work.db"
    source, target = sqlite3.connect(demo_db), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return copy


def test_the_demo_is_identical_for_the_same_seed_and_time(tmp_path: Path, demo_db: Path) -> None:
    other = tmp_path / "again.db"
    assert run("demo", "--seed", "1", "--now", NOW, "--no-open", "--db", str(other))[0] == 0

    first = run("list", "--json", "--db", str(demo_db))[1]
    second = run("list", "--json", "--db", str(other))[1]

    assert first == second
    tickets = json.loads(first)
    assert len(tickets) >= 500
    assert {t["channel"] for t in tickets} >= {"email", "ebay", "amazon", "shopify"}
    assert {t["status"] for t in tickets} >= {"new", "open", "pending", "solved"}


def _unmark(path: Path) -> None:
    """Make a copy of the demo an ordinary workspace, as a user's own database is."""
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM meta WHERE key = 'workspace'")
    conn.commit()
    conn.close()


def _ticket_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("where", ["global", "command", "environment"])
def test_the_demo_never_overwrites_a_workspace_it_did_not_build(
    work_db: Path, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unmark(work_db)
    before = work_db.read_bytes()
    args = {
        "global": ["--db", str(work_db), "demo", "--no-open"],
        "command": ["demo", "--no-open", "--db", str(work_db)],
        "environment": ["demo", "--no-open"],
    }[where]
    monkeypatch.setenv("DESKTERM_DB", str(work_db))
    code, _, err = run(*args)
    assert code == 2
    assert f"{work_db} is not a demo workspace" in err and "--db" in err
    assert work_db.read_bytes() == before


def test_the_demo_is_built_in_the_file_deskterm_db_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = tmp_path / "scratch.db"
    monkeypatch.setenv("DESKTERM_DB", str(named))
    code, _, err = run("demo", "--seed", "1", "--now", NOW, "--no-open")
    assert code == 0
    assert f"in {named}" in err
    assert not (tmp_path / "demo.db").exists()
    # Every other command reads the same file from the same setting.
    assert len(json.loads(run("list", "--json")[1])) == _ticket_count(named) >= 500


def test_the_default_demo_file_beside_the_users_database_is_kept(
    work_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESKTERM_DB")
    # No database named: the user's lives in the user data folder, and the demo's beside it.
    folder = Path(os.environ["XDG_DATA_HOME"]) / "deskterm"
    folder.mkdir(parents=True)
    users = folder / "demo.db"
    work_db.rename(users)
    _unmark(users)
    code, _, err = run("demo", "--no-open")
    assert code == 2
    assert str(users) in err
    assert _ticket_count(users) > 0


def test_a_demo_workspace_is_rebuilt_in_place(work_db: Path) -> None:
    conn = sqlite3.connect(work_db)
    conn.execute("DELETE FROM tickets WHERE id > 10")
    conn.commit()
    conn.close()
    code, _, _ = run("--db", str(work_db), "demo", "--no-open", "--now", NOW)
    assert code == 0
    assert _ticket_count(work_db) >= 500


def test_list_filters_with_the_search_language(demo_db: Path) -> None:
    code, out, _ = run("list", "channel:ebay is:active", "--json", "--db", str(demo_db))
    tickets = json.loads(out)
    assert code == 0 and tickets
    assert all(t["channel"] == "ebay" and t["status"] not in ("solved", "closed") for t in tickets)


def test_a_bad_query_exits_2_with_the_reason(demo_db: Path) -> None:
    code, _, err = run("list", "colour:red", "--db", str(demo_db))
    assert code == 2
    assert "colour: is not a search key" in err


def test_show_json_has_the_thread_and_the_events(demo_db: Path) -> None:
    code, out, _ = run("show", "1", "--json", "--db", str(demo_db))
    shown = json.loads(out)
    assert code == 0
    assert shown["ticket"]["id"] == 1
    assert shown["messages"][0]["direction"] == "in"
    assert shown["events"][0]["kind"] == "created"


# Scripts read `deskterm show --json` by these keys: a change of the types behind it keeps them.
SHOW_TICKET_KEYS = {
    "account", "assignee", "channel", "conversation_id", "created_at", "customer_id",
    "customer_name", "escalation", "gid", "id", "identities", "intent", "lang", "last_message_at",
    "merged_into", "mood",
    "next_deadline", "order_id", "priority", "sla_recheck_at", "sla_state", "snoozed_until",
    "status", "subject", "tags", "updated_at", "warn_at",
}  # fmt: skip
SHOW_MESSAGE_KEYS = {
    "attachments", "author_addr", "author_name", "automatic", "delivery", "delivery_error",
    "direction", "html", "id", "message_id", "outbox_id", "sent_at", "subject", "text", "warnings",
}  # fmt: skip
SHOW_EVENT_KEYS = {"actor", "at", "author", "data", "id", "kind", "overrode", "undone_by"}


def test_show_json_keeps_its_keys(demo_db: Path) -> None:
    shown = json.loads(run("show", "1", "--json", "--db", str(demo_db))[1])
    # The orders and the SLA clocks came later, beside the first three.
    assert set(shown) == {"ticket", "messages", "events", "orders", "sla"}
    assert set(shown["ticket"]) == SHOW_TICKET_KEYS
    assert shown["messages"] and all(set(m) == SHOW_MESSAGE_KEYS for m in shown["messages"])
    assert shown["events"] and all(set(e) == SHOW_EVENT_KEYS for e in shown["events"])


def test_search_finds_words_in_messages(demo_db: Path) -> None:
    code, out, _ = run("search", "tracking", "--json", "--db", str(demo_db))
    assert code == 0
    assert json.loads(out)


def test_reply_from_stdin_then_undo(work_db: Path) -> None:
    code, out, _ = run(
        "reply", "1", "--as", "zoe", "--json", "--db", str(work_db), input="Thanks, on it!\n"
    )
    assert code == 0
    assert json.loads(out)["outbox_id"]
    assert run("undo", "--as", "zoe", "--db", str(work_db))[0] == 0
    code, _, err = run("undo", "--as", "zoe", "--db", str(work_db))
    assert code == 1
    assert "nothing to undo" in err


def test_actions_from_the_shell_change_the_ticket(work_db: Path) -> None:
    db = ["--db", str(work_db), "--as", "zoe"]
    active = json.loads(
        run("list", "status:new priority:normal", "--json", "--db", str(work_db))[1]
    )
    ticket = str(active[0]["id"])
    for args in (
        ("priority", ticket, "urgent"),
        ("assign", ticket, "me"),
        ("tag", ticket, "vip", "follow-up"),
        ("escalate", ticket, "--reason", "chargeback threatened"),
        ("snooze", ticket, "4h"),
        ("note", ticket, "--body", "called the carrier"),
        ("resolve", ticket),
    ):
        code, _, err = run(*args, *db)
        assert code == 0, (args, err)
    shown = json.loads(run("show", ticket, "--json", "--db", str(work_db))[1])["ticket"]
    assert (shown["priority"], shown["assignee"], shown["status"]) == ("urgent", "zoe", "solved")
    assert {"vip", "follow-up"} <= set(shown["tags"])


def test_a_bad_value_exits_2_and_says_why(work_db: Path) -> None:
    code, _, err = run("priority", "1", "sky-high", "--db", str(work_db), "--as", "zoe")
    assert code == 2
    assert "'sky-high' is not one of 'low', 'normal', 'high', 'urgent'" in err
    code, _, err = run("status", "1", "done", "--db", str(work_db), "--as", "zoe")
    assert code == 2
    assert "'done' is not one of" in err
    code, _, err = run("snooze", "1", "someday", "--db", str(work_db), "--as", "zoe")
    assert code == 2
    assert "cannot read" in err


def test_a_broken_config_names_file_and_key(tmp_path: Path, demo_db: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[agent]\nname = 42\n")
    result = subprocess.run(
        [sys.executable, "-m", "deskterm", "--config", str(config), "list", "--db", str(demo_db)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert f"{config}: agent.name: must be text" in result.stderr


def test_commands_that_draw_no_tui_never_import_textual(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deskterm", "list", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines()]
    assert "deskterm.cli.main" in imported
    assert not [name for name in imported if name.split(".")[0] == "textual"]


def test_reply_with_a_cc_and_a_cc_that_is_no_address(work_db: Path) -> None:
    code, out, _ = run("reply", "1", "--body", "Copy", "--cc", "d@x.example", "--db", str(work_db))
    assert code == 0 and "reply queued on #1" in out
    code, _, err = run("reply", "1", "--body", "Copy", "--cc", "depot", "--db", str(work_db))
    assert code == 1
    assert err.strip().endswith("Cc 'depot' is not an email address")


def test_reply_with_an_attachment_and_a_missing_one(work_db: Path, tmp_path: Path) -> None:
    invoice = tmp_path / "invoice.txt"
    invoice.write_text("Invoice 1042")
    code, out, _ = run(
        "reply",
        "1",
        "--body",
        "Invoice attached",
        "--attach",
        str(invoice),
        "--as",
        "zoe",
        "--db",
        str(work_db),
    )
    assert code == 0
    assert "with 1 attachment" in out
    code, _, err = run(
        "reply",
        "1",
        "--body",
        "x",
        "--attach",
        str(tmp_path / "nope.pdf"),
        "--as",
        "zoe",
        "--db",
        str(work_db),
    )
    assert code == 2
    assert "cannot attach" in err and "nope.pdf" in err


def test_outbox_lists_waiting_replies_and_cancels_one(work_db: Path) -> None:
    db = ["--db", str(work_db)]
    # The demo's replies have left; this one waits for the next sync.
    assert run("reply", "1", "--body", "On its way", "--as", "zoe", *db)[0] == 0
    code, out, _ = run("outbox", "--json", *db)
    waiting = json.loads(out)
    assert code == 0
    queued = next(item for item in waiting if item["status"] == "queued")

    code, out, _ = run("outbox", "cancel", str(queued["id"]), "--as", "zoe", *db)
    assert (code, out.strip()) == (0, f"outbox item {queued['id']} cancelled")
    remaining = json.loads(run("outbox", "--json", *db)[1])
    assert queued["id"] not in [item["id"] for item in remaining]
    code, _, err = run("outbox", "retry", str(queued["id"]), "--as", "zoe", *db)
    assert code == 1
    assert "only a failed reply is retried" in err


def test_outbox_lists_a_held_reply_as_held_with_what_its_author_may_do(work_db: Path) -> None:
    from deskterm.store import open_store
    from deskterm.store import team as rows

    db = ["--db", str(work_db)]
    assert run("reply", "1", "--body", "On its way", "--as", "zoe", *db)[0] == 0
    queued = next(i for i in json.loads(run("outbox", "--json", *db)[1]) if i["status"] == "queued")
    store = open_store(work_db)
    with store.tx() as conn:  # as the team server's answer to its push leaves it
        conn.execute(
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
            (rows.held_error("ben added a note after you started your reply"), queued["id"]),
        )
    store.close()

    code, out, _ = run("outbox", *db)

    item = queued["id"]
    line = next(x for x in out.splitlines() if x.lstrip().startswith(f"{item} "))
    assert code == 0 and " held " in line and "failed" not in line
    assert "needs attention: ben added a note after you started your reply" in out
    assert (
        f"send it anyway: deskterm outbox retry {item}; drop it: deskterm outbox cancel {item}"
        in out
    )


def test_list_as_json_lines_csv_and_a_count_agree(demo_db: Path) -> None:
    db = ["--db", str(demo_db)]
    tickets = json.loads(run("list", "channel:ebay", "--json", *db)[1])
    lines = run("list", "channel:ebay", "--jsonl", *db)[1].splitlines()
    table = list(csv.DictReader(io.StringIO(run("list", "channel:ebay", "--csv", *db)[1])))
    code, count, _ = run("list", "channel:ebay", "--count", *db)

    assert code == 0 and int(count) == len(tickets) > 0
    assert [json.loads(line) for line in lines] == tickets
    assert [int(row["id"]) for row in table] == [t["id"] for t in tickets]
    assert table[0]["tags"] == " ".join(tickets[0]["tags"])


def test_the_table_fits_the_terminal(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "72")
    code, out, _ = run("list", "--limit", "30", "--db", str(demo_db))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 32  # header, 30 tickets, the count
    assert max(len(line) for line in lines) <= 72
    assert lines[-1] == "30 tickets"


def test_a_usage_error_is_one_line_with_exit_2(demo_db: Path) -> None:
    code, _, err = run("list", "--limit", "0", "--db", str(demo_db))
    assert code == 2
    assert err.count("\n") == 1 and "--limit" in err


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_each_shell(shell: str) -> None:
    code, out, _ = run("completion", shell)
    assert code == 0 and "_DESKTERM_COMPLETE" in out


def test_completion_offers_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deskterm"],
        env={
            **os.environ,
            "_DESKTERM_COMPLETE": "bash_complete",
            "COMP_WORDS": "deskterm se",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
    )
    assert "plain,search" in result.stdout.splitlines()


@pytest.mark.parametrize(
    "args", [["list"], ["show", "1"], ["search", "refund"], ["outbox"], ["list", "--count"]]
)
def test_a_command_that_only_reads_never_creates_a_database(tmp_path: Path, args: list) -> None:
    missing = tmp_path / "typo.db"
    code, _, err = run("--db", str(missing), *args)
    assert code == 2
    assert f"no database at {missing}" in err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ('[sla]\nfirst_reply = "2 hourz"\n', "sla"),
        ("[tui]\ntheme = 7\n", "tui"),
        ('[keymap]\nresolve = "alt+x"\n', "keymap.resolve"),
        ('[[views]]\nname = "x"\nquery = "colour:red"\n', "views"),
        ("[team]\ncap = 0\n", "team.cap"),
        ("[shpo]\nname = 'x'\n", "shpo"),
    ],
)
def test_every_settings_section_is_checked_before_a_command_runs(
    demo_db: Path, tmp_path: Path, settings: str, key: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(settings, encoding="utf-8")
    code, _, err = run("--config", str(path), "list", "--db", str(demo_db))
    assert code == 2
    assert str(path) in err
    assert key in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "command", [["show", "1"], ["outbox"], ["undo", "--as", "zoe"], ["sla", "check"]]
)
def test_a_command_that_never_reads_the_settings_still_checks_them_at_start(
    work_db: Path, tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[sla]\nfirst_reply = "2 hours"\n', encoding="utf-8")
    code, out, err = run("--config", str(path), *command, "--db", str(work_db))
    assert code == 2
    assert out == ""
    assert f"{path}: sla.first_reply" in err


@pytest.mark.parametrize(
    "command",
    [
        ["sla", "explain", "1"],
        ["order", "show", "1042"],
        ["rules", "explain", "1"],
        ["triage", "intents"],
        ["team", "status"],
        ["team", "who"],
    ],
)
def test_a_reading_command_refuses_a_database_that_is_not_there(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "typo.db"
    code, _, err = run(*command, "--db", str(missing))
    assert code == 2
    assert f"no database at {missing}" in err
    assert not missing.exists()


def test_show_gives_the_orders_the_sla_clocks_and_each_replys_delivery(work_db: Path) -> None:
    ticket = (
        sqlite3.connect(work_db)
        .execute("SELECT id FROM tickets WHERE order_id IS NOT NULL AND status = 'new' LIMIT 1")
        .fetchone()[0]
    )
    assert run("reply", str(ticket), "--body", "On its way", "--db", str(work_db))[0] == 0

    code, out, _ = run("show", str(ticket), "--db", str(work_db))
    assert code == 0
    assert "\norder: #" in out
    assert re.search(r"\nSLA \(\w+\): first reply (met|breached)", out)
    assert " · waiting in the outbox " in out

    data = json.loads(run("show", str(ticket), "--json", "--db", str(work_db))[1])
    assert {"ticket", "messages", "events", "orders", "sla"} <= set(data)
    assert data["orders"][0]["linked"] and data["orders"][0]["id"] == data["ticket"]["order_id"]
    assert {c["clock"] for c in data["sla"]["clocks"]} >= {"first_reply", "resolution"}
    assert data["messages"][-1]["delivery"] == "queued"


def test_a_mail_naming_a_demo_order_is_linked_to_it_whoever_sent_it(
    work_db: Path, tmp_path: Path
) -> None:
    import mailbox

    box = mailbox.Maildir(tmp_path / "Maildir")
    for n, (subject, text) in enumerate(
        [("Order #1361 never came", "Still waiting."), ("Where is it?", "My order 99999.")]
    ):
        box.add(
            f"From: New Writer <writer{n}@example.net>\nTo: support@northwind.example\n"
            f"Message-ID: <named{n}@example.net>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n"
            f"Subject: {subject}\n\n{text}\n".encode()
        )
    assert run("--db", str(work_db), "import", "maildir", str(tmp_path / "Maildir"))[0] == 0
    conn = sqlite3.connect(work_db)
    named, unknown = (
        conn.execute("SELECT id FROM tickets WHERE subject = ?", (s,)).fetchone()[0]
        for s in ("Order #1361 never came", "Where is it?")
    )
    conn.close()

    data = json.loads(run("show", str(named), "--json", "--db", str(work_db))[1])
    assert data["orders"][0]["number"] == "#1361" and data["orders"][0]["linked"]
    data = json.loads(run("show", str(unknown), "--json", "--db", str(work_db))[1])
    assert data["ticket"]["order_id"] is None and data["orders"] == []


def test_undo_says_what_it_undid_on_which_ticket(work_db: Path) -> None:
    def undo(*extra: str) -> str:
        code, out, err = run("undo", "--as", "zoe", *extra, "--db", str(work_db))
        assert code == 0, err
        return out.strip()

    run("tag", "7", "vip", "--as", "zoe", "--db", str(work_db))
    assert undo() == "undid the tag vip on #7"
    run("priority", "7", "low", "--as", "zoe", "--db", str(work_db))
    run("reply", "7", "--body", "Hello", "--as", "zoe", "--db", str(work_db))
    assert undo() == "undid the reply on #7; its text is back in the draft"
    said = json.loads(undo("--json"))
    assert said["ticket"] == 7 and said["undone"] == "priority"
    assert said["said"].startswith("undid the priority low (back to ") and said["event_id"]


def test_a_change_that_changes_nothing_is_said_in_the_commands_words(work_db: Path) -> None:
    code, _, err = run("snooze", "1", "off", "--db", str(work_db), "--as", "zoe")
    assert code == 1
    assert "ticket #1 is not snoozed" in err
    assert "snoozed_until" not in err


def test_sync_json_is_one_document_with_every_account(work_db: Path) -> None:
    code, out, _ = run("sync", "--json", "--db", str(work_db))
    assert code == 0
    reports = json.loads(out)
    assert sorted(r["account"] for r in reports) == [
        "amazon-seller",
        "ebay-store",
        "shopify-store",
        "support-mail",
    ]


def test_sync_exits_1_when_a_reply_was_refused(
    work_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskterm.sync import engine

    refused = [engine.AccountReport("support-mail", sent=2, failed=1)]
    monkeypatch.setattr(engine, "run_once", lambda store, only=None: refused)
    code, out, _ = run("sync", "--db", str(work_db))
    assert code == 1
    assert "support-mail: 0 new, 2 sent, 1 failed" in out


def test_the_search_language_reads_as_a_newcomer_types_it(demo_db: Path) -> None:
    def ids(*args: str) -> set[int]:
        code, out, err = run(*args, "--json", "--db", str(demo_db))
        assert code == 0, err
        return {t["id"] for t in json.loads(out)}

    number = sqlite3.connect(demo_db).execute("SELECT MIN(number) FROM orders").fetchone()[0]
    with_hash = ids("list", f"order:{number}")
    assert with_hash and ids("list", f"order:{number.lstrip('#')}") == with_hash
    assert ids("list", "channel:Ebay") == ids("list", "channel:ebay") != set()
    others = ids("list", "-channel:ebay is:active")
    assert others and others.isdisjoint(ids("list", "channel:ebay"))
    refund, damaged = (ids("search", word, "--limit", "5000") for word in ("refund", "damaged"))
    assert ids("search", "refund OR damaged", "--limit", "5000") == refund | damaged > refund


def test_a_broken_section_stops_a_command_that_reads_the_settings(
    tmp_path: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sla]\ncalendars = "none"\n')
    monkeypatch.setenv("DESKTERM_CONFIG", str(config))
    code, _, err = run("list", "--count", "--db", str(demo_db))
    assert code == 2 and f"{config}: sla.calendars" in err
