"""The help screen, generated from the key specs and the keymap in force, plus the macros."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from deskterm.keys import (
    ACTIONS,
    APP,
    COMPOSER,
    DASHBOARD,
    KNOWLEDGE,
    ORDER,
    QUEUE,
    SPECS,
    TICKET,
    Keymap,
    display_key,
)

SCOPE_TITLES = {
    QUEUE: "Queue",
    ACTIONS: "Ticket actions (queue and ticket)",
    TICKET: "Ticket",
    COMPOSER: "Composer",
    KNOWLEDGE: "Knowledge panel",
    ORDER: "Order",
    DASHBOARD: "Dashboard",
    APP: "Everywhere",
}


def help_table(keymap: Keymap, macros: list[tuple[str, str, str]]) -> Table:
    """Every binding with the keys it has now (and where a default went when the user's
    [keymap] took its key), then the macros (key, name, what)."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=False)
    table.add_column("keys", style="bold", no_wrap=True, min_width=12)
    table.add_column("what")
    table.add_column("id", style="dim", no_wrap=True)
    for scope, title in SCOPE_TITLES.items():
        table.add_row("", Text(title, style="bold underline"), "")
        for spec in SPECS:
            if spec.scope == scope:
                what = Text(spec.description)
                if spec.id in keymap.moved:
                    what.append(f" ({keymap.moved[spec.id]})", style="italic")
                table.add_row(display_key(keymap[spec.id]) or "—", what, spec.id)
        table.add_row("", "", "")
    table.add_row("", Text("Macros", style="bold underline"), "")
    if not macros:
        table.add_row("", Text("none installed", style="dim"), "")
    for key, name, description in macros:
        table.add_row(display_key(key) if key else "m", Text(f"{name}: {description}"), "")
    return table


class KeyScroll(VerticalScroll):
    """The help's scrolling table: j and k scroll it, as they move through the queue."""

    BINDINGS: ClassVar = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, keymap: Keymap, macros: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.table = help_table(keymap, macros)

    def compose(self) -> ComposeResult:
        with KeyScroll(classes="prompt help"):
            yield Static(Text("Keys (rebind them by id in [keymap])", style="bold"))
            yield Static(self.table)

    def action_close(self) -> None:
        self.dismiss()
