"""What the agent types and what servers answer reaches notifications as plain text: brackets
show as typed and never crash the workstation."""

from __future__ import annotations

from helpers import settle, until
from textual.widgets._toast import Toast

from deskterm.sync.engine import AccountReport
from deskterm.tui.messages import SyncReported


def toasts(app) -> str:
    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


async def test_a_search_with_markup_in_it_is_reported_as_typed(app):
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("/", *"older:[/x]", "enter")
        await until(pilot, lambda: "'[/x]' is not a duration" in toasts(app), "the refusal")
    assert app.return_code in (None, 0)


async def test_a_tag_with_markup_in_it_is_refused_as_typed(app):
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("t", *"bad[/]", "enter")
        await until(pilot, lambda: "bad[/]" in toasts(app), "the refusal")
    assert app.return_code in (None, 0)


async def test_a_server_error_keeps_its_bracketed_words(app):
    error = "[AUTHENTICATIONFAILED] Invalid credentials for [Gmail]/Sent Mail"
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        app.post_message(SyncReported(AccountReport("shop", state="error", error=error)))
        # The report reaches a toast over three messages (report, notify, the rack's refresh).
        await until(pilot, lambda: error in toasts(app), "the server's error as it came")
