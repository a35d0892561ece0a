"""Importing Maildir and mbox archives: everything arrives once, re-imports add nothing."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.main import app
from deskterm.connectors.email.importer import MAILDIR, MBOX
from deskterm.imports import run_import
from deskterm.store import open_store

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


def fixture_messages() -> list[bytes]:
    return [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]


@pytest.fixture
def maildir(tmp_path) -> Path:
    box = mailbox.Maildir(tmp_path / "Maildir")
    for raw in fixture_messages():
        box.add(raw)
    sub = box.add_folder("Archive")
    sub.add(b"From: old@example.net\nMessage-ID: <old@example.net>\nSubject: archived\n\nold\n")
    return tmp_path / "Maildir"


@pytest.fixture
def mbox(tmp_path) -> Path:
    path = tmp_path / "mail.mbox"
    box = mailbox.mbox(path)
    for raw in fixture_messages():
        box.add(raw)
    box.flush()
    return path


def test_maildir_import_brings_in_every_message_including_subfolders(maildir, store, tmp_path):
    result = run_import(store, MAILDIR, maildir, account="archive", workers=0)
    assert result.added == len(fixture_messages()) + 1
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == result.added
    again = run_import(store, MAILDIR, maildir, account="archive", workers=0)
    assert (again.added, again.duplicates) == (0, result.added)


def test_import_in_worker_processes_gives_the_same_result(maildir, tmp_path):
    inline = open_store(tmp_path / "inline.db")
    parallel = open_store(tmp_path / "parallel.db")
    run_import(inline, MAILDIR, maildir, account="archive", workers=0)
    run_import(parallel, MAILDIR, maildir, account="archive", workers=2)
    query = "SELECT external_id, subject, text FROM messages ORDER BY external_id"
    assert inline.conn.execute(query).fetchall() == parallel.conn.execute(query).fetchall()


def test_mbox_import_is_idempotent(mbox, store):
    first = run_import(store, MBOX, mbox, account="archive", workers=0)
    second = run_import(store, MBOX, mbox, account="archive", workers=0)
    assert first.added == len(fixture_messages())
    assert second.added == 0


def test_cli_imports_a_maildir_and_reports_counts(maildir, tmp_path):
    db = tmp_path / "cli.db"
    result = CliRunner().invoke(app, ["--db", str(db), "import", "maildir", str(maildir)])
    assert result.exit_code == 0, result.output
    assert f"{len(fixture_messages()) + 1} messages added" in result.output
    again = CliRunner().invoke(app, ["--db", str(db), "import", "maildir", str(maildir)])
    assert "0 messages added" in again.output


def test_cli_explains_a_path_that_is_not_a_maildir(tmp_path):
    result = CliRunner().invoke(app, ["import", "maildir", str(tmp_path)])
    assert result.exit_code == 2
    assert "no cur/ or new/" in result.output


def test_a_maildir_import_again_reads_only_new_deliveries(maildir, store, tmp_path, monkeypatch):
    import shutil

    from deskterm.connectors.email import importer

    first = run_import(store, MAILDIR, maildir, account="archive", workers=0)
    # Another client read a message (new/ -> cur/ with a flag) and one more was delivered.
    read = next((maildir / "new").iterdir())
    read.rename(maildir / "cur" / f"{read.name}:2,S")
    box = mailbox.Maildir(maildir)
    box.add(b"From: late@example.net\nMessage-ID: <late@example.net>\nSubject: late\n\nhi\n")
    parsed = []
    real = importer.parse_file
    monkeypatch.setattr(importer, "parse_file", lambda path: parsed.append(path) or real(path))

    again = run_import(store, MAILDIR, maildir, account="archive", workers=0)

    assert (again.added, again.duplicates) == (1, first.added)
    assert len(parsed) == 1 and b"<late@example.net>" in Path(parsed[0]).read_bytes()
    # A copy of the same Maildir elsewhere is read again, and dedupe still adds nothing.
    copy = tmp_path / "copy"
    shutil.copytree(maildir, copy)
    parsed.clear()
    assert run_import(store, MAILDIR, copy, account="archive", workers=0).added == 0
    assert len(parsed) == first.added + 1


def test_account_add_email_stores_settings_but_never_the_password(tmp_path, monkeypatch):
    from deskterm import secrets

    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))
    db = tmp_path / "cli.db"
    args = [
        "--db",
        str(db),
        "account",
        "add",
        "email",
        "shop-mail",
        "--address",
        "help@shop.example",
        "--host",
        "imap.shop.example",
        "--password-stdin",
        "--folder",
        "INBOX",
        "--folder",
        "Amazon",
    ]
    result = CliRunner().invoke(app, args, input="pa55word\n")
    assert result.exit_code == 0, result.output
    assert secrets.get_secret("shop-mail") == "pa55word"
    store = open_store(db)
    row = store.conn.execute("SELECT address, settings FROM accounts").fetchone()
    assert row[0] == "help@shop.example"
    assert '"folders": ["INBOX", "Amazon"]' in row[1]
    assert "pa55word" not in db.read_bytes().decode("latin-1")
    duplicate = CliRunner().invoke(app, args, input="pa55word\n")
    assert duplicate.exit_code == 1 and "--replace" in duplicate.output


def test_account_add_email_keeps_the_mailbox_options_and_refuses_a_bad_since(tmp_path, monkeypatch):
    from deskterm import secrets

    monkeypatch.setattr(secrets, "_keyring", lambda: None)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(tmp_path / "secrets.json"))
    db = tmp_path / "cli.db"
    base = ["--db", str(db), "account", "add", "email", "shop-mail", "--address"]
    base += ["help@shop.example", "--host", "imap.shop.example", "--password-stdin"]
    runner = CliRunner()
    bad = runner.invoke(app, [*base, "--since", "last summer"], input="pw\n")
    assert bad.exit_code == 2 and "2026-10-01" in bad.output
    options = ["--since", "90d", "--mark-seen", "--archive-folder", "Archive"]
    good = runner.invoke(app, [*base, *options], input="pw\n")
    assert good.exit_code == 0, good.output
    assert "the first sync pulls mail of the last 90d" in good.output
    settings = open_store(db).conn.execute("SELECT settings FROM accounts").fetchone()[0]
    assert '"since": "90d"' in settings and '"mark_seen": true' in settings
    assert '"archive_folder": "Archive"' in settings
    everything = runner.invoke(app, [*base, "--since", "all", "--replace"], input="pw\n")
    assert "pulls every message" in everything.output
    settings = open_store(db).conn.execute("SELECT settings FROM accounts").fetchone()[0]
    assert "since" not in settings
    default = runner.invoke(app, [*base, "--replace"], input="pw\n")
    assert "the last 30d" in default.output  # a new account does not open years of old mail


def test_big_mbox_parsed_in_workers_a_few_chunks_ahead_is_stored_in_mailbox_order(
    mbox, store, tmp_path, monkeypatch
):
    from deskterm.connectors.email import importer

    monkeypatch.setattr(importer, "JOB", 2)
    monkeypatch.setattr(importer, "AHEAD", 2)
    result = run_import(store, MBOX, mbox, account="archive", workers=2)
    assert result.added == len(fixture_messages())
    inline = open_store(tmp_path / "inline.db")
    run_import(inline, MBOX, mbox, account="archive", workers=0)
    query = "SELECT external_id FROM messages ORDER BY id"
    assert store.conn.execute(query).fetchall() == inline.conn.execute(query).fetchall()


def test_an_import_settles_every_sla_clock_in_worker_processes(maildir, tmp_path, monkeypatch):
    from deskterm.sla import clocks

    monkeypatch.setattr(clocks, "PARALLEL_SETTLE", 1)  # a process pool even for a few tickets
    monkeypatch.setattr(clocks, "SETTLE_JOB", 2)  # several evaluation jobs, not one
    inline = open_store(tmp_path / "inline.db")
    parallel = open_store(tmp_path / "parallel.db")
    run_import(inline, MAILDIR, maildir, account="archive", workers=0)
    run_import(parallel, MAILDIR, maildir, account="archive", workers=2)
    sla = "SELECT subject, next_deadline, sla_state FROM tickets ORDER BY subject, id"
    settled = parallel.conn.execute(sla).fetchall()
    assert settled == inline.conn.execute(sla).fetchall()
    assert all(state for _, _, state in settled)
    assert parallel.conn.execute("SELECT COUNT(*) FROM sla_unsettled").fetchone() == (0,)
    breaches = "SELECT COUNT(*) FROM events WHERE kind = 'sla_breach'"
    assert parallel.conn.execute(breaches).fetchone() == inline.conn.execute(breaches).fetchone()


def test_an_mbox_of_big_mail_is_parsed_a_few_messages_at_a_time(tmp_path, store, monkeypatch):
    from deskterm.connectors.email import importer

    path = tmp_path / "photos.mbox"
    box = mailbox.mbox(path)
    photo = "x" * 76 + "\n"
    for i in range(12):
        box.add(f"From: a{i}@example.net\nSubject: photo {i}\n\n{photo * 2000}".encode())
    box.flush()
    monkeypatch.setattr(importer, "AHEAD_BYTES", 400_000)  # about 2.5 messages
    windows = []
    real_in_order = importer.pools.in_order

    def watched(pool, work, items, **window):
        windows.append(window)
        return real_in_order(pool, work, items, **window)

    monkeypatch.setattr(importer.pools, "in_order", watched)
    result = run_import(store, MBOX, path, account="archive", workers=1)
    assert result.added == 12
    assert windows[0]["budget"] == 400_000 and windows[0]["weigh"](("abc", None, "")) == 3
    subjects = [r[0] for r in store.conn.execute("SELECT subject FROM messages ORDER BY id")]
    assert subjects == [f"photo {i}" for i in range(12)]


def test_an_import_is_read_by_triage_after_storing_the_same_on_workers_as_inline(
    maildir, tmp_path, monkeypatch
):
    from deskterm import imports, ingest
    from deskterm.store import triage as store_triage

    # Even this small archive takes the bulk path: stored unread, read on the workers.
    monkeypatch.setattr(ingest, "BULK", 1)
    monkeypatch.setattr(imports, "PARALLEL_READ", 1)
    inline = open_store(tmp_path / "inline.db")
    parallel = open_store(tmp_path / "parallel.db")
    run_import(inline, MAILDIR, maildir, account="archive", workers=0)
    run_import(parallel, MAILDIR, maildir, account="archive", workers=2)
    query = "SELECT external_id, lang, intent, mood FROM messages ORDER BY external_id"
    read = inline.conn.execute(query).fetchall()
    assert read == parallel.conn.execute(query).fetchall()
    assert store_triage.unread_count(parallel.conn) == 0
    assert any(intent for _id, _lang, intent, _mood in read)
