"""Nasty mail in, something an agent can read out: never dropped, always explained."""

from __future__ import annotations

import base64
import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskterm import ingest
from deskterm.connectors.email.parse import ParseOptions, parse_message
from deskterm.domain import Batch
from deskterm.store.attachments import AttachmentStore

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"
ARRIVED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def options(tmp_path) -> ParseOptions:
    return ParseOptions(
        account="mail",
        own_addresses=frozenset({"support@shop.example"}),
        attachments=AttachmentStore(tmp_path / "attachments"),
    )


def parse(name: str, options: ParseOptions):
    return parse_message((FIXTURES / name).read_bytes(), options, received=ARRIVED)


def test_unclosed_boundary_keeps_the_text_and_says_the_mime_is_broken(options):
    msg = parse("broken_boundary.eml", options)
    assert msg.text == "The first part survives even though the boundary never closes."
    assert [a.filename for a in msg.attachments] == ["half.bin"]
    assert any("broken MIME" in w for w in msg.warnings)


def test_unknown_charset_is_read_as_utf8_and_flagged(options):
    msg = parse("unknown_charset.eml", options)
    assert msg.text == "Grüße aus Köln"
    assert msg.subject == "Hello order"
    assert any("x-klingon" in w for w in msg.warnings)


def test_html_only_mail_becomes_markdown_without_scripts_and_with_real_link_targets(options):
    msg = parse("html_only.eml", options)
    assert "My **order** never came." in msg.text
    assert "- Blue mug" in msg.text
    assert "alert" not in msg.text and "color:red" not in msg.text
    assert "(https://evil.example/login)" in msg.text
    assert msg.html and "<script>" in msg.html  # the original is kept, never rendered


def test_nested_multiparts_pick_the_text_and_keep_every_file(options):
    msg = parse("nested.eml", options)
    assert msg.text.startswith("Photo of the damage attached. Café table.")
    assert "It left the warehouse" not in msg.text
    files = {a.filename: a for a in msg.attachments}
    assert set(files) == {"damage.png", "_.._etc_passwd", "forwarded message.eml"}
    pdf = files["_.._etc_passwd"]
    assert pdf.content_type == "application/pdf"
    stored = Path(pdf.path)
    assert stored.read_bytes().startswith(b"%PDF-1.4")
    assert stored.name == pdf.sha256
    assert stored.is_relative_to(options.attachments.root)


def test_mail_without_message_id_or_date_is_kept_with_warnings_and_terminal_codes_removed(
    options,
):
    msg = parse("no_message_id.eml", options)
    assert msg.message_id is None
    assert msg.external_id.startswith("sha256:")
    assert msg.sent_at == ARRIVED
    assert msg.text == "Hello? Is anyone there?"
    assert any("Message-ID" in w for w in msg.warnings)
    assert any("Date" in w for w in msg.warnings)


def test_bytes_that_are_not_mail_are_still_stored_for_a_person_to_see(options, store):
    msg = parse("not_an_email.eml", options)
    assert "binary junk" in msg.text
    assert "\x1b" not in msg.text and "\x00" not in msg.text
    assert msg.warnings
    assert ingest.ingest_batch(store, "mail", Batch([msg], {})).added == 1


def test_amazon_relay_mail_is_the_amazon_channel_with_order_ids(options):
    msg = parse("amazon.eml", options)
    assert msg.channel == "amazon"
    assert msg.sender.value == "8fjw7d2kx@marketplace.amazon.co.uk"
    assert msg.order_numbers == ("202-1234567-7654321", "305-7654321-1234567")


def test_a_mail_names_its_orders_subject_first_and_not_the_ticket_token(options):
    raw = (
        b"From: Hana <hana@example.net>\nTo: support@shop.example\nMessage-ID: <o@example.net>\n"
        b"Date: Fri, 20 Nov 2026 07:00:00 +0000\nSubject: Re: Where is my Order #1361? [#87]\n\n"
        b"Also order no. 1200 and ORDER 1201; not shop.example/faq#555, &#1234; or 42 shirts.\n"
    )
    msg = parse_message(raw, options, received=ARRIVED)
    assert msg.channel == "email"
    assert msg.order_numbers == ("1361", "1200", "1201")


def test_shopify_contact_form_belongs_to_the_customer_in_reply_to(options):
    msg = parse("shopify_contact.eml", options)
    assert msg.sender.value == "fiona@example.org"
    assert msg.sender_name == "Fiona Field"


def test_bounces_are_automatic(options):
    assert parse("bounce.eml", options).automatic is True


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "Precedence: junk",
        "List-Id: <news.example.net>",
        "X-Autoreply: yes",
    ],
)
def test_machine_sent_mail_is_automatic(options, header):
    raw = f"From: a@example.net\r\n{header}\r\nSubject: s\r\n\r\nbody\r\n".encode()
    assert parse_message(raw, options).automatic is True


