"""Customer text as the agent sees it: safe for the terminal, decoded, quoted history found."""

from __future__ import annotations

import email

from hypothesis import given
from hypothesis import strategies as st

from deskterm.content import (
    decode_bytes,
    decode_header_value,
    html_to_markdown,
    message_body,
    sanitize,
    split_quoted,
)


def test_colour_codes_and_title_changes_are_removed_but_the_words_stay():
    text = "a \x1b[31mred\x1b[0m word\x1b]0;pwned\x07 and \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"
    assert sanitize(text) == "a red word and link"


def test_unterminated_escape_string_does_not_hide_the_rest_of_the_message():
    assert sanitize("before \x1b] after") == "before  after"


def test_newlines_and_tabs_survive_while_carriage_returns_and_nul_go():
    assert sanitize("one\r\ntwo\tcol\rthree\x00\x7f\x85") == "one\ntwo\tcolthree"


def test_bidi_override_cannot_reverse_displayed_text():
    assert sanitize("pay \u202eevil\u202c now") == "pay evil now"


@given(st.text())
def test_sanitized_text_has_no_controls_left(text):
    clean = sanitize(text)
    assert all(ch in "\n\t" or not (ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F) for ch in clean)
    assert sanitize(clean) == clean


def test_plain_text_passes_through_unchanged():
    text = "Bonjour, où est ma commande 123-1234567-1234567 ? 🙂"
    assert sanitize(text) is text


def test_unknown_charset_is_decoded_and_flagged():
    text, warning = decode_bytes("grüße".encode(), "x-made-up")
    assert text == "grüße"
    assert "x-made-up" in warning


def test_windows_text_labelled_ascii_reads_correctly():
    assert decode_bytes("café – “quoted”".encode("cp1252"), "us-ascii") == (
        "café – “quoted”",
        None,
    )


def test_escape_interpreting_codecs_are_refused():
    text, warning = decode_bytes(b"\\x1b[31m", "unicode_escape")
    assert text == "\\x1b[31m"
    assert warning


def test_bad_bytes_are_replaced_and_flagged():
    text, warning = decode_bytes(b"ok \xff\xfe end", "shift_jis")
    assert text.startswith("ok") and "\ufffd" in text
    assert "shift_jis" in warning


def test_encoded_words_in_headers_are_decoded_with_spacing_kept():
    assert decode_header_value("Re: =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus =?iso-8859-1?q?K=F6ln?=") == (
        "Re: Grüße aus Köln",
        None,
    )


def test_folded_header_is_unfolded():
    assert decode_header_value("Where is\r\n my order")[0] == "Where is my order"


def test_raw_utf8_header_is_read_as_utf8():
    raw = "Bestellung für Jürgen".encode().decode("ascii", "surrogateescape")
    assert decode_header_value(raw)[0] == "Bestellung für Jürgen"


def test_html_becomes_markdown_with_real_link_targets():
    md = html_to_markdown(
        "<p>Hi <b>team</b></p><script>steal()</script><a href='https://evil.example'>"
        "https://shop.example</a>"
    )
    assert "**team**" in md
    assert "steal" not in md
    assert "(https://evil.example)" in md


NEWSLETTER = """
<html><head><style>td { color: #333 }</style></head><body>
<table width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center">
  <table role="presentation" width="600">
    <tr><td><h1>Your order shipped</h1></td></tr>
    <tr><td><p>Hi Jane,</p><p>Order <b>#1001</b> is on its way.</p></td></tr>
    <tr><td>Tracking:</td><td><a href="https://track.example/JD0001">JD0001</a></td></tr>
  </table>
  <table>
    <tr><th>Item</th><th>Qty</th></tr>
    <tr><td>Desk lamp</td><td>2</td></tr>
  </table>
</td></tr></table>
</body></html>
"""


def test_layout_tables_read_as_text_and_data_tables_stay_tables():
    md = html_to_markdown(NEWSLETTER)
    assert md == (
        "# Your order shipped\n\n"
        "Hi Jane,\n\n"
        "Order **#1001** is on its way.\n\n"
        "Tracking:  [JD0001](https://track.example/JD0001)\n\n"
        "| Item | Qty |\n| --- | --- |\n| Desk lamp | 2 |"
    )


def test_a_cell_outside_any_row_still_reads_as_text():
    md = html_to_markdown("<table><td>alone</td><td>together</td></table>")
    assert "alone" in md and "together" in md and "\x1f" not in md


def test_gmail_attribution_starts_the_quoted_history():
    new, quoted = split_quoted(
        "Thanks, that helped!\n\nOn Mon, 3 Feb 2025 at 10:00, Shop Support <help@shop.example>\n"
        "wrote:\n> Your parcel left today.\n"
    )
    assert new == "Thanks, that helped!"
    assert quoted.startswith("On Mon")


def test_outlook_header_block_starts_the_quoted_history():
    new, quoted = split_quoted(
        "See below.\n\nFrom: Shop <help@shop.example>\nSent: Monday\nTo: me\n\nOld text"
    )
    assert new == "See below."
    assert "Old text" in quoted


def test_trailing_quote_block_without_attribution_is_history_but_inline_answers_are_not():
    assert split_quoted("ok\n> old\n> older")[1] == "> old\n> older"
    interleaved = "> question one\nanswer one\n> question two\nanswer two"
    assert split_quoted(interleaved) == (interleaved, "")


def test_text_part_wins_over_html_alternative():
    msg = email.message_from_bytes(
        b"Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
        b"plain words\n--b\nContent-Type: text/html\n\n<p>html words</p>\n--b--\n"
    )
    body = message_body(msg)
    assert body.text == "plain words"
    assert "html words" in body.html


def test_empty_text_alternative_falls_back_to_the_html_body():
    msg = email.message_from_bytes(
        b"Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
        b"\n--b\nContent-Type: text/html\n\n<p>the real words</p>\n--b--\n"
    )
    assert message_body(msg).text == "the real words"
