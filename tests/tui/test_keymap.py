"""Rebinding keys from the config; the help screen and palette follow the bindings."""

from __future__ import annotations

import pytest
from helpers import notifications, run_command, settle, thread_text, until
from workspace import build_app

from deskterm.config import ConfigError
from deskterm.keys import OVERLAPS, SPECS, key_list, parse_keymap
from deskterm.store import queries
from deskterm.tui.screens.help import HelpScreen


def test_defaults_have_unique_ids_and_no_alt_chords():
    assert len({s.id for s in SPECS}) == len(SPECS)
    assert not any("alt+" in s.keys for s in SPECS)


def test_keymap_accepts_ids_with_keys_as_text_or_list():
    merged = parse_keymap({"resolve": "y", "snooze": ["Z", "f6"], "help": "?"})
    assert merged["resolve"] == "y"
    assert merged["snooze"] == "Z,f6"
    assert merged["help"] == "question_mark"
    assert merged["quit"] == "q"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"resolv": "x"}, "keymap.resolv: is not a binding id"),
        ({"resolve": 5}, "keymap.resolve: must be keys as text"),
        ({"resolve": "alt+s"}, "Alt chords break on many keyboard layouts"),
        ({"resolve": "y", "snooze": "y"}, "keymap.snooze: key y is already used by 'resolve'"),
        ({"resolve": ""}, "needs at least one key"),
        ({"send": "y"}, "keymap.send: y: the composer is for typing; use ctrl"),
        ("resolve", "keymap: must be a table"),
    ],
)
def test_a_bad_keymap_is_refused_with_the_key_and_the_reason(raw, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_keymap(raw)


def test_the_defaults_share_no_key_and_their_alternatives_are_free():
    defaults = {spec.id: spec.keys for spec in SPECS}
    for spec in SPECS:
        for key in [*key_list(spec.keys), *key_list(spec.alternative)]:
            users = [
                other.id
                for other in SPECS
                if other.id != spec.id
                and other.scope in OVERLAPS[spec.scope]
                and key in key_list(defaults[other.id])
            ]
            assert users == [], f"{spec.id}: {key} is also {users}"


def test_the_readme_example_wins_and_the_default_it_displaces_moves_to_its_alternative():
    merged = parse_keymap({"resolve": "x"})
    assert merged["resolve"] == "x"
    assert merged["quotes"] == "X"
    assert merged.moved == {"quotes": "x is resolve's: now X"}


def test_a_displaced_default_keeps_its_other_keys_or_is_left_without_one():
    merged = parse_keymap({"resolve": "j", "help": "z"})
    assert merged["down"] == "down"
    assert merged.moved["down"] == "j is resolve's: now down"
    assert merged["snooze"] == "Z"  # help is live everywhere, so snooze gave way to it
    merged = parse_keymap({"note": "s", "escalate": "S", "macros": "E"})
    assert merged["resolve"] == ""
    assert merged.moved["resolve"] == "s is note's: no key (ctrl+p runs it)"
    assert merged["save_view"] == ""
    assert merged["escalate"] == "S"


def test_keys_on_different_screens_may_be_the_same():
    merged = parse_keymap({"back": "h", "sort": "h"})
    assert key_list(merged["back"]) == key_list(merged["sort"]) == ["h"]


async def test_a_rebound_action_answers_its_new_key_only(db):
    app = build_app(db, {"keymap": {"resolve": "y", "down": "ctrl+n,down"}})
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert queries.ticket(app.store, 1).status == "new"
        await pilot.press("y")
        await settle(pilot)
        assert queries.ticket(app.store, 1).status == "solved"
        await pilot.press("j")
        assert app.screen.queue.cursor == 0
        await pilot.press("ctrl+n")
        assert app.screen.queue.cursor == 1


async def test_the_readme_keymap_example_resolves_with_x_and_help_says_where_quotes_went(db):
    app = build_app(db, {"keymap": {"resolve": "x"}})
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "X")
        await settle(pilot)
        assert "> old text" in thread_text(app)  # quoted text shown: X is the quotes key now
        await pilot.press("x")
        await settle(pilot)
        assert queries.ticket(app.store, 1).status == "solved"
        await pilot.press("question_mark")
        await settle(pilot)
        rows = {row[2]: row[:2] for row in table_rows(app.screen.table)}
        assert rows["resolve"][0] == "x"
        assert rows["quotes"] == ("X", "Quoted text (x is resolve's: now X)")


async def test_help_lists_every_binding_with_its_current_key(db):
    app = build_app(db, {"keymap": {"resolve": "y"}})
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {row[2]: row[0] for row in table_rows(app.screen.table)}
        assert rows["resolve"] == "y"
        assert set(rows) >= {s.id for s in SPECS}
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


def table_rows(table) -> list[tuple[str, str, str]]:
    columns = [[str(cell) for cell in column.cells] for column in table.columns]
    return list(zip(*columns, strict=True))


async def test_command_palette_offers_actions_views_and_shows_keys(app):
    from deskterm.tui.commands import DeskCommands

    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        provider = DeskCommands(app.screen)
        titles = {title: help_text for title, help_text, _ in provider.commands()}
        assert titles["Resolve"].startswith("s")
        assert "View: Mine" in titles
        await run_command(pilot, "resolve", "Resolve")
        await until(pilot, lambda: queries.ticket(app.store, 1).status == "solved", "#1 solved")


async def test_a_macro_key_that_clashes_with_a_rebound_action_stays_unbound(db, tmp_path):
    from deskterm.config import Config
    from deskterm.macros import app_keys, load_macros

    folder = tmp_path / "macros"
    folder.mkdir()
    (folder / "hello.toml").write_text('name = "hello"\nkey = "y"\nnote = "hi"\n')
    (folder / "bye.toml").write_text('name = "bye"\nkey = "f5"\nnote = "bye"\n')
    raw = {"keymap": {"resolve": "y"}}
    macro_set = load_macros(folder, stock=False, reserved=app_keys(Config(raw=raw)))
    app = build_app(db, raw, macro_set=macro_set)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.macros.keys == {"f5": "bye"}
        assert any("key 'y' is one of the app's own keys" in n for n in notifications(app))
        await pilot.press("f5")
        await settle(pilot)
        assert "hi" not in str(app.screen.query_one("#macro-preview-text").render())
        assert "bye" in str(app.screen.query_one("#macro-preview-text").render())
