"""Untrusted message content made safe and readable: control stripping, charsets, MIME bodies,
HTML to Markdown, and where quoted history starts.

Everything here is pure (no I/O) so ingest, the TUI and the tests share one notion of "the text".
"""

from __future__ import annotations

import codecs
import email
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from html.parser import HTMLParser
from typing import cast

from deskterm.untrusted import sanitize

# Codecs Python knows that are not mail charsets: they would interpret the bytes as escapes.
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "punycode", "idna", "undefined", "utf_7"}
)
# What mail in the wild means by these labels (as browsers do it: WHATWG encoding standard).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "unicode-1-1-utf-7": "utf-7",
}


def _codec(charset: str | None) -> str | None:
    """Python's codec for a declared charset, or None when it is unknown or refused."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    return None if name.replace("-", "_") in _REFUSED_CODECS else name


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode `data` declared as `charset`; never fails. Returns the text and a warning, if any.

    Undeclared or unknown charsets try UTF-8 and fall back to Windows-1252; bytes that do not fit
    become U+FFFD and the warning says so.
    """
    name = _codec(charset)
    if name is not None:
        try:
            return data.decode(name), None
        except UnicodeDecodeError:
            if name == "utf-8":
                # Labelled ASCII or UTF-8 but really 8-bit Windows text: common from old clients.
                try:
                    return data.decode("cp1252"), None
                except UnicodeDecodeError:
                    pass
            return data.decode(name, "replace"), (
                f"some characters could not be decoded as {charset} and were replaced"
            )
        except (LookupError, ValueError, TypeError):
            pass  # a codec that exists but refuses these bytes entirely
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    if charset and charset.strip().lower() not in ("unknown-8bit", "x-unknown"):
        return text, f"unknown charset {charset!r}; decoded as UTF-8 or Windows-1252"
    return text, None


_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _detected(data: bytes) -> str | None:
    # Imported here: only mail with raw 8-bit headers in an unnamed charset needs it.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best.encoding if best is not None else None


def _raw_header(raw: bytes, hint: str | None) -> tuple[str, str | None]:
    """Raw 8-bit header bytes, which carry no charset, read as a browser would: UTF-8, else the
    charset the body declares (`hint`), else a detected one, and Windows-1252 last."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    for label in (hint, _detected(raw)):
        name = _codec(label)
        if name is None or name in ("utf-8", "ascii"):
            continue
        try:
            return raw.decode(name), f"a header was 8-bit text without a charset; read as {label}"
        except UnicodeDecodeError:
            continue
    text, _ = decode_bytes(raw, "utf-8")
    return text, "a header was 8-bit text without a charset; read as Windows-1252"


def decode_header_value(value: str | None, hint: str | None = None) -> tuple[str, str | None]:
    """A header as readable text: unfolded, RFC 2047 words decoded, raw 8-bit bytes read as
    UTF-8 or, failing that, in the body's charset `hint` or a detected one."""
    if value is None:
        return "", None
    value = str(value)
    if "\n" in value:
        value = _FOLD.sub("", value)
    warning = None
    if not value.isascii():
        # Raw 8-bit headers (RFC 6532, or just careless) arrive as surrogate escapes.
        raw = value.encode("ascii", "surrogateescape") if _has_surrogates(value) else None
        if raw is not None:
            value, warning = _raw_header(raw, hint)
    if "=?" not in value:
        return value.strip(), warning
    try:
        parts = decode_header(value)
    except Exception:
        # A malformed encoded word (bad base64, ...) is shown as written rather than lost.
        return value.strip(), "a header had a malformed encoded word and is shown undecoded"
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        text, problem = decode_bytes(chunk, charset)
        warning = warning or problem
        out.append(text)
    return "".join(out).strip(), warning


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


# Ends each cell of a layout table while rows are assembled; never left in the output.
_CELL_END = "\x1f"
# A layout row whose cells are all short single lines reads best as one line.
_ONE_LINE_ROW = 120


def _table_of(row):
    node = row.parent
    while node is not None and node.name != "table":
        node = node.parent
    return node


def _own_rows(table) -> list:
    """The table's rows, not those of tables nested in it."""
    return [row for row in table.find_all("tr") if _table_of(row) is table]


def _is_layout(table, rows: list) -> bool:
    """True for a table that only places things on the page, as most HTML mail is built.

    Markdown tables suit data: rows of at least two cells, nothing nested. A layout table as a
    Markdown table puts a whole message on one line between pipes.
    """
    if table.get("role") == "presentation" or table.find("table") is not None or len(rows) < 2:
        return True
    return max(len(row.find_all(["td", "th"], recursive=False)) for row in rows) < 2