def test_mail_from_our_own_address_is_automatic_but_auto_submitted_no_is_not(options):
    own = b"From: Support <Support@shop.example>\r\nSubject: loop\r\n\r\nx\r\n"
    person = b"From: a@example.net\r\nAuto-Submitted: no\r\nSubject: hi\r\n\r\nx\r\n"
    assert parse_message(own, options).automatic is True
    assert parse_message(person, options).automatic is False


def test_a_20_mb_attachment_is_stored_once_by_hash(options):
    blob = bytes(range(256)) * (20 * 1024 * 1024 // 256)
    raw = _with_attachment(blob, "catalogue.bin")
    first = parse_message(raw, options)
    second = parse_message(raw.replace(b"Message-ID: <big@", b"Message-ID: <big2@"), options)
    (a,) = first.attachments
    assert a.size == len(blob)
    assert Path(a.path).stat().st_size == len(blob)
    assert second.attachments[0].path == a.path
    assert len(list(options.attachments.root.rglob("*"))) == 2  # one folder, one file


def test_attachment_over_the_cap_is_listed_with_a_visible_note_but_not_saved(tmp_path):
    options = ParseOptions(
        "mail", attachments=AttachmentStore(tmp_path), max_attachment_bytes=1024 * 1024
    )
    msg = parse_message(_with_attachment(b"x" * (2 * 1024 * 1024), "huge.iso"), options)
    (a,) = msg.attachments
    assert a.path is None and a.size == 2 * 1024 * 1024
    assert any("huge.iso" in w and "limit" in w for w in msg.warnings)


def test_encoded_subject_and_sender_name_are_decoded(options):
    raw = (
        b"From: =?utf-8?b?SsO8cmdlbiBNw7xsbGVy?= <j@example.de>\r\n"
        b"Subject: =?iso-8859-1?q?Bestellung_f=FCr?= =?utf-8?q?_K=C3=B6ln?=\r\n\r\nx\r\n"
    )
    msg = parse_message(raw, options)
    assert (msg.sender_name, msg.subject) == ("Jürgen Müller", "Bestellung für Köln")


def test_threading_headers_are_read(options):
    raw = (
        b"From: a@example.net\r\nMessage-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\n"
        b"References: <a@x>\r\n <b@x>\r\n\r\nx\r\n"
    )
    msg = parse_message(raw, options)
    assert (msg.message_id, msg.in_reply_to, msg.references) == (
        "<c@x>",
        "<b@x>",
        ("<a@x>", "<b@x>"),
    )


def test_fast_parse_matches_the_standard_library_strict_parser(options):
    # The speed path (compat32 + own decoding) must give the text policy.default would.
    raw = (FIXTURES / "nested.eml").read_bytes()
    strict = email.message_from_bytes(raw, policy=email.policy.default)
    assert parse_message(raw, options).subject == str(strict["Subject"])
    assert parse_message(raw, options).text.startswith(
        strict.get_body(("plain",)).get_content().strip()[:40]
    )


def _with_attachment(blob: bytes, name: str) -> bytes:
    encoded = base64.encodebytes(blob)
    return (
        b"From: a@example.net\r\nMessage-ID: <big@example.net>\r\nSubject: big\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        + f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'.encode()
        + encoded
        + b"--b--\r\n"
    )


def test_mail_no_parser_can_read_is_kept_raw_on_disk_with_a_warning(options, monkeypatch):
    import deskterm.connectors.email.parse as parse_module

    def broken(msg):
        raise RecursionError("nested too deep")

    monkeypatch.setattr(parse_module, "message_body", broken)
    raw = (FIXTURES / "nested.eml").read_bytes()
    msg = parse_message(raw, options, received=ARRIVED)
    assert msg.subject == "(unreadable message)"
    assert "RecursionError" in msg.warnings[0]
    assert Path(msg.raw_path).read_bytes() == raw
    assert "Photo of the damage" in msg.text


def test_a_date_from_the_future_is_replaced_by_the_arrival_time(options):
    raw = b"From: a@example.net\r\nDate: Fri, 1 Jan 2100 00:00:00 +0000\r\nSubject: s\r\n\r\nx\r\n"
    msg = parse_message(raw, options, received=ARRIVED)
    assert msg.sent_at == ARRIVED
    assert any("future" in w for w in msg.warnings)


@pytest.mark.parametrize(
    "subject",
    [
        "=?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?q?_aus?= K=?iso-8859-1?q?=F6?=ln",
        "=?UTF-8?B?5rOo5paH55Wq5Y+3IDEyMy0xMjM0NTY3LTEyMzQ1Njc=?=",
        "Re: [#42]\r\n =?windows-1252?q?=93quoted=94_=80?=",
        "=?shift_jis?b?g2WDWINn?= plain",
        "Bestellung für Jürgen",
        "no encoding at all",
    ],
)
def test_fast_header_decoding_reads_like_the_strict_parser(options, subject):
    raw = f"From: a@example.net\r\nSubject: {subject}\r\n\r\nx\r\n".encode()
    strict = email.message_from_bytes(raw, policy=email.policy.default)
    assert parse_message(raw, options).subject == str(strict["Subject"])
