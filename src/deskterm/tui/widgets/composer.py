"""The composer: a reply or an internal note, saved as a draft on every change."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, TextArea

from deskterm.actions import ActionError
from deskterm.actions.outbox import reply_target
from deskterm.domain import Attachment
from deskterm.keys import COMPOSER
from deskterm.store import Store, drafts
from deskterm.store.attachments import AttachmentError, attach_file
from deskterm.tui.bindings import bindings
from deskterm.tui.desk import desk_of
from deskterm.tui.jobs import Job
from deskterm.tui.screens.prompts import TextPrompt
from deskterm.tui.widgets.queue_view import one_line

# The keys are in the footer below; the label says what is being written and that esc loses
# nothing (so it fits 80 columns).
MODE_LABELS = {
    "reply": "Reply to the customer (esc keeps the draft)",
    "note": "Internal note, never sent (esc keeps the draft)",
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
    Composer #composer-cc { height: 1; border: none; padding: 0 1; }
    Composer.-note #composer-to, Composer.-note #composer-cc, Composer.-note #composer-files {
        display: none;
    }
    """

    class Send(Message):
        def __init__(
            self, kind: str, body: str, cc: list[str], attachments: list[Attachment]
        ) -> None:
            self.kind, self.body, self.cc, self.attachments = kind, body, cc, attachments
            super().__init__()

    class Closed(Message):
        pass

    class InsertMacro(Message):
        """The agent wants a macro's text here, without running its steps."""

    def __init__(self, ticket_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ticket_id = ticket_id
        self.kind = "reply"
        # Files attached to the reply being written, already in the attachment store.
        self.attachments: list[Attachment] = []

    def compose(self) -> ComposeResult:
        yield Label(id="composer-mode")
        yield Label(id="composer-to")
        yield Input(id="composer-cc", placeholder="Cc: addresses, comma-separated (optional)")
        yield Label(id="composer-files")
        yield TextArea(id="composer-body", soft_wrap=True, show_line_numbers=False)

    @property
    def cc(self) -> list[str]:
        """The Cc addresses typed, in order."""
        text = self.query_one("#composer-cc", Input).value
        return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]

    def _show_recipient(self) -> None:
        """Who the reply goes to and through which account; Cc only where the reply is mail."""
        to = self.query_one("#composer-to", Label)
        try:
            # One ticket's rows by key, on the UI thread's connection, like the draft.
            target = reply_target(desk_of(self).store, self.ticket_id)
        except ActionError as exc:
            to.update(Text(str(exc), style="bold"))
            self.query_one("#composer-cc", Input).display = False
            return
        line = Text.assemble(("To: ", "bold"), one_line(target.address))
        line.append(f"  ·  via {one_line(target.account)} ({target.channel})", style="dim")
        to.update(line)
        self.query_one("#composer-cc", Input).display = target.takes_cc

    def _show_files(self) -> None:
        files = self.query_one("#composer-files", Label)
        files.display = bool(self.attachments)
        files.update(
            Text.assemble(
                ("Attached: ", "bold"),
                ", ".join(f"{a.filename} ({a.size:,} bytes)" for a in self.attachments),
            )
        )

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
        # One row by key, on the UI thread's connection: the draft must be there at once.
        draft = drafts.load_draft(desk_of(self).store, self.ticket_id, kind)
        with self.area.prevent(TextArea.Changed):
            self.area.load_text(draft.body)
        cc = self.query_one("#composer-cc", Input)
        with cc.prevent(Input.Changed):
            cc.value = ", ".join(draft.cc)
        self.attachments = list(draft.attachments)
        if kind == "reply":
            self._show_recipient()
        self._show_files()
        self.add_class("-open")
        desk_of(self).handling.composing(True)
        # Focus now, not after a refresh: keys typed right after r belong to the reply.
        self.screen.set_focus(self.area)
        self.area.move_cursor(self.area.document.end)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._save_draft()

    @on(Input.Changed, "#composer-cc")
    def _cc_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._save_draft()

    def _extras(self) -> dict[str, Any]:
        """A reply's Cc and files, as drafts.save takes them (a note has none)."""
        if self.kind != "reply":
            return {}
        return {"cc": self.cc, "attachments": list(self.attachments)}

    def _save_draft(self) -> None:
        desk = desk_of(self)
        ticket_id, kind, text, now = self.ticket_id, self.kind, self.area.text, desk.now()
        extras = self._extras()
        desk.here(ticket_id, "writing")

        def save(store: Store) -> None:
            drafts.save(store, ticket_id, kind, text, now, **extras)

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
            drafts.save(
                desk.store, self.ticket_id, self.kind, self.area.text, desk.now(), **self._extras()
            )

    def sent(self) -> None:
        """The message went through actions (its draft is gone with it): empty and close."""
        with self.area.prevent(TextArea.Changed):
            self.area.load_text("")
        self.query_one("#composer-cc", Input).value = ""
        self.attachments = []
        self.action_close()

    def action_send(self) -> None:
        cc = self.cc if self.kind == "reply" else []
        files = list(self.attachments) if self.kind == "reply" else []
        self.post_message(self.Send(self.kind, self.area.text, cc, files))

    async def action_attach(self) -> None:
        """Ask for a file and copy it into the attachment store (in the background)."""
        if self.kind != "reply":
            self.notify(
                "Notes stay inside deskterm: only a reply carries files", severity="warning"
            )
            return

        def chosen(path: str | None) -> None:
            if path and path.strip():
                desk_of(self).submit(
                    Job(
                        f"attach {Path(path).name}",
                        partial(_attach, path),
                        self._attached,
                        self._not_attached,
                    )
                )

        await self.app.push_screen(
            TextPrompt("File to attach", placeholder="~/Documents/label.pdf"), chosen
        )

    def _not_attached(self, reason: str) -> None:
        self.notify(reason, title="Not attached", severity="error")
        self.screen.set_focus(self.area)

    def _attached(self, attachment: Attachment) -> None:
        self.attachments.append(attachment)
        self._show_files()
        self._save_draft()
        self.screen.set_focus(self.area)

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


def _attach(path: str, _store: Store) -> Attachment:
    try:
        return attach_file(Path(path.strip()).expanduser())
    except AttachmentError as exc:
        raise ActionError(str(exc)) from None
