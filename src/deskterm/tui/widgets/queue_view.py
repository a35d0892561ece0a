"""The virtual queue: a ScrollView that renders only the visible rows, read page by page.

Each visible line is rendered on demand from the QueueSource and kept in an LRU of Strips keyed by
everything that changes how it looks, so a clock tick re-renders only rows whose countdown moved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from deskterm.content import sanitize
from deskterm.domain import from_iso
from deskterm.sla import rules
from deskterm.store.queries import QueueRow
from deskterm.tui import palette
from deskterm.tui.queue_source import QueueSource
from deskterm.tui.widgets.sla import sla_label

# A priority's mark and the palette colour it takes (tui.palette).
PRIORITY_MARKS = {
    "urgent": ("!!", "breached"),
    "high": ("!", "warning"),
    "normal": ("", "text"),
    "low": ("↓", "muted"),
}


# The About column shows what the ticket is about in the colour of the customer's mood: in the
# queue a palette role (tui.palette), elsewhere the style.
MOOD_STYLES = {"angry": "bold red", "negative": "yellow", "neutral": "", "positive": "green"}
MOOD_ROLES = {"angry": "breached", "negative": "warning", "neutral": "text", "positive": "running"}


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int
    min_screen: int = 0


# Columns in display order; a column is dropped when the screen is narrower than min_screen.
COLUMNS = (
    Column("SLA", 17),
    Column("P", 2),
    Column("Channel", 8, 70),
    Column("Customer", 16),
    Column("Subject", 0),
    Column("Status", 8, 60),
    Column("Assignee", 9, 100),
    Column("Tags", 14, 110),
    Column("About", 9, 130),
    Column("Last", 5, 80),
)


def layout(width: int) -> list[tuple[Column, int]]:
    """The columns that fit `width` and their widths; the subject takes what is left."""
    shown = [c for c in COLUMNS if width >= c.min_screen]
    fixed = sum(c.width for c in shown) + len(shown) - 1
    return [(c, c.width or max(width - fixed, 8)) for c in shown]


def age(moment: str, now: datetime) -> str:
    """How long ago, in the largest unit that fits: 'now', '5m', '3h', '2d', '6w'."""
    seconds = int((now - from_iso(moment)).total_seconds())
    if seconds < 60:
        return "now"
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def one_line(text: str | None) -> str:
    """Untrusted text made safe for one cell: no control sequences, no line breaks."""
    return " ".join(sanitize(text or "").split())


# What channels put before the customer's own words (Shopify's contact form, Amazon's relay): the
# queue's narrow subject column shows the meaning, the full subject stays in the ticket.
SHOP_FORM = re.compile(r"New customer message on \S+?:\s+(?P<rest>.+)")
AMAZON_RELAY = re.compile(
    r"Inquiry from Amazon customer .*?\(Order:\s*(?P<order>[\w-]+)\)\s*(?P<rest>.*)"
)


def queue_subject(subject: str | None) -> str:
    """The subject for the queue's column, channel boilerplate stripped."""
    text = one_line(subject)
    if found := SHOP_FORM.fullmatch(text):
        return found["rest"]
    if found := AMAZON_RELAY.fullmatch(text):
        return found["rest"] or f"Amazon order {found['order']}"
    return text


def initials(agent: str) -> str:
    """Two letters for an agent: 'anna' AN, 'ben.okafor' BO."""
    words = [w for w in re.split(r"[\W_]+", one_line(agent)) if w]
    if len(words) >= 2:
        return (words[0][0] + words[1][0]).upper()
    return (words[0][:2] if words else "?").upper()


# Someone else has the ticket open (team mode): writing outranks viewing in the one mark shown.
PRESENCE_MARKS = {"writing": ("✎", "warning"), "viewing": ("◉", "channel")}


