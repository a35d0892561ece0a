"""The composer: the editor behind ctrl+e, and what it sends with the reply."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from helpers import notifications, settle
from workspace import build_app

from deskterm.store import drafts, open_store, queries


def editor_script(tmp_path: Path, line: str) -> str:
    """An editor that adds `line` to the file it is given, as a person would type it."""
    script = tmp_path / "editor.sh"
    script.write_text(f"#!/bin/sh\nprintf '\\n{line}\\n' >> \"$1\"\n")
    script.chmod(0o755)
    return str(script)


async def test_ctrl_e_edits_the_draft_in_the_editor_and_reads_it_back(app, monkeypatch, tmp_path):
    monkeypatch.setenv("VISUAL", editor_script(tmp_path, "Thanks for waiting."))
    handed_over = []

    @contextlib.contextmanager
    def suspend():  # the test terminal cannot be handed over; record that it was asked
        handed_over.append(True)
        yield

    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"Hello", "ctrl+e")
        await settle(pilot)
        area = app.screen.query_one("#composer-body")
        assert handed_over == [True]
        assert area.text == "Hello\nThanks for waiting."
        assert drafts.load(app.store, 1, "reply") == "Hello\nThanks for waiting."
        await pilot.press(*" Anna")
        assert area.text.endswith("Anna")  # the focus is back in the composer


async def test_an_editor_that_fails_leaves_the_draft_as_it_was(app, monkeypatch):
    monkeypatch.setenv("VISUAL", "false")
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"Hello", "ctrl+e")
        await settle(pilot)
        assert app.screen.query_one("#composer-body").text == "Hello"
        assert any("false failed" in n for n in app.notified)


async def test_undoing_a_queued_reply_opens_its_text_in_the_composer_again(db):
    app = build_app(db, {"tui": {"after_action": "stay"}})
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"It ships today.", "ctrl+s")
        await settle(pilot)
        composer = app.screen.query_one("#composer")
        assert not composer.is_open
        await pilot.press("u")
        await settle(pilot)
        assert composer.is_open
        assert app.screen.query_one("#composer-body").text == "It ships today."
        assert "Undid the reply on #1; its text is back in the draft" in notifications(app)
        assert queries.outbox(app.store, everything=True)[0].status == "cancelled"


async def test_the_composer_shows_the_recipient_takes_cc_and_attaches_a_file(app, tmp_path):
    label = tmp_path / "return-label.pdf"
    label.write_bytes(b"%PDF-1.4 label")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        to = app.screen.query_one("#composer-to").render().plain
        assert to == "To: anna@example.com  ·  via shop-mail (email)"
        await pilot.press(*"Here is your label.", "ctrl+o")
        await settle(pilot)
        await pilot.press(*str(label), "enter")
        await settle(pilot)
        files = app.screen.query_one("#composer-files").render().plain
        assert files == "Attached: return-label.pdf (14 bytes)"
        app.screen.query_one("#composer-cc").value = "depot@courier.example"
        await pilot.press("ctrl+s")
        await settle(pilot)
        payload = json.loads(app.store.conn.execute("SELECT payload FROM outbox").fetchone()[0])
        assert payload["cc"] == ["depot@courier.example"]
        assert [a["filename"] for a in payload["attachments"]] == ["return-label.pdf"]


async def test_an_ebay_reply_has_no_cc_field(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "ctrl+u", *"channel:ebay", "enter", "r")
        await settle(pilot)
        assert app.screen.query_one("#composer-to").render().plain.startswith("To: buyer_dan")
        assert not app.screen.query_one("#composer-cc").display


async def test_a_drafts_cc_and_files_outlive_a_restart(db, tmp_path):
    label = tmp_path / "return-label.pdf"
    label.write_bytes(b"%PDF-1.4 label")
    app = build_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"Label attached.", "ctrl+o")
        await settle(pilot)
        await pilot.press(*str(label), "enter")
        await settle(pilot)
        app.screen.query_one("#composer-cc").value = "depot@courier.example"
        await settle(pilot)
    kept = drafts.load_draft(open_store(db), 1, "reply")
    assert kept.cc == ("depot@courier.example",)
    assert [a.filename for a in kept.attachments] == ["return-label.pdf"]

    again = build_app(db)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        assert again.screen.query_one("#composer-body").text == "Label attached."
        assert again.screen.query_one("#composer-cc").value == "depot@courier.example"
        files = again.screen.query_one("#composer-files").render().plain
        assert files == "Attached: return-label.pdf (14 bytes)"
