"""The workstation's colours, one set for dark themes and one for light ones, chosen so that every
text keeps WCAG AA contrast (4.5:1): on every queue row state (a plain row, the cursor row and the
focused cursor row) and, through `recolour`, in the ticket header, sidebar and thread.
tests/tui/test_contrast.py holds them to it, measuring what the screens paint (`painted`);
bench/bench_contrast.py prints the ratios.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.style import Style
from rich.text import Span, Text
from textual.color import Color
from textual.geometry import Region
from textual.theme import BUILTIN_THEMES
from textual.widget import Widget

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


# The ANSI colour names the widgets write their Rich text in, and the role that stands for each
# on screen: the terminal's own red on a dark grey is 3.6:1.
ANSI_ROLES = {
    "red": "breached",
    "yellow": "warning",
    "green": "running",
    "cyan": "channel",
    "blue": "tags",
    "magenta": "escalated",
}


def _role_style(style: str | Style, colours: dict[str, str]) -> str | Style:
    parsed = Style.parse(style) if isinstance(style, str) else style
    name = parsed.color.name if parsed.color is not None else ""
    if name not in ANSI_ROLES:
        return style
    return parsed + Style(color=colours[ANSI_ROLES[name]])


def recolour(text: Text, dark: bool) -> Text:
    """`text` with its ANSI colours replaced by the theme's palette, which keeps AA."""
    chosen = colours(dark)
    out = text.copy()
    if out.style:
        out.style = _role_style(out.style, chosen)
    out.spans = [
        Span(s.start, s.end, _role_style(s.style, chosen) if s.style else s.style)
        for s in out.spans
    ]
    return out


# Drawing, not text: borders, bars and the block characters of scroll bars and cursors.
DRAWING = range(0x2500, 0x25A0)


def painted(widget: Widget) -> Iterator[tuple[str, str, str, float]]:
    """Each piece of text `widget` paints: (text, colour, background, contrast), dim text taken
    as half way to its background, as terminals draw it."""
    width, height = widget.size.width, widget.size.height
    if not width or not height:
        return
    for strip in widget.render_lines(Region(0, 0, width, height)):
        for segment in strip:
            style = segment.style
            text = segment.text
            if style is None or style.color is None or style.bgcolor is None:
                continue
            if all(c.isspace() or ord(c) in DRAWING for c in text):
                continue
            fore = Color.from_rich_color(style.color)
            back = Color.from_rich_color(style.bgcolor)
            if style.reverse:
                fore, back = back, fore
            if style.dim:
                fore = back.blend(fore, 0.5)
            yield text, fore.hex, back.hex, contrast(fore.hex, back.hex)
