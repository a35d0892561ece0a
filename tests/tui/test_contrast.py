"""WCAG AA (4.5:1) for every text of a queue row on every row state, in the dark and light themes;
warning and breach are told by a symbol as well as by colour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import queue_lines, settle
from textual.color import Color
from textual.theme import BUILTIN_THEMES
from workspace import NOW

from deskterm.domain import to_iso
from deskterm.sla import rules
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
