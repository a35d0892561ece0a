"""Desktop notifications: notify-send where a desktop session can show them, else the terminal's
own (OSC 9: iTerm2, WezTerm, kitty, foot and Windows Terminal show it; other terminals ignore it).

No Textual here: the workstation's ticker and `deskterm sync --watch` both say what
`notifications` makes of the SLA crossings and new mail ([tui] desktop decides which).
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from collections.abc import Collection
from typing import TextIO

from deskterm.domain import NewMail, SlaCrossing
from deskterm.untrusted import sanitize

# (what a ticket crossed into, the [tui] desktop setting that wants to hear of it, the title)
CROSSINGS = (("breached", "breach", "SLA breach"), ("warning", "warning", "SLA warning"))
MAIL_TITLE = "New mail on your ticket"


def tickets_text(rows: list[SlaCrossing]) -> str:
    """`#12 Where is my parcel, #14 ...`: up to three tickets, customer text made safe."""
    text = ", ".join(f"#{row.id} {sanitize(row.subject)}" for row in rows[:3])
    return text + (f" and {len(rows) - 3} more" if len(rows) > 3 else "")


def mail_text(mail: list[NewMail]) -> str:
    """`#3 from Carl Diaz: Re: Refund` for the first new mail, and how many more."""
    first = mail[0]
    sender = first.author_name or first.author_addr or "the customer"
    text = f"#{first.ticket_id} from {sanitize(sender)}: {sanitize(first.subject or '')}"
    return text + (f" (and {len(mail) - 1} more)" if len(mail) > 1 else "")


def notifications(
    crossed: list[SlaCrossing], mail: list[NewMail], wanted: Collection[str]
) -> list[tuple[str, str]]:
    """(title, text) of each desktop notification that crossings (queries.sla_crossings) and new
    mail on the agent's tickets make, for the events [tui] desktop lists in `wanted`."""
    said = []
    for crossing, setting, title in CROSSINGS:
        rows = [row for row in crossed if row.crossed == crossing]
        if rows and setting in wanted:
            said.append((title, tickets_text(rows)))
    if mail and "mine" in wanted:
        said.append((MAIL_TITLE, mail_text(mail)))
    return said


def deliver(title: str, text: str, terminal: TextIO | None) -> None:
    """One notification, through notify-send on a desktop, else as OSC 9 to `terminal` (a
    terminal's stream; None: nowhere)."""
    program = notify_send()
    if program is not None:
        send(program, title, text)
    elif terminal is not None and terminal.isatty():
        terminal.write(terminal_sequence(title, text))
        terminal.flush()


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
