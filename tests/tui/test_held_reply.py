"""A reply the team server held (the thread changed since it was written) needs its author: the
ticket says why, and H sends it anyway, puts it back into the draft to edit, or drops it."""

from __future__ import annotations

import pytest
from helpers import notifications, queue_lines, settle, thread_text
from workspace import NOW, build_app

from deskterm import actions
from deskterm.store import drafts, open_store, queries
from deskterm.store import team as rows

REASON = "ben added a reply after you started your reply"


def hold_a_reply(db) -> int:
    """A reply of ticket 1 as a replica keeps it once the server held it on push."""
    store = open_store(db)
    done = actions.reply(store, 1, "Your parcel left today", actor="agent:anna", at=NOW)
    with store.tx() as conn:
        uid = rows.set_uid(conn, done.event_id)
        rows.mark_pushed(conn, [(7, "anna", None, uid, REASON)])
    store.close()
    return done.outbox_id


async def open_ticket_one(pilot) -> None:
    await settle(pilot)
    await pilot.press("slash", "ctrl+u", *"id:1", "enter", "enter")
    await settle(pilot)


def banner(app) -> str:
    return str(app.screen.query_one("#ticket-held").render())


@pytest.mark.parametrize(
    ("moves", "status", "draft", "said"),
    [
        ((), "queued", "", "leaves with the next sync"),
        (("j",), "cancelled", "Your parcel left today", "is in the draft again"),
        (("j", "j"), "cancelled", "", "its text stays in the timeline"),
    ],
)
async def test_a_held_reply_says_why_and_h_sends_edits_or_drops_it(db, moves, status, draft, said):
    item = hold_a_reply(db)
    app = build_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket_one(pilot)
        assert banner(app) == f"⚠ Reply held (H: send anyway, edit, drop): {REASON}"
        assert f"NEEDS ATTENTION: {REASON}" in thread_text(app)
        await pilot.press("H", *moves, "enter")
        await settle(pilot)
        await settle(pilot)
        rows_now = {o.id: o for o in queries.outbox(app.store, everything=True)}
        assert rows_now[item].status == status
        if status == "queued":  # sent anyway: the thread no longer gives the hold's reason
            assert rows_now[item].last_error is None
            assert REASON not in thread_text(app)
        assert drafts.load(app.store, 1, "reply") == draft
        assert any(said in n for n in notifications(app))
        assert not app.screen.query_one("#ticket-held").display
        assert "NEEDS ATTENTION" not in thread_text(app)
        composer = app.screen.query_one("#composer")
        assert composer.is_open == bool(draft)
        if draft:
            assert composer.area.text == draft


async def test_h_on_a_ticket_with_nothing_held_says_so(db):
    app = build_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket_one(pilot)
        assert not app.screen.query_one("#ticket-held").display
        await pilot.press("H")
        await settle(pilot)
        assert "No reply of #1 is held" in notifications(app)


async def test_the_queue_row_of_a_held_reply_says_held_not_refused(db):
    item = hold_a_reply(db)
    subject = open_store(db).conn.execute("SELECT subject FROM tickets WHERE id = 1").fetchone()[0]
    app = build_app(db)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        line = next(x for x in queue_lines(app) if subject[:20] in x)
        assert f"⚠ reply held {subject[:20]}" in line
        assert "not sent" not in line
        other = open_store(db)  # another process's write: the watcher sees it
        actions.retry_send(other, item, actor="agent:anna")
        other.close()
        app.ticker.tick()
        await settle(pilot)
        assert "reply held" not in next(x for x in queue_lines(app) if subject[:20] in x)
