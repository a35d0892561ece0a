"""The keys the workstation keeps for itself, in one place the TUI and the macro loader share.

Headless on purpose (no Textual import): `deskterm macro check` reports clashes without starting
the app. Key names follow Textual's spelling ("enter", "ctrl+p", "f5"); single characters stand
for themselves, so "G" is shift+g and "?" is the question mark.
"""

from __future__ import annotations

# The app's default single-key bindings: navigation, ticket actions, palettes, help and quit.
APP_KEYS: tuple[str, ...] = (
    "j",
    "k",
    "g",
    "G",
    "enter",
    "escape",
    "r",
    "n",
    "m",
    "e",
    "s",
    "p",
    "z",
    "a",
    "t",
    "P",
    "/",
    "u",
    "?",
    "q",
    *"123456789",
    "ctrl+p",
)

# Keys Textual or the terminal take before the app sees them: quit, copy, focus cycling, and the
# control chords a terminal sends as the same byte as enter, tab, backspace and escape.
SYSTEM_KEYS: tuple[str, ...] = (
    "ctrl+c",
    "ctrl+q",
    "tab",
    "shift+tab",
    "ctrl+m",
    "ctrl+i",
    "ctrl+h",
    "ctrl+[",
)

RESERVED: frozenset[str] = frozenset(APP_KEYS + SYSTEM_KEYS)

# Textual's names for characters, accepted in config files and macros alike.
KEY_ALIASES: dict[str, str] = {
    "question_mark": "?",
    "slash": "/",
    "space": " ",
    "return": "enter",
    "esc": "escape",
}


def normalize_key(key: str) -> str:
    """One spelling per key: aliases resolved, modifiers lower-case, a lone character kept as is."""
    if len(key) == 1:
        return key
    key = key.strip()
    *modifiers, base = key.split("+")
    base = KEY_ALIASES.get(base.lower(), base if len(base) == 1 else base.lower())
    return "+".join([*(m.lower() for m in modifiers), base])
