"""The conversation of one ticket: customer, agent, note and automatic messages, each distinct."""

from __future__ import annotations

from datetime import tzinfo

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskterm.content import html_to_markdown, sanitize, split_quoted
from deskterm.domain import Message, from_iso
from deskterm.store.team import held_reason
from deskterm.tui import palette

KIND_LABELS = {"in": "customer", "out": "reply", "note": "internal note", "auto": "automatic"}
# Where a reply is on its way out; a sent reply needs no label.
DELIVERY_LABELS = {
    "queued": ("waiting in the outbox", "yellow"),
    "sending": ("sending", "yellow"),
    "failed": ("NOT SENT", "bold red"),
}


def message_kind(message: Message) -> str:
    return "auto" if message.automatic else message.direction


def body_text(message: Message) -> str:
    """The readable body: the text part, else the HTML part as Markdown (links keep their target)."""
    text = message.text or ""
    if not text.strip() and message.html:
        text = html_to_markdown(message.html)
    return sanitize(text).strip("\n")


def size_label(size: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("kB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def delivery_label(message: Message) -> Text:
    """Where a reply is on its way out; a held one says why and what the agent may do."""
    held = held_reason(message.delivery_error) if message.delivery == "failed" else None
    if held is not None:
        return Text(f"  ·  NEEDS ATTENTION: {sanitize(held)}", style="bold yellow")
    if message.delivery not in DELIVERY_LABELS:
        return Text()
    label, style = DELIVERY_LABELS[message.delivery]
    error = message.delivery_error
    return Text(f"  ·  {label}" + (f": {sanitize(error)}" if error else ""), style=style)


def render_message(message: Message, *, show_quoted: bool, zone: tzinfo) -> Text:
    """One message as Text; everything from the customer is literal, never markup."""
    kind = message_kind(message)
    when = from_iso(message.sent_at).astimezone(zone).strftime("%a %d %b %H:%M")
    author = sanitize(message.author_name or message.author_addr or "")
    head = Text.assemble(
        (author or KIND_LABELS[kind], "bold"),
        (f" <{sanitize(message.author_addr)}>" if message.author_addr else "", "dim"),
        ("  ·  " + KIND_LABELS[kind] + "  ·  " + when, "dim"),
    )
    head.append_text(delivery_label(message))
    body, quoted = split_quoted(body_text(message))
    parts = [head, Text(body or "(no text)", style="" if body else "dim")]
    if quoted:
        lines = quoted.count("\n") + 1
        if show_quoted:
            parts.append(Text(quoted, style="dim italic"))
        else:
            parts.append(Text(f"▸ {lines} quoted lines hidden (x shows them)", style="dim"))
    for attachment in message.attachments:
        name = sanitize(attachment.filename)
        size = size_label(attachment.size)
        parts.append(Text.assemble(("📎 ", ""), (name, "underline"), (f"  {size}", "dim")))
    for warning in message.warnings:
        parts.append(Text("⚠ " + sanitize(str(warning)), style="yellow"))
    return Text("\n").join(parts)


class MessageView(Static):
    """One message; its CSS class says whose it is (-in, -out, -note, -auto), and -cursor marks
    the one j and k have chosen (what a split takes)."""

    def __init__(
        self, message: Message, *, show_quoted: bool, zone: tzinfo, dark: bool = True
    ) -> None:
        super().__init__(
            palette.recolour(render_message(message, show_quoted=show_quoted, zone=zone), dark),
            classes=f"message -{message_kind(message)}",
        )
        self.message = message


class Thread(VerticalScroll):
    """All messages of the ticket, oldest first, scrolled to the newest, which j and k start
    from."""

    cursor = -1
    # The messages shown (the children being removed are still queryable for a while).
    shown: tuple[MessageView, ...] = ()

    def show(self, messages: list[Message], *, show_quoted: bool, zone: tzinfo) -> None:
        chosen = self.current
        self.remove_children()
        dark = self.app.current_theme.dark
        self.shown = tuple(
            MessageView(m, show_quoted=show_quoted, zone=zone, dark=dark) for m in messages
        )
        self.mount_all(self.shown or [Static(Text("No messages.", style="dim"))])
        ids = [m.id for m in messages]
        # The message chosen before stays chosen (a sync pass, quoted text shown), else the newest.
        self.cursor = ids.index(chosen.id) if chosen and chosen.id in ids else len(ids) - 1
        self._mark()
        self.call_after_refresh(self.scroll_end, animate=False)

    @property
    def current(self) -> Message | None:
        return self.shown[self.cursor].message if 0 <= self.cursor < len(self.shown) else None

    def move(self, step: int) -> None:
        """Choose the message `step` places away and bring it into view."""
        if not self.shown:
            return
        self.cursor = max(0, min(self.cursor + step, len(self.shown) - 1))
        self._mark()
        self.scroll_to_widget(self.shown[self.cursor], animate=False)

    def _mark(self) -> None:
        for n, view in enumerate(self.shown):
            view.set_class(n == self.cursor, "-cursor")
