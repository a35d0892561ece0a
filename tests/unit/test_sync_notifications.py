"""`deskterm sync --watch` tells the desktop what the workstation would: SLA crossings and new mail
on your tickets, as [tui] desktop asks, customer text made safe."""

from __future__ import annotations

import io
from datetime import timedelta

from deskterm import actions
from deskterm.notices import desktop
from deskterm.notices.clock import CrossingWatch, watching_from
from deskterm.notices.watch import news
from deskterm.store import Store

MARKUP = "[bold red]FREE[/] <b>money</b>\x1b[2J"


def test_a_breach_and_mail_on_your_ticket_make_the_notifications_asked_for(
    store: Store, make_message, deliver, now
) -> None:
    # Written at 09:00 on a Friday: the email policy's first reply (2h) is due at 11:00.
    first = make_message(subject=MARKUP, sent_at=now - timedelta(hours=3))
    deliver(first, at=now - timedelta(hours=3))
    actions.assign(store, 1, "anna", actor="agent:anna", at=now - timedelta(hours=2))
    again = make_message(
        subject="Re: parcel", sent_at=now - timedelta(minutes=10), in_reply_to=first.message_id
    )
    deliver(again, at=now - timedelta(minutes=10))

    def told(wanted: tuple[str, ...], agent: str) -> list[tuple[str, str]]:
        # Looked last two hours ago, when the first message was here already.
        return news(
            store, CrossingWatch(now - timedelta(hours=2), mail_after=1), now, wanted, agent
        )

    said = told(("breach", "mine"), "anna")

    assert [title for title, _ in said] == ["SLA breach", "New mail on your ticket"]
    assert said[0][1] == "#1 [bold red]FREE[/] <b>money</b>"
    assert said[1][1] == "#1 from Anna Adams: [bold red]FREE[/] <b>money</b>"
    assert told(("warning",), "anna") == []
    assert told(("breach",), "ben") == [said[0]]


def test_mail_that_arrives_here_after_the_last_look_is_told_even_when_written_before_it(
    store: Store, make_message, deliver, now
) -> None:
    first = make_message(subject="Parcel", sent_at=now - timedelta(hours=1))
    deliver(first, at=now - timedelta(hours=1))
    actions.assign(store, 1, "anna", actor="agent:anna", at=now - timedelta(hours=1))
    watch = watching_from(store, now)
    assert news(store, watch, now + timedelta(seconds=5), ("mine",), "anna") == []
    # Written (on the replica that pulled it) a minute before that look, stored here only now.
    late = make_message(
        subject="Re: Parcel", sent_at=now - timedelta(minutes=1), in_reply_to=first.message_id
    )
    deliver(late, at=now - timedelta(minutes=1))

    said = news(store, watch, now + timedelta(seconds=10), ("mine",), "anna")

    assert said == [("New mail on your ticket", "#1 from Anna Adams: Parcel")]
    assert news(store, watch, now + timedelta(seconds=15), ("mine",), "anna") == []


def test_without_a_desktop_the_terminal_is_asked_and_nothing_in_the_text_escapes(
    monkeypatch,
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    desktop.deliver("SLA breach", "#1 evil\x07\x1b]9;spoof\x1b\\ text", terminal)
    assert terminal.getvalue() == "\x1b]9;SLA breach: #1 evil]9;spoof\\ text\x07"

    piped = io.StringIO()
    desktop.deliver("SLA breach", "#1", piped)
    assert piped.getvalue() == ""
