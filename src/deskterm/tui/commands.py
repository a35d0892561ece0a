"""The command palette: every binding of the screen, every view, every macro and every channel
action (Amazon buyer messages, review requests, ...), by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from deskterm.keys import SPECS, display_key
from deskterm.tui.desk import desk_of
from deskterm.tui.screens.connector_actions import palette_entries


class DeskCommands(Provider):
    """Generated from the key specs and the keymap in force, so it never drifts from the keys."""

    def commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        """(title, help, what it runs) of everything the screen offers."""
        screen = self.screen
        desk = desk_of(screen)
        scopes = getattr(screen, "SCOPES", ())
        keymap = desk.user_keymap
        for spec in SPECS:
            if spec.scope in scopes:
                keys = display_key(keymap[spec.id]) or "no key"
                yield (
                    spec.description,
                    f"{keys}  ·  {spec.id}",
                    partial(screen.run_action, spec.action),
                )
        for n, view in enumerate(getattr(screen, "views", ())):
            key = f"{n + 1}  ·  " if n < 9 else ""
            yield (
                f"View: {view.name}",
                f"{key}{view.query or 'the whole queue'}",
                partial(screen.run_action, f"view({n + 1})"),
            )
        if hasattr(screen, "action_macros"):
            for key, name, description in desk.macro_entries():
                yield (
                    f"Macro: {name}",
                    f"{key or 'm'}  ·  {description}",
                    partial(screen.action_macros, name),
                )
        if hasattr(screen, "action_connector_actions"):
            for name, description in palette_entries(desk.store_path):
                yield (
                    f"Channel: {description}",
                    f"{name}  ·  previewed, then confirmed",
                    partial(screen.action_connector_actions, name),
                )

    async def discover(self) -> Hits:
        for title, help_text, command in self.commands():
            yield DiscoveryHit(Text(title), command, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, text=title, help=help_text)
