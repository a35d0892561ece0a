"""The queue's colours, one set for dark themes and one for light ones, chosen so that every text
keeps WCAG AA contrast (4.5:1) on every row state: a plain row, the cursor row and the focused
cursor row. tests/tui/test_contrast.py holds them to it; bench/bench_contrast.py prints the ratios.
"""

from __future__ import annotations

from textual.color import Color
from textual.theme import BUILTIN_THEMES

from deskterm.sla import rules

# The cursor row is the theme's own text colour laid over its surface at these strengths (%):
# grey on either theme, so coloured text stays readable on it (an accent-coloured cursor was
# brown, on which red and blue text fell to 1.2:1).
CURSOR_TINT = 10
FOCUSED_CURSOR_TINT = 16
AA = 4.5

DARK = {
    "text": "#e0e0e0",
    "muted": "#bcbcbc",
    "running": "#5fd787",
    "warning": "#ffd75f",
    "breached": "#ffa0a0",
    "met": "#87d7af",
    "channel": "#5fd7ff",
    "escalated": "#ff9bff",
    "tags": "#a0bfff",
}
LIGHT = {
    "text": "#1f1f1f",
    "muted": "#3a3a3a",
    "running": "#004d19",
    "warning": "#5a3900",
    "breached": "#8a0000",
    "met": "#004d33",
    "channel": "#00415c",
    "escalated": "#6a006a",
    "tags": "#17358a",
}

# The colour of each SLA state; warning and breach also carry a symbol (widgets.sla), so they
# never differ from a running clock by colour alone.
SLA_ROLES = {
    rules.RUNNING: "running",
    rules.WARNING: "warning",
    rules.BREACHED: "breached",
    rules.PAUSED: "muted",
    rules.MET: "met",
}


def colours(dark: bool) -> dict[str, str]:
    return DARK if dark else LIGHT


def _channel(value: int) -> float:
    share = value / 255
    return share / 12.92 if share <= 0.03928 else ((share + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two "#rrggbb" colours, 1 to 21."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def row_backgrounds(theme: str) -> dict[str, str]:
    """A plain row, the cursor row and the focused cursor row as built-in `theme` paints them."""
    variables = BUILTIN_THEMES[theme].to_color_system().generate()
    surface, text = Color.parse(variables["surface"]), Color.parse(variables["foreground"])
    return {
        "row": surface.hex,
        "cursor": surface.blend(text, CURSOR_TINT / 100).hex,
        "focused cursor": surface.blend(text, FOCUSED_CURSOR_TINT / 100).hex,
    }
