"""The dashboard (i, or the palette): stages with their oldest ticket, figures, charts; and the
handle time the workstation records while a ticket is open."""

from __future__ import annotations

import io

import pytest
from helpers import settle
from rich.console import Console
from textual.widgets import Label, OptionList, Sparkline, Static
from workspace import build_app

from deskterm.store import open_store
from deskterm.tui.commands import DeskCommands
from deskterm.tui.screens.dashboard import DashboardScreen
from deskterm.tui.screens.queue import QueueScreen

SIZES = [(80, 24), (120, 40)]


def text_of(renderable) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def stage_texts(app) -> list[str]:
    stages = app.screen.query_one("#stages", OptionList)
    return [str(stages.get_option_at_index(i).prompt) for i in range(stages.option_count)]


async def test_i_shows_each_stage_with_its_count_and_oldest_ticket(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        new = next(line for line in stage_texts(app) if line.startswith("New"))
        counts = dict(app.store.conn.execute("SELECT status, COUNT(*) FROM tickets GROUP BY 1"))
        oldest = app.store.conn.execute(
            "SELECT id FROM tickets WHERE status = 'new' ORDER BY created_at LIMIT 1"
        ).fetchone()[0]
        assert new.split()[1] == str(counts["new"])
        assert f"oldest #{oldest}," in new
        figures = text_of(app.screen.query_one("#figures", Static).content)
        assert "Created" in figures and "First reply, median" in figures
        assert sum(app.screen.query_one("#chart-created", Sparkline).data) == counts["new"]
        # Each sparkline's scale beside it, the days' span under them.
        created = app.screen.query_one("#chart-created", Sparkline).data
        scale = str(app.screen.query_one("#chart-created-scale", Label).render())
        assert scale == f"{min(created)}–{max(created)}"
        first, last = (
            str(app.screen.query_one(f"#chart-{e}", Label).render()) for e in ("from", "to")
        )
        assert (first, last) == ("Nov 06", "Nov 20")  # 14 days back from Nov 20, 12:00


async def test_enter_on_a_stage_shows_that_stage_in_the_queue_oldest_first(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.search_text == "status:new"
        shown = [app.screen.queue.source.row(i).id for i in range(3)]
        expected = [
            row[0]
            for row in app.store.conn.execute(
                "SELECT id FROM tickets WHERE status = 'new' ORDER BY created_at, id LIMIT 3"
            )
        ]
        assert shown == expected


async def test_f_narrows_the_dashboard_to_a_channel(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await pilot.press("f", *"channel:ebay", "enter")
        await settle(pilot)
        assert "channel:ebay" in str(app.screen.query_one("#dashboard-title", Label).render())
        new = next(line for line in stage_texts(app) if line.startswith("New"))
        assert new.split()[1] == "1"  # the one eBay ticket
        await pilot.press("f", *"colour:red", "enter")
        await settle(pilot)
        assert any("show one of channel:NAME" in n for n in app.notified)


async def test_the_palette_offers_the_dashboard(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = {title for title, _, _ in DeskCommands(app.screen).commands()}
        assert "Dashboard" in titles


async def handled_after(db, steps: list[tuple[float, str]]) -> list[tuple[str, str]]:
    """Open the first ticket at moment 0, press each (moment, key), quit; the handled events."""
    app = build_app(db)
    now = [0.0]
    async with app.run_test(size=(100, 30)) as pilot:
        app.handling.clock = lambda: now[0]
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        for moment, key in steps:
            now[0] = moment
            await pilot.press(key)
            await settle(pilot)
    store = open_store(db)
    rows = store.conn.execute("SELECT actor, data FROM events WHERE kind = 'handled'").fetchall()
    store.close()
    return rows


async def test_an_open_ticket_records_its_handle_time_without_idle_gaps(db):
    steps = [(20, "x"), (50, "r"), (110, "H"), (900, "escape"), (930, "escape")]
    # 0-20-50-110 counted (50-110 in the composer); 110-900 idle (over 5 minutes), cut;
    # 900-930 counted.
    assert await handled_after(db, steps) == [("agent:anna", '{"composing": 60, "seconds": 140}')]


async def test_quitting_on_a_ticket_still_records_its_handle_time(db):
    assert await handled_after(db, [(45, "x")]) == [
        ("agent:anna", '{"composing": 0, "seconds": 45}')
    ]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard_screen(snap_compare, db, size):
    async def open_dashboard(pilot):
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)

    assert snap_compare(build_app(db), terminal_size=size, run_before=open_dashboard)