@functools.cache
def _markdown_converter():
    # markdownify pulls in BeautifulSoup: about 40 ms to import, so only HTML-only mail pays it.
    # One converter for all mail: markdownify() builds a new one (options, tag cache) per call.
    from bs4 import Tag
    from markdownify import MarkdownConverter

    class MailTag(Tag):
        """find_parent by name as a plain walk up the tree.

        markdownify asks every tag for its <pre> ancestor; BeautifulSoup's general matcher made
        that a fifth of the conversion of a typical HTML newsletter.
        """

        def find_parent(self, name=None, attrs=None, **kwargs):
            if not isinstance(name, str) or attrs or kwargs:
                return super().find_parent(name, attrs or {}, **kwargs)
            node = self.parent
            while node is not None and node.name != name:
                node = node.parent
            return node

    class MailMarkdown(MarkdownConverter):
        """Layout tables read as text; only data tables become Markdown tables."""

        def convert_soup(self, soup):
            tables = [(table, _own_rows(table)) for table in soup.find_all("table")]
            for table, rows in [(t, r) for t, r in tables if _is_layout(t, r)]:
                # Renamed after every table was judged, while rows still found their tables.
                table.name = "x-layout"
                for row in rows:
                    row.name = "x-row"
                    for cell in row.find_all(["td", "th"], recursive=False):
                        cell.name = "x-cell"
            return super().convert_soup(soup)

        def convert_x_layout(self, el, text, parent_tags):
            return "\n\n" + text.strip() + "\n\n"

        def convert_x_cell(self, el, text, parent_tags):
            text = text.strip()
            return text + _CELL_END if text else ""

        def convert_x_row(self, el, text, parent_tags):
            cells = [c.strip() for c in text.split(_CELL_END) if c.strip()]
            line = "  ".join(cells)
            if "\n" not in line and len(line) <= _ONE_LINE_ROW:
                return "\n" + line + "\n" if line else ""
            return "\n\n" + "\n\n".join(cells) + "\n\n"

    return MailMarkdown(
        heading_style="ATX",
        bullets="-",
        strip=["img"],
        # markdownify's stub says str; its code and docs take a dict of BeautifulSoup arguments.
        bs4_options={"features": "html.parser", "element_classes": {Tag: MailTag}},  # type: ignore[arg-type]
    )


_BLANK_RUNS = re.compile(r"[ \t]+\n|\n[ \t]+(?=\n)")


class _TextOnly(HTMLParser):
    """The text of an HTML document in order, a line per block, without scripts and styles:
    read tag by tag, so no depth of nesting can exhaust the stack."""

    BLOCKS = frozenset(
        "address article blockquote br dd div dl dt footer h1 h2 h3 h4 h5 h6 header hr li ol p"
        " pre section table td th tr ul".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)


def html_text(html: str) -> str:
    """The plain text of an HTML body, however deeply it nests."""
    reader = _TextOnly()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.chunks).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_markdown(html: str) -> str:
    """Readable Markdown for an HTML body; scripts and styles dropped, links keep their target.

    HTML nested deeper than the converter's recursion can walk (a few hundred elements) is read
    as plain text instead.
    """
    try:
        text = _markdown_converter().convert(html)
    except RecursionError:
        return html_text(html)
    text = text.replace(_CELL_END, "\n")
    text = _BLANK_RUNS.sub("\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Lines that start quoted history in replies, by the mail clients that write them.
_ATTRIBUTION = re.compile(
    r"^(?:"
    r"On\b.{0,300}\bwrote:"
    r"|Am\b.{0,300}\bschrieb\b.{0,200}:"
    r"|Le\b.{0,300}\ba écrit\s*:"
    r"|El\b.{0,300}\bescribió:"
    r"|Op\b.{0,300}\bschreef\b.{0,200}:"
    r"|-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Forwarded message)"
    r"\s*-{2,}"
    r"|_{10,}"
    r")\s*$",
    re.IGNORECASE,
)
_OUTLOOK_HEADER = re.compile(r"^\*?(?:From|Von|De):\*?\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\*?(?:Sent|Date|Gesendet|Envoyé|To|An|À):\*?\s", re.IGNORECASE)


def quoted_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history in `lines`, or None when there is none."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        # Gmail wraps a long attribution over two lines.
        joined = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if _ATTRIBUTION.match(stripped) or (
            stripped.startswith(("On ", "Am ", "Le ", "El ")) and _ATTRIBUTION.match(joined)
        ):
            return i
        if _OUTLOOK_HEADER.match(stripped) and any(
            _OUTLOOK_NEXT.match(nxt.strip()) for nxt in lines[i + 1 : i + 4]
        ):
            return i
    # A tail where every line is quoted with ">" (top-posting without an attribution).
    tail = None
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].strip()
        if not stripped:
            continue
        if stripped.startswith(">"):
            tail = i
        else:
            break
    return tail if tail else None


