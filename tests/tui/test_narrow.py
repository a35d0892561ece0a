"""At 80x24 the ticket screen keeps what a person acts on: the header's state, whole addresses."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from helpers import settle
from workspace import NOW, build_app, message

from deskterm.domain import Batch
from deskterm.ingest import ingest_batch
from deskterm.store import open_store
from deskterm.tui.screens.ticket import title_line

LONG_SUBJECT = "New customer message on northwind-outfitters.example: Wrong size - exchange please"
ADDRESS = "daria.brown138@mail.example"


def add_long_ticket(db) -> None:
    store = open_store(db)
    mail = message(
        9, ADDRESS, LONG_SUBJECT, "Too small.", timedelta(minutes=20), name="Daria Brown"
    )
    ingest_batch(store, "shop-mail", Batch([mail], {}), now=NOW)
    store.close()


async def test_at_80x24_the_ticket_header_keeps_status_priority_and_sla(db):
    add_long_ticket(db)
    app = build_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "ctrl+u", *"from:daria", "enter", "enter")
        await settle(pilot)
        title = app.screen.query_one("#ticket-title").render().plain
        assert title.startswith("#6 Wrong size - exchange please   new · normal · email")
        assert title.rstrip().endswith("1h 40m")  # the first reply is due in 2h
        sidebar = app.screen.query_one("#sidebar-body").render().plain.splitlines()
        address = next(line for line in sidebar if line.startswith("email:"))
        assert address.endswith("@mail.example")  # cut before the domain, never wrapped
        assert "…" in address and len(address) <= app.screen.query_one("#sidebar").size.width


def test_a_wide_header_keeps_channel_assignee_and_tags():
    ticket = SimpleNamespace(
        **{
            "id": 7,
            "subject": "Where is my order?",
            "status": "open",
            "priority": "high",
            "channel": "email",
            "assignee": "anna",
            "tags": ["wismo"],
            "sla_state": "running",
            "next_deadline": None,
        }
    )
    wide = title_line(ticket, NOW, ["reply"], 200).plain
    assert wide == "#7 Where is my order?   open · high · email · anna      wismo   ✎ draft reply"
    narrower = title_line(ticket, NOW, ["reply"], 61).plain
    assert narrower == "#7 Where is my order?   open · high · email · anna      wismo"
    narrowest = title_line(ticket, NOW, ["reply"], 40).plain
    assert narrowest.rstrip() == "#7 Where is my order?   open · high"
