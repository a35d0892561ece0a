"""Outgoing mail: a reply as RFC 5322 bytes with threading headers, text plus HTML, attachments."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from deskterm.domain import Outbound, utcnow


class ComposeError(Exception):
    """The reply cannot be built as queued (missing attachment file, header injection, ...)."""


def markdown_to_html(body: str) -> str:
    """The HTML alternative of a Markdown reply; raw HTML in the body is escaped, not rendered."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).render(
        body
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    return f"{head}{rendered}</body></html>\n"


def references_for(outbound: Outbound) -> list[str]:
    """References per RFC 5322 3.6.4: the parent's References followed by the parent's id."""
    refs = list(outbound.references)
    if outbound.in_reply_to and (not refs or refs[-1] != outbound.in_reply_to):
        refs.append(outbound.in_reply_to)
    return refs


def build_reply(
    outbound: Outbound, from_addr: str, from_name: str = "", at: datetime | None = None
) -> EmailMessage:
    """The MIME message for one queued reply; its Message-ID is the one fixed at queue time."""
    msg = EmailMessage(policy=SMTP)
    try:
        msg["From"] = Address(display_name=from_name, addr_spec=from_addr)
        msg["To"] = outbound.to.value
        if outbound.cc:
            msg["Cc"] = ", ".join(outbound.cc)
        msg["Subject"] = outbound.subject
        msg["Date"] = format_datetime(at or utcnow())
        msg["Message-ID"] = outbound.message_id
        if outbound.in_reply_to:
            msg["In-Reply-To"] = outbound.in_reply_to
        refs = references_for(outbound)
        if refs:
            msg["References"] = " ".join(refs)
        if outbound.automatic:
            msg["Auto-Submitted"] = "auto-replied"
    except (ValueError, TypeError) as exc:
        raise ComposeError(f"reply {outbound.message_id} has an invalid header: {exc}") from exc
    msg.set_content(outbound.body)
    msg.add_alternative(markdown_to_html(outbound.body), subtype="html")
    for attachment in outbound.attachments:
        if not attachment.path or not Path(attachment.path).is_file():
            raise ComposeError(
                f"attachment {attachment.filename!r} of reply {outbound.message_id} is missing "
                f"on disk ({attachment.path or 'no path'})"
            )
        maintype, _, subtype = (attachment.content_type or "application/octet-stream").partition(
            "/"
        )
        msg.add_attachment(
            Path(attachment.path).read_bytes(),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return msg
