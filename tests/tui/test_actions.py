"""Every ticket action from the keyboard: prompts, the change in the store, and what comes next."""

from __future__ import annotations

from datetime import timedelta

from helpers import burst, cursor_subject, notifications, settle, subjects, thread_text
from workspace import NOW, build_app

from deskterm import actions
from deskterm.domain import Event, Ticket
from deskterm.macros import MacroSet, parse_macro
from deskterm.store import drafts, open_store, queries
from deskterm.tui.screens.order import OrderScreen
from deskterm.tui.screens.queue import QueueScreen
from deskterm.tui.screens.ticket import TicketScreen


def ticket(app, ticket_id: int) -> Ticket:
    found = queries.ticket(app.store, ticket_id)
    assert found is not None
    return found


def last_event(app, ticket_id: int) -> Event:
    return queries.events(app.store, ticket_id)[-1]


async def test_s_resolves_the_ticket_and_the_cursor_moves_to_the_next(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert ticket(app, 1).status == "solved"
        assert last_event(app, 1).actor == "agent:anna"
        assert "Where is my order #1001?" not in subjects(app)
        assert cursor_subject(app) == "Refund for a broken lamp"


async def test_after_action_stay_keeps_the_cursor_on_an_escalated_ticket(db):
    app = build_app(db, {"tui": {"after_action": "stay"}})
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e", *"needs a refund decision", "enter")
        await settle(pilot)
        assert ticket(app, 1).escalation == 1
        assert cursor_subject(app) == "Where is my order #1001?"


async def test_e_escalates_with_the_reason_and_next_moves_on(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e", *"lost parcel", "enter")
        await settle(pilot)
        event = last_event(app, 1)
        assert event.kind == "escalate" and event.data["reason"] == "lost parcel"
        assert cursor_subject(app) == "Refund for a broken lamp"


async def test_a_reason_typed_in_one_burst_after_e_fills_the_dialog(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        # "lost parcel" holds s, t, a and p: keys of actions, unless they land in the dialog.
        burst(app, "elost parcel\r")
        await settle(pilot)
        event = last_event(app, 1)
        assert event.kind == "escalate" and event.data["reason"] == "lost parcel"
        assert ticket(app, 1).status == "new" and ticket(app, 1).assignee is None


async def test_escalating_without_a_reason_is_refused_and_changes_nothing(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e", "enter")
        await settle(pilot)
        assert ticket(app, 1).escalation == 0
        assert "an escalation needs a reason" in notifications(app)


async def test_escape_cancels_a_prompt(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e", *"typo", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert ticket(app, 1).escalation == 0


async def test_p_sets_pending_which_pauses_the_clock_and_sinks_the_ticket(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert ticket(app, 1).status == "pending"
        assert subjects(app)[-1] == "Where is my order #1001?"
        assert cursor_subject(app) == "Refund for a broken lamp"


async def test_a_assigns_to_me_by_default_and_to_anyone_typed(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a", "enter")
        await settle(pilot)
        assert ticket(app, 1).assignee == "anna"
        await pilot.press("k", "a", "ctrl+u", *"ben", "enter")
        await settle(pilot)
        assert ticket(app, 1).assignee == "ben"


async def test_t_adds_and_removes_tags(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("t", *"late -wismo", "enter")
        await settle(pilot)
        assert ticket(app, 1).tags == ("late",)


async def test_capital_p_picks_a_priority(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("P", "enter")  # the first choice is the most urgent
        await settle(pilot)
        assert ticket(app, 1).priority == "urgent"


async def test_z_snoozes_for_an_hour_and_the_ticket_leaves_the_queue(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("z", "enter")
        await settle(pilot)
        assert ticket(app, 1).snoozed_until == "2026-11-20T16:00:00Z"
        assert "Where is my order #1001?" not in subjects(app)


async def test_pick_lists_move_with_j_and_k(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("z", "j", "j", "j", "k", "enter")
        await settle(pilot)
        # 1 hour, 4 hours, Tomorrow 9:00, Next week, back up to Tomorrow 9:00.
        assert ticket(app, 1).snoozed_until == "2026-11-21T09:00:00Z"


async def test_the_help_scrolls_with_j_and_k(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        scroll = app.screen.query_one("KeyScroll")
        await pilot.press("j", "j", "j")
        assert scroll.scroll_y == 3
        await pilot.press("k")
        assert scroll.scroll_y == 2


async def test_z_custom_takes_a_typed_time_and_rejects_nonsense(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("z", "end", "enter", *"soonish", "enter")
        await settle(pilot)
        assert ticket(app, 1).snoozed_until is None
        assert any("cannot read 'soonish'" in n for n in notifications(app))
        await pilot.press("z", "end", "enter", *"3d", "enter")
        await settle(pilot)
        assert ticket(app, 1).snoozed_until == "2026-11-23T15:00:00Z"


async def test_u_undoes_the_last_action(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert ticket(app, 1).status == "new"
        assert "Where is my order #1001?" in subjects(app)


async def test_r_writes_a_reply_that_is_queued_in_the_outbox(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press(*"It ships today.", "ctrl+s")
        await settle(pilot)
        outbox = app.store.conn.execute("SELECT ticket_id, payload FROM outbox").fetchall()
        assert len(outbox) == 1 and outbox[0][0] == 1 and "It ships today." in outbox[0][1]
        assert drafts.load(app.store, 1, "reply") == ""
        # after_action = next: the ticket screen moved on to the next ticket in the queue
        assert app.screen.ticket_id == 3


async def test_n_adds_an_internal_note_and_stays(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "n", *"call the carrier", "ctrl+s")
        await settle(pilot)
        assert app.screen.ticket_id == 1
        assert "call the carrier" in thread_text(app)
        assert last_event(app, 1).kind == "note"


async def test_sending_an_empty_reply_is_refused_and_the_composer_stays_open(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", "ctrl+s")
        await settle(pilot)
        assert "a reply cannot be empty" in notifications(app)
        assert app.screen.query_one("#composer").is_open


async def test_a_draft_is_saved_while_typing_and_comes_back_after_leaving(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"Dear Anna")
        await settle(pilot)
        assert drafts.load(app.store, 1, "reply") == "Dear Anna"
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("enter", "r")
        await settle(pilot)
        assert app.screen.query_one("#composer-body").text == "Dear Anna"


async def test_ticket_screen_shows_thread_sidebar_and_hides_quoted_history(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = thread_text(app)
        assert "my order #1001 has not arrived" in text
        assert "> old text" not in text and "3 quoted lines hidden" in text
        await pilot.press("x")
        await settle(pilot)
        assert "> old text" in thread_text(app)
        sidebar = str(app.screen.query_one("#sidebar-body").render())
        assert "email: anna@example.com" in sidebar
        assert "1001 · paid · fulfilled · 59.90 EUR" in sidebar
        assert "https://track.example/JD0001" in sidebar
        assert "tag wismo" in sidebar


async def test_capital_j_and_k_walk_the_queue_from_the_ticket_screen(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "J")
        await settle(pilot)
        assert app.screen.ticket_id == 3
        await pilot.press("K")
        await settle(pilot)
        assert app.screen.ticket_id == 1


async def test_actions_on_the_ticket_screen_change_the_ticket_and_refresh_it(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "t", *"vip", "enter")
        await settle(pilot)
        assert ticket(app, 1).tags == ("vip", "wismo")
        title = str(app.screen.query_one("#ticket-title").render())
        assert "vip wismo" in title
        await pilot.press("s")
        await settle(pilot)
        assert ticket(app, 1).status == "solved"
        assert app.screen.ticket_id == 3


WISMO = """
name = "wismo"
description = "Where is my order"
key = "w"
reply = "Hi {{ customer.name }}, your parcel is on its way."
actions = [{ tag = "shipped" }, { status = "pending" }]
"""


async def test_macro_palette_previews_then_applies_and_u_undoes_it(db):
    macro_set = MacroSet()
    item = parse_macro(WISMO, source="test", stem="wismo")
    macro_set.macros[item.name] = item
    macro_set.keys[item.key] = item.name
    app = build_app(db, macro_set=macro_set)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        preview = str(app.screen.query_one("#macro-preview-text").render())
        assert "your parcel is on its way" in preview
        assert "add tag shipped" in preview
        await pilot.press("enter")
        await settle(pilot)
        assert ticket(app, 1).status == "pending"
        assert "shipped" in ticket(app, 1).tags
        await pilot.press("u")
        await settle(pilot)
        assert ticket(app, 1).status == "new"
        assert "shipped" not in ticket(app, 1).tags
        await pilot.press("g", "w")
        await settle(pilot)
        assert "wismo" in str(app.screen.query_one("#macro-list").get_option_at_index(0).prompt)


async def test_entering_warning_and_breach_while_open_is_announced(db):
    clock = [NOW]
    app = build_app(db)
    app.now = lambda: clock[0]
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)

        async def at(minutes: int) -> list[str]:
            clock[0] = NOW + timedelta(minutes=minutes)
            app.ticker.tick()
            await settle(pilot)
            return notifications(app)

        assert await at(1) == []
        assert await at(59) == []  # a long gap (a laptop lid) announces nothing
        assert await at(61) == ["#2 is close to its SLA deadline"]
        await at(89)
        assert (await at(91))[-1] == "#2 passed its SLA deadline"


async def test_the_clock_asks_the_store_only_when_a_crossing_is_due(db, monkeypatch):
    clock = [NOW]
    app = build_app(db)
    app.now = lambda: clock[0]
    asked = []
    crossings = queries.sla_crossings
    monkeypatch.setattr(
        queries, "sla_crossings", lambda *args: asked.append(args[1:]) or crossings(*args)
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        # Jump to 58 minutes on (a long gap: the next tick reads again, from there).
        clock[0] = NOW + timedelta(minutes=58)
        for _ in range(2):
            app.ticker.tick()
            await settle(pilot)
        asked.clear()
        for second in range(1, 150):
            clock[0] = NOW + timedelta(minutes=58, seconds=second)
            app.ticker.tick()
            await settle(pilot)
        # Ticket 2 enters warning at NOW + 60 minutes: one read, when that moment has come.
        assert [until for _, until in asked] == [NOW + timedelta(minutes=60)]
        assert notifications(app) == ["#2 is close to its SLA deadline"]


async def test_ctrl_t_in_the_composer_inserts_a_macros_text_without_its_steps(db):
    macro_set = MacroSet()
    item = parse_macro(WISMO, source="test", stem="wismo")
    macro_set.macros[item.name] = item
    app = build_app(db, macro_set=macro_set)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r", *"Hello. ", "ctrl+t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = app.screen.query_one("#composer-body").text
        assert text == "Hello. Hi Anna Berg, your parcel is on its way."
        assert drafts.load(app.store, 1, "reply") == text
        assert ticket(app, 1).status == "new"


async def test_an_outside_write_keeps_the_thread_where_the_agent_is_reading(app, db):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        first = app.screen.query_one("#thread").children[0]
        other = open_store(db)
        actions.tag(other, 1, "outside", actor="agent:ben", at=NOW)
        other.close()
        app.ticker.tick()
        await settle(pilot)
        assert "outside" in ticket(app, 1).tags
        assert "tag outside" in str(app.screen.query_one("#sidebar-body").render())
        assert app.screen.query_one("#thread").children[0] is first


async def test_a_failed_reply_shows_not_sent_and_capital_r_sends_it_again(db):
    store = open_store(db)
    done = actions.reply(store, 1, "Your parcel is on its way", actor="agent:anna", at=NOW)
    with store.tx() as conn:  # what the sync engine leaves after a permanent refusal
        conn.execute(
            "UPDATE outbox SET status = 'failed', last_error = '550 mailbox unavailable'"
            " WHERE id = ?",
            (done.outbox_id,),
        )
    store.close()
    app = build_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "ctrl+u", *"id:1", "enter", "enter")
        await settle(pilot)
        assert "NOT SENT: 550 mailbox unavailable" in thread_text(app)
        await pilot.press("R")
        await settle(pilot)
        await settle(pilot)
        assert queries.outbox(app.store)[0].status == "queued"
        assert any("will be sent again" in n for n in notifications(app))
        assert "NOT SENT" not in thread_text(app)
        assert "waiting in the outbox" in thread_text(app)
        await pilot.press("R")
        await settle(pilot)
        assert any("has no failed replies" in n for n in notifications(app))


async def test_opening_a_ticket_marks_its_mail_read_for_an_account_that_wants_it(db):
    store = open_store(db)
    with store.tx() as conn:
        conn.execute("UPDATE accounts SET settings = '{\"mark_seen\": true}'")
        conn.execute("UPDATE messages SET raw_path = 'imap:INBOX;UIDVALIDITY=1/;UID=' || id")
    store.close()
    app = build_app(db)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == 1
        marked = app.store.conn.execute(
            "SELECT m.ticket_id, c.change FROM mailbox_changes c"
            " JOIN messages m ON m.id = c.message_row WHERE c.status = 'queued'"
        ).fetchall()
        assert marked == [(1, "seen")]


async def test_o_opens_the_order_view_with_the_order_in_full(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OrderScreen)
        shown = str(app.screen.query_one("#order-text").render())
        assert shown.splitlines()[0] == "1001 · paid · fulfilled · 59.90 EUR"
        assert "DHL JD0001" in shown and "https://track.example/JD0001" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
