"""The conversation of one ticket: customer, agent, note and automatic messages, each distinct."""

from __future__ import annotations

from datetime import tzinfo

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskterm.content import html_to_markdown, sanitize, split_quoted
from deskterm.domain import Message, from_iso
from deskterm.store.team import held_reason

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
    """One message; its CSS class says whose it is (-in, -out, -note, -auto)."""

    def __init__(self, message: Message, *, show_quoted: bool, zone: tzinfo) -> None:
        super().__init__(
            render_message(message, show_quoted=show_quoted, zone=zone),
            classes=f"message -{message_kind(message)}",
        )


class Thread(VerticalScroll):
    """All messages of the ticket, oldest first, scrolled to the newest."""

    def show(self, messages: list[Message], *, show_quoted: bool, zone: tzinfo) -> None:
        self.remove_children()
        self.mount_all(
            [MessageView(m, show_quoted=show_quoted, zone=zone) for m in messages]
            or [Static(Text("No messages.", style="dim"))]
        )
        self.call_after_refresh(self.scroll_end, animate=False)
