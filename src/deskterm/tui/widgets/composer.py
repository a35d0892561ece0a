"""The composer: a reply or an internal note, saved as a draft on every change."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, TextArea

from deskterm.keys import COMPOSER
from deskterm.store import Store, drafts
from deskterm.tui.bindings import bindings
from deskterm.tui.desk import desk_of
from deskterm.tui.jobs import Job

MODE_LABELS = {
    "reply": "Reply to the customer: ctrl+s sends, ctrl+t inserts a macro, ctrl+e opens $EDITOR,"
    " esc keeps the draft",
    "note": "Internal note, never sent: ctrl+s saves, ctrl+t inserts a macro, ctrl+e opens"
    " $EDITOR, esc keeps the draft",
}


def edit_with(editor: str, text: str) -> str:
    """Run `editor` on a temporary file holding `text`; return what the file holds afterwards."""
    with tempfile.TemporaryDirectory(prefix="deskterm-") as folder:
        path = Path(folder) / "message.txt"
        path.write_text(text, encoding="utf-8")
        subprocess.run([*shlex.split(editor), str(path)], check=True)
        return path.read_text(encoding="utf-8")


class Composer(Vertical):
    """Hidden until the agent replies or writes a note on the open ticket."""

    BINDINGS = bindings(COMPOSER)
    DEFAULT_CSS = """
    Composer { height: auto; max-height: 50%; display: none; border-top: heavy $accent; }
    Composer.-open { display: block; }
    Composer.-note { border-top: heavy $warning; }
    Composer TextArea { height: 10; }
    """

    class Send(Message):
        def __init__(self, kind: str, body: str) -> None:
            self.kind, self.body = kind, body
            super().__init__()

    class Closed(Message):
        pass

    class InsertMacro(Message):
        """The agent wants a macro's text here, without running its steps."""

    def __init__(self, ticket_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ticket_id = ticket_id
        self.kind = "reply"

    def compose(self) -> ComposeResult:
        yield Label(id="composer-mode")
        yield TextArea(id="composer-body", soft_wrap=True, show_line_numbers=False)

    @property
    def area(self) -> TextArea:
        return self.query_one(TextArea)

    def focus_area(self) -> None:
        self.area.focus()

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, kind: str) -> None:
        """Show the composer for a reply or a note, with its saved draft."""
        self.kind = kind
        self.query_one("#composer-mode", Label).update(Text(MODE_LABELS[kind], style="bold"))
        self.set_class(kind == "note", "-note")
        with self.area.prevent(TextArea.Changed):
            # One row by key, on the UI thread's connection: the draft must be there at once.
            self.area.load_text(drafts.load(desk_of(self).store, self.ticket_id, kind))
        self.add_class("-open")
        desk_of(self).handling.composing(True)
        # Focus now, not after a refresh: keys typed right after r belong to the reply.
        self.screen.set_focus(self.area)
        self.area.move_cursor(self.area.document.end)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        desk = desk_of(self)
        ticket_id, kind, text, now = self.ticket_id, self.kind, self.area.text, desk.now()

        def save(store: Store) -> None:
            drafts.save(store, ticket_id, kind, text, now)

        # In the job queue, so a draft saved while a reply is being queued lands before it; a
        # newer draft of the same message replaces one still waiting.
        desk.submit(
            Job(
                f"draft of #{ticket_id}",
                save,
                lambda _: None,
                lambda _: None,
                quiet=True,
                key=("draft", ticket_id, kind),
            )
        )

    def save_now(self) -> None:
        """Save the open draft at once, on the UI thread's connection (the app is closing)."""
        if self.is_open:
            desk = desk_of(self)
            drafts.save(desk.store, self.ticket_id, self.kind, self.area.text, desk.now())

    def sent(self) -> None:
        """The message went through actions (its draft is gone with it): empty and close."""
        with self.area.prevent(TextArea.Changed):
            self.area.load_text("")
        self.action_close()

    def action_send(self) -> None:
        self.post_message(self.Send(self.kind, self.area.text))

    def action_insert_macro(self) -> None:
        self.post_message(self.InsertMacro())

    def insert(self, text: str) -> None:
        """Put `text` at the cursor (saved as part of the draft like anything typed)."""
        self.area.insert(text)
        self.screen.set_focus(self.area)

    def action_close(self) -> None:
        self.remove_class("-open")
        desk_of(self).handling.composing(False)
        self.post_message(self.Closed())

    def action_editor(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            with desk_of(self).suspend():
                text = edit_with(editor, self.area.text)
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to an editor", severity="error")
            return
        except (OSError, subprocess.CalledProcessError) as exc:
            self.notify(f"{editor} failed: {exc}; the draft is unchanged", severity="error")
            return
        self.area.load_text(text.rstrip("\n"))
        self.area.move_cursor(self.area.document.end)
