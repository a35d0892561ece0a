"""WCAG AA (4.5:1) for every text of a queue row on every row state, and for what the queue's
header, the ticket screen, the composer and the prompts paint, in the dark and light themes;
warning and breach are told by a symbol as well as by colour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import queue_lines, settle
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.theme import BUILTIN_THEMES
from workspace import NOW, build_app

from deskterm import actions
from deskterm.domain import to_iso
from deskterm.sla import rules
from deskterm.store import open_store
from deskterm.tui import palette
from deskterm.tui.widgets.sla import sla_label

THEMES = ["textual-dark", "textual-light"]


@pytest.mark.parametrize("theme", THEMES)
def test_every_queue_colour_keeps_aa_contrast_on_every_row_state(theme):
    colours = palette.colours(BUILTIN_THEMES[theme].dark)
    low = [
        f"{role} {colour} on {state} {background}: {palette.contrast(colour, background):.2f}"
        for role, colour in colours.items()
        for state, background in palette.row_backgrounds(theme).items()
        if palette.contrast(colour, background) < palette.AA
    ]
    assert low == []


def test_the_contrast_ratio_is_wcags():
    assert palette.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert palette.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert palette.contrast("#ff0000", "#ffa62b") < palette.AA  # red on the old orange cursor


@pytest.mark.parametrize("theme", THEMES)
async def test_the_cursor_row_is_painted_as_measured(app, theme):
    async with app.run_test(size=(120, 30)) as pilot:
        app.theme = theme
        await settle(pilot)
        queue = app.screen.queue
        painted = queue.get_component_rich_style("queue-view--cursor").bgcolor
        assert (
            Color.from_rich_color(painted).hex == palette.row_backgrounds(theme)["focused cursor"]
        )
        segment = next(s for s in queue.render_line(0) if s.text.startswith("■"))
        assert (
            segment.style.color.triplet.hex == palette.colours(theme == "textual-dark")["breached"]
        )


def test_warning_and_breach_carry_a_symbol_not_only_a_colour():
    soon = to_iso(NOW + timedelta(minutes=10))
    assert sla_label(rules.WARNING, soon, NOW) == ("▲ 10m", rules.WARNING)
    assert sla_label(rules.RUNNING, soon, NOW) == ("10m", rules.RUNNING)
    assert sla_label(rules.RUNNING, to_iso(NOW - timedelta(minutes=5)), NOW) == (
        "■ overdue 5m",
        rules.BREACHED,
    )


async def test_the_queue_shows_the_symbols(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert queue_lines(app)[0].startswith("■ overdue 1h")


def low_contrast(screen, selectors: list[str]) -> list[str]:
    """Every text the widgets under `selectors` paint below AA, as 'where: ratio text'."""
    low = []
    for selector in selectors:
        for top in screen.query(selector):
            for widget in [top, *top.query("*")]:
                for text, fore, back, ratio in palette.painted(widget):
                    if ratio < palette.AA:
                        low.append(f"{selector}: {ratio:.2f} {fore} on {back} {text.strip()!r}")
    return low


@pytest.mark.parametrize("theme", THEMES)
async def test_the_ticket_screen_composer_and_prompts_keep_aa_contrast(db, theme):
    store = open_store(db)
    actions.reply(store, 1, "It ships today.", actor="agent:anna", at=NOW)  # "waiting" label
    store.close()
    app = build_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = theme
        await settle(pilot)
        low = low_contrast(app.screen, ["#status", "#views", "QueueHeader", "Footer"])
        await pilot.press("enter", "r")
        await settle(pilot)
        low += low_contrast(app.screen, ["#ticket-title", "#sidebar", "#thread", "#composer"])
        await pilot.press("escape")
        for key in ("t", "z", "P"):
            await pilot.press(key)
            await settle(pilot)
            low += low_contrast(app.screen, [".prompt"])
            await pilot.press("escape")
            await settle(pilot)
    assert low == []


def test_recolour_swaps_the_terminals_colours_for_the_palettes():
    line = Text.assemble(("■ overdue 1h", "bold red"), (" anna", "cyan"), (" note", "dim"))
    dark = palette.recolour(line, dark=True)
    styles = [Style.parse(s.style) if isinstance(s.style, str) else s.style for s in dark.spans]
    assert [s.color.triplet.hex if s.color else None for s in styles] == [
        palette.DARK["breached"],
        palette.DARK["channel"],
        None,
    ]
    assert styles[0].bold
