"""Desktop notifications: notify-send where a desktop session can show them, else the terminal's
own (OSC 9: iTerm2, WezTerm, kitty, foot and Windows Terminal show it; other terminals ignore it).

No Textual here: the ticker decides what to say and where it goes.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess


def notify_send() -> str | None:
    """The notify-send program when a desktop session is there to show it, else None."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    return shutil.which("notify-send")


def send(program: str, title: str, text: str) -> None:
    """One notification through `program` (notify-send); a missing or stuck one is let go.

    Notification servers may read the body as markup: customer text is escaped first.
    """
    command = [program, "--app-name=deskterm", "--", title, html.escape(text, quote=False)]
    try:
        subprocess.run(command, check=False, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return


def terminal_sequence(title: str, text: str) -> str:
    """The OSC 9 sequence that asks the terminal for a notification; nothing in the text can end
    it early or start another sequence."""
    words = "".join(c for c in f"{title}: {text}" if c.isprintable())
    return f"\x1b]9;{words}\x07"
