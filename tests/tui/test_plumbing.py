"""The parts under the screens: paging, drafts, import hygiene, sync and SLA in the background."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from helpers import notifications, settle, until
from workspace import NOW, build_app

import deskterm.tui
from deskterm.domain import Attachment, Message
from deskterm.store import drafts, open_store, queries
from deskterm.store.filters import parse
from deskterm.tui import queue_source
from deskterm.tui.queue_source import QueueSource


def test_walking_the_queue_by_index_matches_one_big_read(db, monkeypatch):
    monkeypatch.setattr(queue_source, "PAGE", 2)
    store = open_store(db)
    everything = [r.id for r in queries.queue_page(store, parse(""), NOW, limit=1000)]
    forwards = QueueSource(store, lambda: NOW)
    assert [forwards.row(i).id for i in range(forwards.exact_count())] == everything
    backwards = QueueSource(store, lambda: NOW)
    total = backwards.exact_count()
    assert [backwards.row(i).id for i in reversed(range(total))] == everything[::-1]
    assert backwards.row(total) is None


def test_the_count_is_provisional_until_settled_and_stale_counts_are_ignored(db, monkeypatch):
    monkeypatch.setattr(queue_source, "PAGE", 2)
    source = QueueSource(open_store(db), lambda: NOW)
    assert source.count == 4  # two rows read, a full page: at least one page more
    generation = source.generation
    source.invalidate()
    assert not source.settle_count(generation, 99)
    assert source.settle_count(source.generation, 5)
    assert source.count == 5


def test_drafts_are_kept_per_ticket_and_kind(db):
    store = open_store(db)
    drafts.save(store, 1, "reply", "Dear Anna", NOW)
    drafts.save(store, 1, "note", "check DHL", NOW)
    assert drafts.load(store, 1, "reply") == "Dear Anna"
    assert drafts.kinds_with_drafts(store, 1) == ["note", "reply"]
    drafts.save(store, 1, "reply", "  ", NOW)
    assert drafts.kinds_with_drafts(store, 1) == ["note"]
    drafts.discard(store, 1, "note")
    assert drafts.load(store, 1, "note") == ""


def test_the_headless_tui_modules_do_not_import_textual():
    code = (
        "import sys; import deskterm.keys, deskterm.views, deskterm.notices.clock, "
        "deskterm.tui.queue_source, deskterm.durations, deskterm.store.drafts, deskterm.macros; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_a_failing_account_shows_its_error_in_the_header_and_the_app_keeps_going(db):
    store = open_store(db)
    with store.tx() as conn:
        conn.execute(
            "UPDATE accounts SET connector = 'no-such-connector' WHERE name = 'ebay-store'"
        )
        conn.execute("DELETE FROM accounts WHERE name = 'shop-mail'")
    store.close()
    app = build_app(db)
    app.sync_enabled = True
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.start_sync()

        def failed_and_said() -> bool:
            app.ticker.tick()
            header = str(app.screen.query_one("#status").render())
            return "✕" in header and any("no-such-connector" in n for n in notifications(app))

        await until(pilot, failed_and_said, "the sync failure in the header and a notification")
        assert "✕ ebay-store" in str(app.screen.query_one("#status").render())
        await pilot.press("j")
        assert app.screen.queue.cursor == 1


async def test_sla_states_that_change_with_time_are_stored_in_the_background(db):
    app = build_app(db, sla_tick=True)
    app.now = lambda: NOW + timedelta(minutes=1)  # ticket 3's first reply was due at NOW
    async with app.run_test(size=(120, 30)) as pilot:
        await until(
            pilot, lambda: queries.ticket(app.store, 3).sla_state == "breached", "#3 breached"
        )


async def test_a_failing_background_read_is_reported_and_the_app_keeps_running(app, monkeypatch):
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        monkeypatch.setattr("deskterm.tui.screens.queue.queue_count", broken)
        app.screen.refresh_counts()
        await until(pilot, lambda: notifications(app), "the failure said")
        assert notifications(app) == ["counts: database is locked"]
        await pilot.press("j")
        assert app.screen.queue.cursor == 1


async def test_a_reply_typed_in_the_tui_is_sent_by_the_background_sync(tmp_path):
    from deskterm.demo import build_demo

    path = tmp_path / "demo.db"
    store = open_store(path)
    build_demo(store, seed=3, now=NOW, tickets=12)
    store.close()
    app = build_app(path)
    app.sync_enabled = True
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.start_sync()
        await pilot.press("r", *"On its way.", "ctrl+s")

        def sent() -> bool:
            row = app.store.conn.execute(
                "SELECT status FROM outbox WHERE payload LIKE '%On its way.%'"
            ).fetchone()
            return row == ("sent",)

        await until(pilot, sent, "the reply sent")


def test_html_mail_shows_as_markdown_with_link_targets_and_attachments():
    from datetime import UTC

    from deskterm.tui.widgets.thread import render_message

    message = Message(
        id=1,
        direction="in",
        automatic=False,
        author_name="Anna",
        author_addr="anna@example.com",
        subject="",
        sent_at="2026-11-20T12:00:00Z",
        text="",
        html='<p>Track it <a href="https://evil.example/x">at DHL</a></p><script>x()</script>',
        message_id=None,
        attachments=(Attachment("label[red].pdf", "application/pdf", 2048),),
        warnings=("charset guessed",),
    )
    shown = render_message(message, show_quoted=False, zone=UTC).plain
    assert "Track it [at DHL](https://evil.example/x)" in shown
    assert "x()" not in shown
    assert "📎 label[red].pdf  2.0 kB" in shown
    assert "⚠ charset guessed" in shown


def test_the_thread_says_when_a_reply_did_not_leave():
    from datetime import UTC

    from deskterm.tui.widgets.thread import render_message

    message = Message(
        id=1,
        direction="out",
        automatic=False,
        author_name="bob",
        author_addr="",
        subject="",
        sent_at="2026-11-20T12:00:00Z",
        text="Your refund is on its way",
        html=None,
        message_id=None,
        attachments=(),
        warnings=(),
        outbox_id=1,
        delivery="failed",
        delivery_error="553 sender address rejected",
    )
    shown = render_message(message, show_quoted=False, zone=UTC).plain
    assert "NOT SENT: 553 sender address rejected" in shown
    sent = replace(message, delivery="sent", delivery_error=None)
    assert "NOT SENT" not in render_message(sent, show_quoted=False, zone=UTC).plain


def test_the_tui_runs_no_sql_of_its_own():
    tui = Path(deskterm.tui.__file__).parent
    found = [
        f"{p.relative_to(tui)}:{n}"
        for p in sorted(tui.rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "execute(" in line
    ]
    assert not found, f"SQL belongs in deskterm.store: {found}"


def test_a_draft_of_only_cc_or_files_is_kept_and_nothing_at_all_is_removed(db) -> None:
    store = open_store(db)
    label = Attachment("label.pdf", "application/pdf", 14, "ab", "/tmp/ab")
    drafts.save(store, 1, "reply", "", NOW, attachments=[label])
    assert drafts.load_draft(store, 1, "reply").attachments == (label,)
    drafts.save(store, 1, "reply", " ", NOW, cc=["a@example.com", "b@example.com"])
    assert drafts.load_draft(store, 1, "reply").cc == ("a@example.com", "b@example.com")
    drafts.save(store, 1, "reply", " ", NOW)
    assert drafts.kinds_with_drafts(store, 1) == []