def presence_mark(present: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """'✎AN ' (anna writes), '◉BE+1 ' (ben and one more view) and its palette role; '' for none."""
    if not present:
        return "", "text"
    agent, doing = min(present, key=lambda p: (p[1] != "writing", p[0]))
    symbol, role = PRESENCE_MARKS.get(doing, PRESENCE_MARKS["viewing"])
    more = f"+{len(present) - 1}" if len(present) > 1 else ""
    return f"{symbol}{initials(agent)}{more} ", role


# A reply of the ticket waits for a person: refused by its channel, or held by the team server
# (the ticket's banner says "⚠ Reply held" too).
UNSENT_MARKS = {"failed": ("✗ not sent ", "breached"), "held": ("⚠ reply held ", "warning")}


def cells(
    row: QueueRow,
    now: datetime,
    colours: dict[str, str] = palette.DARK,
    present: tuple[tuple[str, str], ...] = (),
) -> dict[str, Text]:
    """Every column of one ticket as Text in the theme's `colours`, with who else has it open
    (`present`: (agent, viewing|writing)); customer text is never read as markup."""

    def style(role: str, *, bold: bool = False) -> Style:
        return Style(color=colours[role], bold=bold)

    mark, mark_role = PRIORITY_MARKS.get(row.priority, ("?", "text"))
    escalated = f"↑{row.escalation} " if row.escalation else ""
    unsent, unsent_role = UNSENT_MARKS.get(row.unsent or "", ("", "text"))
    label, state = sla_label(row.sla_state, row.next_deadline, now)
    alarm = state in (rules.WARNING, rules.BREACHED)
    muted = style("muted")
    here, here_role = presence_mark(present)
    return {
        "SLA": Text(label, style=style(palette.SLA_ROLES.get(state, "text"), bold=alarm)),
        "P": Text(mark, style=style(mark_role, bold=row.priority == "urgent")),
        "Channel": Text(row.channel, style=style("channel")),
        "Customer": Text(one_line(row.customer)),
        "Subject": Text.assemble(
            (here, style(here_role, bold=True)),
            (unsent, style(unsent_role, bold=True)),
            (escalated, style("escalated", bold=True)),
            queue_subject(row.subject),
        ),
        "Status": Text(row.status, style=muted if row.status == "pending" else ""),
        "Assignee": Text(one_line(row.assignee) or "—", style="" if row.assignee else muted),
        "Tags": Text(" ".join(row.tag_list), style=style("tags")),
        "About": Text(row.intent or "", style=style(MOOD_ROLES.get(row.mood or "", "muted"))),
        "Last": Text(age(row.last_message_at, now), style=muted),
    }


# While tickets are marked for a bulk change, every row starts with this gutter: marked or not.
MARKED, UNMARKED = "✓ ", "  "


def compose_line(parts: dict[str, Text], width: int, gutter: Text | None = None) -> Text:
    """The cells laid out in `width`, after the mark `gutter` if there is one."""
    line = Text(no_wrap=True, end="")
    if gutter is not None:
        line.append_text(gutter)
        width -= gutter.cell_len
    for n, (column, size) in enumerate(layout(width)):
        cell = parts[column.title].copy()
        cell.truncate(size, overflow="ellipsis", pad=True)
        if n:
            line.append(" ")
        line.append_text(cell)
    return line


def header_line(width: int, marking: bool = False) -> Text:
    gutter = Text(UNMARKED) if marking else None
    return compose_line({c.title: Text(c.title) for c in COLUMNS}, width, gutter)


class QueueHeader(Widget):
    """The column titles above the queue, laid out like its rows."""

    DEFAULT_CSS = """
    QueueHeader { height: 1; text-style: bold; background: $panel; }
    """

    # Tickets are marked: the rows have a gutter, so the titles move with them.
    marking: reactive[bool] = reactive(False)

    def render(self) -> Text:
        return header_line(self.size.width, self.marking)


class QueueView(ScrollView, can_focus=True):
    """Rows of the queue; the cursor row is the ticket the keys act on."""

    COMPONENT_CLASSES: ClassVar = {"queue-view--cursor"}
    DEFAULT_CSS = f"""
    QueueView {{ height: 1fr; scrollbar-size-vertical: 1; }}
    QueueView > .queue-view--cursor {{
        background: $foreground {palette.CURSOR_TINT}%; text-style: bold;
    }}
    QueueView:focus > .queue-view--cursor {{
        background: $foreground {palette.FOCUSED_CURSOR_TINT}%;
    }}
    """

    class Highlighted(Message):
        """The cursor moved to another ticket (or to none, in an empty queue)."""

        def __init__(self, row: QueueRow | None) -> None:
            self.row = row
            super().__init__()

    class Selected(Message):
        """The agent chose a ticket to open (enter or a click on the cursor row)."""

        def __init__(self, row: QueueRow) -> None:
            self.row = row
            super().__init__()

    def __init__(
        self, source: QueueSource, now: Callable[[], datetime], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.source = source
        self.now = now
        self.cursor = 0
        # Tickets marked for a bulk change (by id: they stay marked as the queue moves).
        self.marked: set[int] = set()
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        # Who else has which ticket open (team mode), by ticket id.
        self.present: dict[int, tuple[tuple[str, str], ...]] = {}
        # (the source's generation, how many snoozed tickets its query leaves out).
        self._snoozed: tuple[int, int] = (-1, 0)

    @property
    def count(self) -> int:
        return self.source.count

    @property
    def snoozed_hidden(self) -> int:
        """Snoozed tickets the query would list but for their snooze (counted with the rows)."""
        generation, snoozed = self._snoozed
        return snoozed if generation == self.source.generation else 0

    def _virtual(self) -> Size:
        """As tall as its lines and no wider than the view: a row never scrolls sideways, and a
        horizontal scrollbar (the vertical one narrows the view) would cover the last line."""
        return Size(0, self.lines)

    @property
    def lines(self) -> int:
        """The rows, and a line after them that says how many snoozed tickets the view hides."""
        return self.count + (1 if self.snoozed_hidden and self.count else 0)

    @property
    def current(self) -> QueueRow | None:
        return self.source.row(self.cursor)

    def on_mount(self) -> None:
        self.virtual_size = self._virtual()

    def on_resize(self) -> None:
        self.virtual_size = self._virtual()

    def reload(self, *, keep: int | None = None) -> None:
        """Read the queue again; keep the cursor on ticket `keep` if it is still listed."""
        self.source.invalidate()
        if self.cursor >= self.source.count:
            # Deep in a long queue: the provisional count would pull the cursor up.
            self.source.exact_count()
        self.virtual_size = self._virtual()
        if keep is not None:
            self.source.row(self.cursor)
            found = self.source.index_of(keep, near=self.cursor)
            if found is not None:
                self.cursor = found
        self.move_to(self.cursor, force=True)
        self.refresh()

    def count_settled(self, snoozed: int = 0) -> None:
        """The exact count arrived (and how many snoozed tickets the query leaves out): the
        scrollbar and the reachable rows follow it."""
        self._snoozed = (self.source.generation, snoozed)
        self.virtual_size = self._virtual()
        self.refresh()

    def move_to(self, index: int, *, force: bool = False) -> None:
        """Put the cursor on row `index` (clamped), scroll it into view and announce it."""
        index = max(0, min(index, self.count - 1))
        if index == self.cursor and not force:
            return
        old, self.cursor = self.cursor, index
        self.refresh_line(old)
        self.refresh_line(index)
        top, height = int(self.scroll_y), max(self.size.height, 1)
        # On the last row, the line after it (the snoozed tickets left out) comes into view too.
        bottom = self.lines - 1 if index == self.count - 1 else index
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif bottom >= top + height:
            self.scroll_to(y=bottom - height + 1, animate=False, immediate=True)
        self.post_message(self.Highlighted(self.current))

    def move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def page(self, direction: int) -> None:
        self.move(direction * max(self.size.height - 1, 1))

    def tick(self) -> None:
        """Re-render the visible rows; unchanged ones come from the cache."""
        self.refresh_lines(int(self.scroll_y), self.size.height)

    def show_presence(self, others: dict[int, list[tuple[str, str]]]) -> None:
        """Mark the tickets the other agents have open; only visible rows are redrawn."""
        self.present = {ticket: tuple(entries) for ticket, entries in others.items()}
        self.tick()

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.size.width
        row = self.source.row(index)
        if row is None:
            said = ""
            if index == 0:
                said = self._empty_words()
            elif index == self.count and self.snoozed_hidden:
                said = f"  + {self._snoozed_words()}"
            if said:
                segments = list(Text(said, style="dim", end="").render(self.app.console))
                return Strip(segments).crop_extend(0, width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        now = self.now()
        selected = index == self.cursor
        # What time changes (the countdown, the age) is in the key; the cells are built only when
        # it changed, so a clock tick costs a few string formats per visible row.
        clock = sla_label(row.sla_state, row.next_deadline, now), age(row.last_message_at, now)
        dark = self.app.current_theme.dark
        present = self.present.get(row.id, ())
        mark = (row.id in self.marked) if self.marked else None
        key = (row, selected, self.has_focus, width, clock, dark, present, mark)
        strip = self._strips.get(key)
        if strip is None:
            colours = palette.colours(dark)
            gutter = None
            if mark is not None:
                gutter = Text(MARKED if mark else UNMARKED, style=Style(color=colours["text"]))
            parts = cells(row, now, colours, present)
            strip = self._render_row(parts, width, selected, gutter)
            self._strips[key] = strip
        return strip

    def _empty_words(self) -> str:
        if self.snoozed_hidden:
            return f"  No tickets in this view; {self._snoozed_words()}"
        return "  No tickets in this view."

    def _snoozed_words(self) -> str:
        """`2 snoozed hidden (is:snoozed shows them)`."""
        n = self.snoozed_hidden
        return f"{n} snoozed hidden (is:snoozed shows {'it' if n == 1 else 'them'})"

    def _render_row(
        self, parts: dict[str, Text], width: int, selected: bool, gutter: Text | None
    ) -> Strip:
        line = compose_line(parts, width, gutter)
        base: Style = self.rich_style
        if selected:
            base = base + self.get_component_rich_style("queue-view--cursor")
        segments = list(line.render(self.app.console))
        return Strip(segments).apply_style(base).crop_extend(0, width, base)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        row = self.source.row(index)
        if row is None:
            return
        if index == self.cursor:
            self.post_message(self.Selected(row))
        else:
            self.move_to(index)
