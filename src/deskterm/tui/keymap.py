"""The workstation's bindings as the TUI reads them; the grammar and the table live in deskterm.keys.

Headless code (macro loading, the CLI) needs the same table and key grammar, so they live outside
`tui/`; the screens and widgets import them through here.
"""

from deskterm.keys import (
    ACTIONS,
    APP,
    BY_ID,
    COMPOSER,
    QUEUE,
    SPECS,
    TICKET,
    KeySpec,
    display_key,
    key_list,
    parse_keymap,
)

__all__ = [
    "ACTIONS",
    "APP",
    "BY_ID",
    "COMPOSER",
    "QUEUE",
    "SPECS",
    "TICKET",
    "KeySpec",
    "display_key",
    "key_list",
    "parse_keymap",
]
