"""What the screens look like, at 80x24 and 120x40, with the clock frozen."""

from __future__ import annotations

import pytest
from workspace import build_app

SIZES = [(80, 24), (120, 40)]


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue_screen(snap_compare, db, size):
    assert snap_compare(build_app(db), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ticket_screen(snap_compare, db, size):
    async def open_ticket(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(build_app(db), terminal_size=size, run_before=open_ticket)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, db, size):
    async def open_help(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(build_app(db), terminal_size=size, run_before=open_help)
