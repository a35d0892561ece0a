"""The queue screen: order, navigation, views, search, live updates."""

from __future__ import annotations

from helpers import burst, cursor_subject, notifications, queue_lines, settle, subjects
from workspace import MARKUP_SUBJECT, NOW, build_app, message

from deskterm import actions
from deskterm.domain import Batch
from deskterm.ingest import ingest_batch
from deskterm.store import open_store
from deskterm.store import outbox as outbox_rows
from deskterm.sync import sending
from deskterm.tui import queue_source
from deskterm.tui.screens.queue import QueueScreen
from deskterm.tui.screens.ticket import TicketScreen


async def test_queue_lists_nearest_deadline_first_with_countdowns(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        lines = queue_lines(app)
        assert lines[0].startswith("■ overdue 1h")
        assert "Where is my order #1001?" in lines[0]
        assert lines[2].startswith("1h 30m")
        assert subjects(app)[-1] == "Item not as described"


async def test_markup_and_escape_sequences_in_customer_text_show_literally(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        line = next(x for x in queue_lines(app) if "FREE" in x)
        assert MARKUP_SUBJECT in line
        assert "[i]Sly[/i]" in line
        await pilot.press("j", "j", "enter")
        await settle(pilot)
        thread = app.screen.query_one("#thread").query_one(".message").render()
        assert MARKUP_SUBJECT not in thread.plain  # the subject is in the title, not the body
        assert "Click here [link](https://evil.example/x) now" in thread.plain
        assert "\x1b" not in thread.plain
        assert all(not span.style or "red" not in str(span.style) for span in thread.spans)


async def test_j_k_g_G_move_the_cursor(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        assert cursor_subject(app) == MARKUP_SUBJECT
        await pilot.press("k")
        assert cursor_subject(app) == "Refund for a broken lamp"
        await pilot.press("G")
        assert cursor_subject(app) == "Item not as described"
        await pilot.press("g")
        assert cursor_subject(app) == "Where is my order #1001?"
        await pilot.press("k")
        assert cursor_subject(app) == "Where is my order #1001?"


async def test_capital_g_goes_to_the_end_of_a_queue_not_yet_counted(app, monkeypatch):
    monkeypatch.setattr(queue_source, "PAGE", 2)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("G")  # before the count has come back from its worker
        await settle(pilot)
        assert cursor_subject(app) == "Item not as described"
        assert app.screen.queue.cursor == 4


async def test_enter_opens_the_ticket_and_escape_comes_back(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == 3
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert cursor_subject(app) == "Refund for a broken lamp"


async def test_clicking_a_row_selects_it_and_clicking_again_opens_it(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.click("#queue", offset=(5, 3))
        assert cursor_subject(app) == "Change of address"
        await pilot.click("#queue", offset=(5, 3))
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)


async def test_q_quits(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0


async def test_number_keys_switch_views_with_counts(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        bar = app.screen.query_one("#views").render().plain
        assert "1 Queue 5" in bar
        assert "2 Mine 1" in bar
        assert "Ebay 1" in bar
        await pilot.press("2")
        await settle(pilot)
        assert subjects(app) == ["Refund for a broken lamp"]
        await pilot.press("7")
        await settle(pilot)
        assert subjects(app) == ["Item not as described"]
        await pilot.press("9")
        assert "There is no view 9" in notifications(app)


async def test_search_filters_the_queue_and_a_bad_query_keeps_what_was_typed(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"tag:wismo")
        await pilot.press("enter")
        await settle(pilot)
        assert subjects(app) == ["Where is my order #1001?"]
        await pilot.press("slash", "ctrl+u")
        await pilot.press(*"colour:red")
        await pilot.press("enter")
        await settle(pilot)
        search = app.screen.query_one("#search")
        assert search.display and search.value == "colour:red"
        assert any("colour: is not a search key" in n for n in notifications(app))
        await pilot.press("escape")
        assert not search.display
        assert subjects(app) == ["Where is my order #1001?"]


async def test_keys_typed_in_one_burst_after_slash_fill_the_search_not_the_bindings(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        # Every key is queued before "/" has moved the focus to the search line.
        burst(app, "/tag:wismo\r")
        await settle(pilot)
        assert subjects(app) == ["Where is my order #1001?"]
        assert not any("tagged" in n or "Applied" in n for n in notifications(app))
        assert isinstance(app.screen, QueueScreen)


async def test_keys_typed_in_one_burst_after_r_fill_the_reply(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        # t, s, a and e are ticket actions: typed into the reply, they must stay letters.
        burst(app, "rThe parcel is safe.")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.query_one("#composer-body").text == "The parcel is safe."
        assert notifications(app) == []


async def test_escape_clears_the_search_and_goes_back_to_the_view_it_was_typed_over(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", "ctrl+u", *"lamp OR order", "enter")
        await settle(pilot)
        assert len(subjects(app)) == 2
        bar = app.screen.query_one("#views").render().plain
        assert "lamp OR order" in bar
        await pilot.press("escape")
        await settle(pilot)
        assert subjects(app) == ["Refund for a broken lamp"]  # view 2, Mine, as before
        bar = app.screen.query_one("#views").render().plain
        assert "lamp OR order" not in bar
        await pilot.press("escape")  # nothing left to clear: the view stays
        await settle(pilot)
        assert subjects(app) == ["Refund for a broken lamp"]


async def test_free_text_search_goes_through_message_text(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "ctrl+u", *"lamp", "enter")
        await settle(pilot)
        assert subjects(app) == ["Refund for a broken lamp"]


async def test_o_cycles_the_sort_order(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert subjects(app)[0] == "Where is my order #1001?"  # created first
        assert "sort: created" in app.screen.query_one("#views").render().plain


async def test_mail_written_by_another_process_appears_without_restart(app, db):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        other = open_store(db)
        new = message(9, "zoe@example.com", "Hello from outside", "hi", NOW - NOW)
        ingest_batch(other, "shop-mail", Batch([new], {}), now=NOW)
        other.close()
        app.ticker.tick()
        await settle(pilot)
        assert "Hello from outside" in subjects(app)


async def test_capital_s_saves_the_search_as_a_numbered_view(db, tmp_path):
    from deskterm.config import Config
    from deskterm.macros import MacroSet
    from deskterm.tui.app import make_app

    path = tmp_path / "config.toml"
    config = Config(path=path, agent="anna")
    app = make_app(db, config, sync=False, now=lambda: NOW, macro_set=MacroSet(), sla_tick=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"tag:wismo", "enter", "S", "ctrl+u", *"Where is it", "enter")
        await settle(pilot)
        assert app.views[-1].name == "Where is it" and app.views[-1].query == "tag:wismo"
        assert 'name = "Where is it"' in path.read_text()
        await pilot.press("1")
        await pilot.press(str(len(app.views)))
        await settle(pilot)
        assert subjects(app) == ["Where is my order #1001?"]


async def test_a_reply_the_server_refused_marks_the_row_and_leaves_its_clock_running(db):
    store = open_store(db)
    done = actions.reply(store, 4, "Noted, new address it is", actor="agent:anna", at=NOW)
    owner = outbox_rows.new_owner()
    with store.tx() as conn:
        outbox_rows.claim(conn, done.outbox_id, owner, 1)
        row = conn.execute(
            "SELECT id, ticket_id, account, idempotency_key, payload, created_at FROM outbox"
        ).fetchone()
    sending.hold(store, sending.outbound(row, "email"), owner, "550 5.1.1 no such user", NOW)
    store.close()
    app = build_app(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        line = next(x for x in queue_lines(app) if "Change of address" in x)
        assert "✗ not sent Change of address" in line
        assert line.startswith("1h 50m")  # the first reply is still due, 2h after the mail
        assert "✗" not in next(x for x in queue_lines(app) if "Refund for a broken" in x)


async def test_a_view_that_hides_a_snoozed_ticket_says_so(app, db):
    other = open_store(db)
    actions.snooze(other, 5, NOW.replace(year=2027), actor="agent:anna", at=NOW)
    other.close()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        lines = queue_lines(app)
        assert "Item not as described" not in " ".join(lines)
        await pilot.press("G")
        await settle(pilot)
        # The line after the last row.
        assert (
            queue_lines(app)[app.screen.queue.count].strip()
            == "+ 1 snoozed hidden (is:snoozed shows it)"
        )
        await pilot.press("slash")
        burst(app, "described")
        await pilot.press("enter")
        await settle(pilot)
        assert queue_lines(app)[0].strip() == (
            "No tickets in this view; 1 snoozed hidden (is:snoozed shows it)"
        )
