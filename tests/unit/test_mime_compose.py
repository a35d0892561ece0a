"""Outgoing replies as bytes: threading headers, HTML alternative, attachments, no injection."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from deskterm.connectors.email.compose import ComposeError, build_reply, references_for
from deskterm.domain import Attachment, Identity, Outbound

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def outbound(**fields) -> Outbound:
    values = {
        "outbox_id": 1,
        "ticket_id": 7,
        "account": "mail",
        "channel": "email",
        "to": Identity("email", "ann@example.net"),
        "subject": "Re: Lamp [#7]",
        "body": "Hello **Ann**,\n\n<script>x()</script> your lamp ships today.",
        "message_id": "<fixed@shop.example>",
        "idempotency_key": "k",
        "in_reply_to": "<q2@example.net>",
        "references": ("<q1@example.net>", "<q2@example.net>"),
    }
    values.update(fields)
    return Outbound(**values)


def parsed(item: Outbound) -> email.message.EmailMessage:
    raw = build_reply(item, "help@shop.example", "Shop Support", at=AT).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_reply_keeps_the_message_id_fixed_at_queue_time_and_threads_per_rfc5322():
    msg = parsed(outbound())
    assert msg["Message-ID"] == "<fixed@shop.example>"
    assert msg["In-Reply-To"] == "<q2@example.net>"
    assert msg["References"] == "<q1@example.net> <q2@example.net>"
    assert msg["From"] == "Shop Support <help@shop.example>"


def test_parent_id_is_appended_to_references_when_missing():
    item = outbound(references=("<q1@example.net>",))
    assert references_for(item) == ["<q1@example.net>", "<q2@example.net>"]


def test_html_alternative_renders_markdown_but_escapes_raw_html():
    html = parsed(outbound()).get_body(("html",)).get_content()
    assert "<strong>Ann</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_attachment_is_sent_with_its_name(tmp_path):
    path = tmp_path / "label.pdf"
    path.write_bytes(b"%PDF label")
    item = outbound(attachments=(Attachment("label.pdf", "application/pdf", 10, None, str(path)),))
    (part,) = parsed(item).iter_attachments()
    assert part.get_filename() == "label.pdf"
    assert part.get_content() == b"%PDF label"


def test_missing_attachment_file_is_a_clear_error():
    item = outbound(attachments=(Attachment("gone.pdf", "application/pdf", 1, None, "/nope"),))
    with pytest.raises(ComposeError, match=r"gone\.pdf"):
        build_reply(item, "help@shop.example")


def test_newline_in_subject_cannot_inject_headers():
    with pytest.raises(ComposeError):
        build_reply(outbound(subject="Hi\r\nBcc: everyone@example.net"), "help@shop.example")
