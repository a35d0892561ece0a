"""Marks on the queue and the bulk changes they take, merge and split, from the keyboard."""

from __future__ import annotations

from datetime import timedelta

from helpers import notifications, queue_lines, settle
from workspace import NOW, build_app, message

from deskterm import actions
from deskterm.domain import Batch
from deskterm.ingest import ingest_batch
from deskterm.macros import MacroSet, parse_macro
from deskterm.store import open_store, queries
from deskterm.tui.screens.prompts import ChoicePrompt
from deskterm.tui.screens.ticket import TicketScreen
from deskterm.tui.widgets.views_bar import ViewsBar


def status(app, ticket_id: int) -> str:
    found = queries.ticket(app.store, ticket_id)
    assert found is not None
    return found.status


def marked_lines(app) -> list[str]:
    return [line for line in queue_lines(app) if line.startswith("✓")]


async def test_space_marks_rows_and_s_resolves_them_all_as_one_undo_step(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first, second = (app.screen.queue.source.row(i).id for i in range(2))
        await pilot.press("space", "space")
        await settle(pilot)
        assert len(marked_lines(app)) == 2
        assert "✓ 2 marked" in str(app.screen.query_one(ViewsBar).render())

        await pilot.press("s")
        await settle(pilot)

        assert (status(app, first), status(app, second)) == ("solved", "solved")
        assert "Resolved 2 tickets" in notifications(app)
        assert marked_lines(app) == []
        await pilot.press("u")
        await settle(pilot)
        assert (status(app, first), status(app, second)) == ("new", "new")
        assert "Undid the bulk change on 2 tickets" in notifications(app)


async def test_star_marks_the_whole_view_and_a_tag_skips_who_has_it_already(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("asterisk")
        await settle(pilot)
        assert len(marked_lines(app)) == 5
        await pilot.press("t", *"wismo", "enter")
        await settle(pilot)
        assert all("wismo" in queries.ticket(app.store, t).tags for t in range(1, 6))
        summary = notifications(app)[-1]
        assert summary.startswith("Tagged 4 tickets with wismo; 1 skipped: ticket #1 ")


async def test_capital_c_clears_the_marks_and_single_ticket_actions_refuse_while_marked(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("space", "R")
        await settle(pilot)
        assert "Resend acts on one ticket at a time; C clears the marks" in notifications(app)
        await pilot.press("C")
        await settle(pilot)
        assert marked_lines(app) == []
        assert "✓" not in str(app.screen.query_one(ViewsBar).render())


REPLYING = """
name = "shipped"
description = "It has shipped"
reply = "Hi {{ customer.name }}, it has shipped."
actions = [{ status = "pending" }]
"""


async def test_a_replying_macro_on_marked_tickets_is_asked_once_then_runs_on_all(db):
    macro_set = MacroSet()
    item = parse_macro(REPLYING, source="test", stem="shipped")
    macro_set.macros[item.name] = item
    app = build_app(db, macro_set=macro_set)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        ids = [app.screen.queue.source.row(i).id for i in range(3)]
        await pilot.press("space", "space", "space", "m")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePrompt)
        assert "on the 3 marked tickets" in app.screen.title_text
        await pilot.press("j", "enter")
        await settle(pilot)
        assert [status(app, t) for t in ids] == ["pending"] * 3
        assert "Applied shipped to 3 tickets" in notifications(app)


def second_ticket_of_anna(db) -> int:
    store = open_store(db)
    later = message(9, "anna@example.com", "Also: invoice", "Send the invoice.", timedelta(0))
    ingest_batch(store, "shop-mail", Batch([later], {}), now=NOW)
    found = store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
    store.close()
    return found


async def test_plus_merges_the_marked_tickets_into_the_one_picked_and_u_undoes_it(db):
    extra = second_ticket_of_anna(db)
    app = build_app(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        queue = app.screen.queue
        for ticket_id in (1, extra):
            queue.move_to(queue.source.index_of(ticket_id))
            await pilot.press("space")
        await pilot.press("plus")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("enter")  # the first choice: #1
        await settle(pilot)
        assert queries.ticket(app.store, extra).merged_into == 1
        assert "Merged 1 ticket into #1" in notifications(app)
        await pilot.press("u")
        await settle(pilot)
        assert queries.ticket(app.store, extra).merged_into is None


async def test_plus_on_one_ticket_merges_it_into_another_of_its_customer(db):
    extra = second_ticket_of_anna(db)
    app = build_app(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await app.open_ticket(extra)
        await settle(pilot)
        await pilot.press("plus")
        await settle(pilot)
        assert app.screen.choices[0][0].startswith("#1 Where is my order")
        await pilot.press("enter")
        await settle(pilot)
        assert queries.ticket(app.store, extra).merged_into == 1


async def test_minus_splits_the_chosen_message_into_a_new_ticket(db):
    extra = second_ticket_of_anna(db)
    store = open_store(db)
    actions.merge(store, extra, 1, actor="agent:anna", at=NOW)
    store.close()
    app = build_app(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await app.open_ticket(1)
        await settle(pilot)
        thread = app.screen.query_one("#thread")
        assert thread.current.subject == "Also: invoice"
        await pilot.press("k", "k", "j")
        assert thread.current.subject == "Also: invoice"
        await pilot.press("minus")
        await settle(pilot)
        moved = queries.messages(app.store, 1)
        assert [m.subject for m in moved] == ["Where is my order #1001?"]
        new = max(t.id for t in queries.customer_tickets(app.store, 1))
        assert f"The message is now ticket #{new} (u puts it back)" in notifications(app)


async def test_enter_on_a_ticket_opens_one_of_the_customers_other_tickets(db):
    extra = second_ticket_of_anna(db)
    app = build_app(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await app.open_ticket(1)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == extra


async def test_at_80_columns_the_footer_keeps_q_and_help_and_the_bar_the_sort(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one("Footer")
        keys = [key.key for key in footer.children]
        assert "q" in keys and "question_mark" in keys
        bar = str(app.screen.query_one(ViewsBar).render())
        assert "1 Queue" in bar and bar.endswith("sort: deadline")
        await pilot.press("4")
        await settle(pilot)
        bar = str(app.screen.query_one(ViewsBar).render())
        assert "4 Breached" in bar and "1 Queue" not in bar and bar.endswith("sort: deadline")
