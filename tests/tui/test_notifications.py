"""Desktop notifications for SLA crossings and new mail on the agent's own tickets: off unless
[tui] desktop asks for them; through notify-send on a desktop, else the terminal's own."""

from __future__ import annotations

from datetime import timedelta

from helpers import notifications, settle
from workspace import MARKUP_SUBJECT, NOW, build_app, message

from deskterm.domain import Batch
from deskterm.ingest import ingest_batch
from deskterm.store import open_store


def fake_notify_send(tmp_path, monkeypatch):
    """A notify-send on PATH that writes its arguments to a file; returns that file."""
    folder = tmp_path / "bin"
    folder.mkdir()
    said = tmp_path / "said.txt"
    script = folder / "notify-send"
    script.write_text(
        f'#!/bin/sh\nfor a in "$@"; do printf "%s|" "$a"; done >> {said}\necho >> {said}\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.setenv("DISPLAY", ":0")
    return said


def carl_writes_again(db, at) -> None:
    """A new customer message on ticket #3, which is assigned to anna, stored by another process."""
    other = open_store(db)
    mail = message(
        9,
        "carl@example.com",
        "Re: Refund for a broken lamp",
        "Any news?",
        NOW - at,
        name="Carl Diaz",
        in_reply_to="<m3@example.com>",
    )
    ingest_batch(other, "shop-mail", Batch([mail], {}), now=at)
    other.close()


async def test_sla_crossings_reach_the_desktop_through_notify_send(db, tmp_path, monkeypatch):
    said = fake_notify_send(tmp_path, monkeypatch)
    clock = [NOW]
    app = build_app(db, {"tui": {"desktop": ["breach", "warning"]}})
    app.now = lambda: clock[0]
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for minutes in (1, 59, 61):
            clock[0] = NOW + timedelta(minutes=minutes)
            app.ticker.tick()
            await settle(pilot)
        lines = said.read_text().splitlines()
        assert lines == [f"--app-name=deskterm|--|SLA warning|#2 {MARKUP_SUBJECT}|"]


async def test_new_mail_on_my_ticket_is_told_by_the_terminal_without_a_desktop(db, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    clock = [NOW]
    app = build_app(db, {"tui": {"desktop": ["mine"]}})
    app.now = lambda: clock[0]
    written: list[str] = []
    monkeypatch.setattr(app, "terminal_write", written.append)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        carl_writes_again(db, NOW + timedelta(seconds=30))
        clock[0] = NOW + timedelta(minutes=1)
        app.ticker.tick()
        await settle(pilot)
        text = "#3 from Carl Diaz: Refund for a broken lamp"
        assert notifications(app)[-1] == text
        assert written == [f"\x1b]9;New mail on your ticket: {text}\x07"]


async def test_without_the_setting_nothing_reaches_the_desktop(db, tmp_path, monkeypatch):
    said = fake_notify_send(tmp_path, monkeypatch)
    clock = [NOW]
    app = build_app(db)
    app.now = lambda: clock[0]
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        carl_writes_again(db, NOW + timedelta(seconds=30))
        for minutes in (1, 59, 61, 89, 91):
            clock[0] = NOW + timedelta(minutes=minutes)
            app.ticker.tick()
            await settle(pilot)
        assert not said.exists()
        assert not any("New mail" in n for n in notifications(app))
