"""Hostile mail keeps what it has: headers when the HTML is absurdly deep, the text when the MIME
lies about its parts, readable headers when they come as raw 8-bit bytes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskterm.connectors.email.parse import ParseOptions, parse_message
from deskterm.content import html_to_markdown
from deskterm.store.attachments import AttachmentStore

ARRIVED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def options(tmp_path) -> ParseOptions:
    return ParseOptions(
        account="mail",
        own_addresses=frozenset({"support@shop.example"}),
        attachments=AttachmentStore(tmp_path / "attachments"),
    )


def html_mail(html: str) -> bytes:
    return (
        "From: Nina Deep <nina@example.net>\r\nTo: support@shop.example\r\n"
        "Subject: Nested order question\r\nMessage-ID: <deep@example.net>\r\n"
        "Date: Thu, 19 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 1000 + "Where is order 1042?" + "</div>" * 1000,
        "<table><tr><td>" * 300 + "Where is order 1042?" + "</td></tr></table>" * 300,
    ],
    ids=["1000 divs", "300 tables"],
)
def test_deeply_nested_html_keeps_the_sender_subject_and_text(options, html):
    msg = parse_message(html_mail(html), options, received=ARRIVED)

    assert (msg.sender.value, msg.subject) == ("nina@example.net", "Nested order question")
    assert "Where is order 1042?" in msg.text
    assert "Where is order 1042?" in html_to_markdown(html)  # the thread view renders it too


def mime_mail(content_type: str, body: str) -> bytes:
    return (
        "From: Omar <omar@example.net>\r\nTo: support@shop.example\r\n"
        "Subject: Lost boundary\r\nMessage-ID: <nob@example.net>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n{body}"
    ).encode()


PARTS = (
    "--sep42\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMy parcel 1042 is torn.\r\n"
    "--sep42\r\nContent-Type: application/pdf; name=label.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--sep42--\r\n"
)


@pytest.mark.parametrize(
    "content_type",
    ["multipart/mixed", 'multipart/mixed; boundary="other"', "multipart/mixed; boundary="],
    ids=["no boundary", "wrong boundary", "empty boundary"],
)
def test_a_multipart_with_a_broken_boundary_shows_its_text_as_the_body(options, content_type):
    msg = parse_message(mime_mail(content_type, PARTS), options, received=ARRIVED)

    assert msg.text == "My parcel 1042 is torn."
    assert [a.filename for a in msg.attachments] == ["label.pdf"]


def test_a_multipart_without_any_parts_shows_its_text_as_the_body(options):
    raw = mime_mail("multipart/alternative", "Just text, no parts at all.\r\n")
    msg = parse_message(raw, options, received=ARRIVED)

    assert msg.text == "Just text, no parts at all."
    assert msg.attachments == ()


def big5_mail(subject: str, body_charset: str | None) -> bytes:
    declared = f"; charset={body_charset}" if body_charset else ""
    return (
        b"From: " + "陳小姐".encode("big5") + b" <chen@example.tw>\r\nTo: support@shop.example\r\n"
        b"Subject: " + subject.encode("big5") + b"\r\nMessage-ID: <big5@example.tw>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain"
        + declared.encode()
        + b"\r\n\r\n"
        + "請幫我查詢".encode("big5")
        + b"\r\n"
    )


def test_raw_big5_headers_are_read_in_the_bodys_charset_and_flagged(options):
    msg = parse_message(big5_mail("訂單問題", "big5"), options, received=ARRIVED)

    assert (msg.subject, msg.sender_name) == ("訂單問題", "陳小姐")
    assert any("without a charset; read as big5" in w for w in msg.warnings)


def test_raw_big5_headers_without_any_charset_are_detected(options):
    subject = "訂單 1042 還沒有到，請幫我查詢"
    msg = parse_message(big5_mail(subject, None), options, received=ARRIVED)

    assert msg.subject == subject
