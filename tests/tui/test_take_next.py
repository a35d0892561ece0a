"""c takes the next open ticket nobody has, in queue order, and opens it; [team] cap stops it."""

from __future__ import annotations

from helpers import notifications, settle
from workspace import build_app

from deskterm.store import queries
from deskterm.store import team as rows
from deskterm.tui.screens.ticket import TicketScreen


def open_unassigned(app) -> list[int]:
    return [
        t
        for (t,) in app.store.conn.execute(
            "SELECT id FROM tickets WHERE assignee IS NULL AND status NOT IN ('solved', 'closed')"
        )
    ]


async def test_c_takes_the_first_unassigned_ticket_in_queue_order_and_opens_it(db):
    app = build_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        expected = rows.next_unassigned(app.store.conn, "2026-11-20T12:00:00Z")
        before = open_unassigned(app)
        assert expected in before
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == expected
        assert queries.ticket(app.store, expected).assignee == "anna"
        assert f"#{expected} is yours" in notifications(app)
        assert sorted(open_unassigned(app)) == sorted(set(before) - {expected})


async def test_c_at_the_cap_of_open_tickets_takes_nothing_and_says_why(db):
    app = build_app(db, {"team": {"cap": 1}})  # anna holds #3 already
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = open_unassigned(app)
        await pilot.press("c")
        await settle(pilot)
        assert "anna already has 1 open tickets, the cap" in notifications(app)
        assert open_unassigned(app) == before
        assert not isinstance(app.screen, TicketScreen)
