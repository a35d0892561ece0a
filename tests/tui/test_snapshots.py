"""What the screens look like, at 80x24 and 120x40, with the clock frozen."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from helpers import settle
from workspace import NOW, build_app

from deskterm.cli.common import workspace_config
from deskterm.config import Config
from deskterm.demo import build_demo
from deskterm.macros import MacroSet, parse_macro
from deskterm.store import open_store
from deskterm.tui.app import make_app

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue_screen(snap_compare, db, size):
    assert snap_compare(build_app(db), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ticket_screen(snap_compare, db, size):
    async def open_ticket(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(build_app(db), terminal_size=size, run_before=open_ticket)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, db, size):
    async def open_help(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(build_app(db), terminal_size=size, run_before=open_help)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop as `make demo` builds it, at the moment the screens are frozen at."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = open_store(path)
    build_demo(store, seed=1, now=NOW)
    store.close()
    return path


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_demo_opens_on_a_live_morning(snap_compare, demo_db, size):
    # No settings file: the demo's own agent (Mine) and shop.
    config = workspace_config(Config(agent="root"), demo_db)
    app = make_app(
        demo_db, config, sync=False, now=lambda: NOW, zone=UTC, macro_set=MacroSet(), sla_tick=False
    )
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_queue_with_marks_at_80x24(snap_compare, db):
    """Marked rows show ✓ in a gutter, the views bar counts them and keeps the sort."""

    async def mark(pilot):
        await settle(pilot)
        await pilot.press("space", "j", "space")
        await settle(pilot)

    assert snap_compare(build_app(db), terminal_size=(80, 24), run_before=mark)


def test_merge_pick_list_at_80x24(snap_compare, db):
    async def merge(pilot):
        await settle(pilot)
        await pilot.press("space", "space", "plus")
        await settle(pilot)

    assert snap_compare(build_app(db), terminal_size=(80, 24), run_before=merge)


def test_bulk_macro_question_at_80x24(snap_compare, db):
    """A macro that replies, chosen with three tickets marked: previewed once, asked once."""
    macro_set = MacroSet()
    item = parse_macro(
        'name = "shipped"\ndescription = "It has shipped"\n'
        'reply = "Hi {{ customer.name }}, it has shipped."\nactions = [{ status = "pending" }]\n',
        source="test",
        stem="shipped",
    )
    macro_set.macros[item.name] = item

    async def ask(pilot):
        await settle(pilot)
        await pilot.press("space", "space", "space", "m")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    app = build_app(db, macro_set=macro_set)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ask)