def split_quoted(text: str) -> tuple[str, str]:
    """The new part of a message and the quoted history below it ('' when there is none)."""
    lines = text.split("\n")
    start = quoted_start(lines)
    if start is None:
        return text, ""
    return "\n".join(lines[:start]).rstrip(), "\n".join(lines[start:]).strip("\n")


@dataclass(slots=True)
class Part:
    """A non-body MIME part: an attachment or an inline image."""

    filename: str
    content_type: str
    payload: bytes
    inline: bool = False


@dataclass(slots=True)
class Body:
    """What a reader sees of a message: text (Markdown for HTML mail), original HTML, parts."""

    text: str = ""
    html: str | None = None
    parts: list[Part] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


MAX_TEXT_CHARS = 1_000_000
MAX_PARTS = 200


def _cap(text: str, what: str, warnings: list[str]) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    warnings.append(
        f"the {what} was {len(text):,} characters; only the first {MAX_TEXT_CHARS:,} are shown"
    )
    return text[:MAX_TEXT_CHARS] + "\n\n[… truncated by deskterm; the full message is kept raw]"


_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)


def _charset(part: Message, content_type: str) -> str | None:
    # Message.get_content_charset re-parses every parameter; a regex does the usual case at a
    # tenth of the cost, and the library still handles RFC 2231 forms (charset*=).
    if "charset*" not in content_type.lower():
        found = _CHARSET_PARAM.search(content_type)
        return found.group(1).lower() if found else None
    return part.get_content_charset()


def _decoded(part: Message) -> bytes:
    """The part's body with its transfer encoding undone; 8-bit text is kept byte for byte."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message, content_type: str, warnings: list[str]) -> str:
    text, problem = decode_bytes(_decoded(part), _charset(part, content_type))
    if problem:
        warnings.append(problem)
    return text.replace("\r\n", "\n")


def _filename(part: Message, index: int, warnings: list[str]) -> str:
    raw = part.get_filename() or part.get_param("name")
    if isinstance(raw, tuple):  # RFC 2231 value that get_param did not collapse
        raw = raw[2]
    name, problem = decode_header_value(raw) if raw else ("", None)
    if problem:
        warnings.append(problem)
    # A filename is a label, never a path: the part is stored by content hash.
    name = sanitize(name).replace("/", "_").replace("\\", "_").strip(". ")
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"part-{index}.{subtype}"
    return name[:200]


# A delimiter line of a multipart body: "--" and a boundary (RFC 2046: at most 70 characters).
_DELIMITER = re.compile(r"^--([^\s]{1,70}?)(?:--)?[ \t]*\r?$", re.MULTILINE)


def _mended(part: Message) -> Message | None:
    """A multipart whose boundary is missing or wrong, read again with the delimiter its body
    uses; None when the body has no delimiter lines at all."""
    text = part.get_payload()
    if not isinstance(text, str):
        return None
    found = _DELIMITER.search(text)
    if found is None:
        return None
    head = "".join(f"{k}: {v}\n" for k, v in part.items() if k.lower() != "content-type")
    mime = f'Content-Type: {part.get_content_type()}; boundary="{found.group(1)}"\n'
    mended = email.message_from_string(head + mime + "\n" + text)
    return mended if mended.is_multipart() else None


def _leaves(msg: Message) -> Iterator[Message]:
    """The non-multipart parts in reading order; a forwarded message/rfc822 is one leaf. A
    multipart whose boundary does not match its body is read by the delimiter it does use."""
    stack = [msg]
    while stack:
        part = stack.pop()
        # is_multipart, not get_payload: without decode=True that still re-decodes 8-bit text.
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            stack.extend(reversed(cast("list[Message]", part.get_payload())))
        elif part.get_content_maintype() == "multipart" and (mended := _mended(part)):
            stack.extend(reversed(cast("list[Message]", mended.get_payload())))
        else:
            yield part


def declared_charset(msg: Message) -> str | None:
    """The charset the first text part of `msg` declares, if any."""
    for part in _leaves(msg):
        if part.get_content_maintype() == "text":
            charset = _charset(part, str(part.get("Content-Type") or ""))
            if charset:
                return charset
    return None


def message_body(msg: Message) -> Body:
    """Choose the text to show for a parsed message and collect its attachments.

    A text/plain alternative wins over HTML; HTML-only mail becomes Markdown. Nested multiparts
    are walked depth-first; parts that are neither body nor attachment are kept as attachments
    so nothing is silently dropped.
    """
    body = Body()
    plain: list[str] = []
    html: list[str] = []
    others: list[str] = []
    for part in msg.walk():
        for defect in part.defects:
            body.warnings.append(f"broken MIME structure: {type(defect).__name__}")
    for index, part in enumerate(_leaves(msg)):
        if len(body.parts) >= MAX_PARTS:
            body.warnings.append(f"more than {MAX_PARTS} parts; the rest are only in the raw mail")
            break
        raw_type = str(part.get("Content-Type") or "")
        ctype = _content_type(part)
        raw_disposition = str(part.get("Content-Disposition") or "")
        disposition = raw_disposition.split(";", 1)[0].strip().lower()
        is_attachment = _is_attachment(part, raw_type, raw_disposition, disposition)
        if not is_attachment and ctype == "text/plain":
            plain.append(_part_text(part, raw_type, body.warnings))
        elif not is_attachment and part.get_content_maintype() == "multipart":
            # A multipart with no parts in it: what it holds is the text, not a file.
            plain.append(_part_text(part, raw_type, body.warnings).strip())
            body.warnings.append("a multipart part had no parts; its text is shown as the body")
        elif not is_attachment and ctype == "text/html":
            html.append(_part_text(part, raw_type, body.warnings))
        elif ctype == "message/rfc822":
            body.parts.append(_forwarded(part, index, body.warnings))
        else:
            if not is_attachment and ctype.startswith("text/"):
                others.append(_part_text(part, raw_type, body.warnings))
            body.parts.append(
                Part(
                    _filename(part, index, body.warnings),
                    ctype,
                    _decoded(part),
                    inline=disposition == "inline",
                )
            )
    if html:
        body.html = _cap("\n".join(html), "HTML part", body.warnings)
    body.text = sanitize(_chosen_text(plain, body.html, others, body.warnings))
    body.warnings = list(dict.fromkeys(body.warnings))
    return body


def _is_attachment(part: Message, raw_type: str, raw_disposition: str, disposition: str) -> bool:
    """True for a part that is a file rather than the mail's text."""
    # A named part is a file even without "attachment" (Outlook sends name= only), and a
    # cheap substring test spares most parts the full parameter parse.
    named = ("name" in raw_disposition.lower() or "name" in raw_type.lower()) and (
        part.get_filename() is not None or part.get_param("name") is not None
    )
    return disposition == "attachment" or (named and disposition != "inline")


def _forwarded(part: Message, index: int, warnings: list[str]) -> Part:
    """A forwarded mail: an attachment the agent can open, not part of this mail's text."""
    inner = part.get_payload()
    first = inner[0] if isinstance(inner, list) and inner else None
    payload = first.as_bytes() if isinstance(first, Message) else b""
    name = _filename(part, index, warnings)
    if name.startswith("part-"):
        name = "forwarded message.eml"
    return Part(name, "message/rfc822", payload)


def _chosen_text(plain: list[str], html: str | None, others: list[str], warnings: list[str]) -> str:
    """The text to show: plain text, else the HTML as Markdown, else another text part (a
    calendar invitation, say) that is all the mail has. An empty text alternative ("view this
    mail in HTML") does not hide a real HTML body."""
    if any(t.strip() for t in plain) or (plain and html is None):
        return _cap("\n\n".join(t.strip("\n") for t in plain), "text", warnings)
    if html is not None:
        return html_to_markdown(html)
    return _cap("\n\n".join(t.strip("\n") for t in others), "text", warnings)


def _content_type(part: Message) -> str:
    """The part's type; one without a subtype ("text/") is text/plain, as RFC 2045 says of an
    invalid Content-Type."""
    ctype = part.get_content_type()
    main, _, sub = ctype.partition("/")
    return ctype if main and sub else "text/plain"
