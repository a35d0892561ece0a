"""Raw RFC 5322 bytes -> InboundMessage: headers, body, attachments, channel, loop flags.

Strategy, measured on the generated support mail of bench/bench_maildir.py: the stdlib parser
with ``email.policy.default`` reads about 1,100 messages/s per core, with ``compat32`` about 9,000,
and _fast_parse below, which builds the same compat32 Message for well-formed mail, about 30,000.
So messages are parsed as compat32 and every header is decoded by content.decode_header_value
(RFC 2047 words, raw 8-bit UTF-8, unknown charsets flagged), which gives the text policy.default
would; all of parse_message runs at about 6,500 messages/s per core. A message that makes this
path raise is re-parsed with policy.default; one that defeats both is kept raw with a warning,
never dropped.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from deskterm.content import (
    declared_charset,
    decode_bytes,
    decode_header_value,
    message_body,
    sanitize,
)
from deskterm.domain import Attachment, Channel, Direction, Identity, InboundMessage
from deskterm.store.attachments import AttachmentStore

from .loops import automatic_reason

AMAZON_RELAY = re.compile(r"@marketplace\.amazon\.[a-z]{2,3}(?:\.[a-z]{2})?$")
AMAZON_ORDER = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")
SHOPIFY_SENDERS = re.compile(r"@(?:[\w-]+\.)*shopify\.com$")
# An order a mail names: "#1361", "order 1361", "Order #1361", "order no. 1361"; not this desk's
# "[#12]" ticket token. Ingest links only a number exactly one stored order has.
ORDER_MENTION = re.compile(
    r"\border\b(?:\s+(?:no\.?|nr\.?|number))?\s*[:#]?\s*#?(\d{3,})\b|(?<![\[\w&])#(\d{3,})\b",
    re.IGNORECASE,
)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
MSG_ID = re.compile(r"<[^<>\s]+>")
MAX_REFERENCES = 50
UNKNOWN_SENDER = "unknown-sender@invalid"
MAX_CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """What parsing needs to know about the account the mail arrived in."""

    account: str
    own_addresses: frozenset[str] = frozenset()
    attachments: AttachmentStore | None = None
    max_attachment_bytes: int = 50 * 1024 * 1024


def external_id_for(raw: bytes, message_id: str | None) -> str:
    """The same mail gets the same id from IMAP, Maildir and mbox, so no source duplicates it:
    its Message-ID, else a hash of its bytes with line ends as LF and no trailing blank lines
    (IMAP serves CRLF; mbox may add a blank line)."""
    if message_id:
        return f"mid:{message_id}"
    canonical = raw.replace(b"\r\n", b"\n").rstrip(b"\n")
    return f"sha256:{hashlib.sha256(canonical).hexdigest()}"


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    found = MSG_ID.search(value)
    return found.group(0) if found else None


# "Name <addr>" or a bare address: most From headers, parsed without the full RFC 5322 grammar.
_SIMPLE_ADDRESS = re.compile(
    r'^\s*(?:"([^"\\]*)"|([^"<>,;:@\\]*?))\s*<([^<>@\s,;:"]+@[^<>@\s,;:"]+)>\s*$'
    r'|^\s*<?([^<>@\s,;:"]+@[^<>@\s,;:"]+?)>?\s*$'
)


# The end of the header block, and a header block as the stdlib's feed parser reads one without
# defects: every line a field with a non-empty name, or the continuation of one; a CR only at a
# line's end. An mbox "From " line fails too, as its name would hold a space.
_BLANK_LINE = re.compile(r"\n\r?\n")
_FIELD = r"[\041-\071\073-\176]+:[^\r\n]*\r?(?:\n[ \t][^\r\n]*\r?)*"
_HEADER_BLOCK = re.compile(rf"{_FIELD}(?:\n{_FIELD})*")
_NEXT_FIELD = re.compile(r"\n(?![ \t])")
_LONE_CR = re.compile(r"\r(?!\n)")
# Deeper nesting is rare enough to leave to the stdlib, and it bounds the recursion.
_MAX_DEPTH = 8


def _read_headers(head: str) -> Message | None:
    """A Message holding the header block `head` as the feed parser would set it; None for a
    block it would read differently."""
    if not _HEADER_BLOCK.fullmatch(head):
        return None
    msg = Message()
    for field in _NEXT_FIELD.split(head):
        name, value = field.split(":", 1)
        # What compat32's header_source_parse makes of the field's lines, without a call per field.
        msg.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
    return msg


# "<type>; boundary=<b>" (quoted or not) and nothing else, as most mail writes it. For this shape
# Message.get_boundary, which parses every parameter with RFC 2231 in mind, returns b.
_PLAIN_BOUNDARY = re.compile(
    r"(?ai)[ \t]*[0-9a-z.+_-]+/[0-9a-z.+_-]+[ \t\r\n]*;[ \t\r\n]*boundary[ \t\r\n]*=[ \t\r\n]*"
    r"(\"?)([0-9a-z'()+_,./:=?-]+)\1[ \t\r\n]*"
)


def _boundary(msg: Message) -> str | None:
    value = msg.get("content-type")
    plain = _PLAIN_BOUNDARY.fullmatch(value) if isinstance(value, str) else None
    return plain.group(2) if plain else msg.get_boundary()


def _chop_eol(text: str) -> str:
    """`text` without one trailing line end: RFC 2046 gives it to the boundary line that follows."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _read_part(text: str, start: int, end: int, depth: int) -> Message | None:
    """The body part in text[start:end] (from just after a boundary line to the next one)."""
    msg: Message | None
    if text.startswith("\n", start, end) or text.startswith("\r\n", start, end):
        msg = Message()  # no headers: the feed parser reads the blank line as their end
        body = text.index("\n", start) + 1
    else:
        blank = _BLANK_LINE.search(text, start, end)
        if blank is None:
            return None
        msg = _read_headers(text[start : blank.start()])
        if msg is None:
            return None
        body = blank.end()
    maintype = msg.get_content_maintype()
    if maintype == "message":
        return None
    if maintype == "multipart":
        if depth >= _MAX_DEPTH or not _read_multipart(msg, text, body, end, depth + 1):
            return None
        # The feed parser hands the line end before the next boundary to that boundary.
        msg.epilogue = _chop_eol(msg.epilogue) if msg.epilogue else None
        return msg
    msg.set_payload(_chop_eol(text[body:end]))
    return msg


def _read_multipart(msg: Message, text: str, start: int, end: int, depth: int) -> bool:
    """Attach the parts in text[start:end] to `msg` and set its preamble and epilogue as the feed
    parser would; False for anything it would flag as a defect or read another way."""
    if msg.get_content_type() == "multipart/digest":
        return False  # its parts default to message/rfc822
    encoding = str(msg.get("content-transfer-encoding", "8bit")).lower()
    boundary = _boundary(msg)
    if encoding not in ("7bit", "8bit", "binary") or not boundary or "\n" in boundary:
        return False
    separator = "--" + boundary
    part_start = -1
    pos = start
    while True:
        hit = text.find(separator, pos, end)
        if hit < 0:
            return False  # no closing boundary
        pos = hit + 1
        if hit != start and text[hit - 1] != "\n":
            continue
        eol = text.find("\n", hit, end)
        line_end = end if eol < 0 else eol + 1
        rest = text[hit + len(separator) : line_end].rstrip("\r\n")
        close = rest.startswith("--") and not rest[2:].strip(" \t")
        if not close and rest.strip(" \t"):
            continue  # a line that only starts like the boundary
        if part_start < 0:
            if close:
                return False  # no opening boundary
            if hit > start:
                msg.preamble = _chop_eol(text[start:hit])
        else:
            # None also for two boundary lines in a row (no blank line between), which the
            # feed parser merges into one.
            part = _read_part(text, part_start, hit, depth)
            if part is None:
                return False
            msg.attach(part)
            if close:
                msg.epilogue = text[line_end:end]
                return True
        part_start = line_end


def _fast_parse(raw: bytes) -> Message | None:
    """What email.message_from_bytes(raw, policy=compat32) returns, for well-formed mail; None
    for anything else (message/* parts, odd headers or line ends, broken MIME structure).

    The stdlib feeds every body line through a generator: about a third of all parse time on
    support mail. Its header parsing is reused, so the headers are the same; multipart bodies are
    cut at their boundary lines with str.find instead of being read line by line.
    """
    text = raw.decode("ascii", "surrogateescape")
    blank = _BLANK_LINE.search(text)
    if blank is None:
        return None
    msg = _read_headers(text[: blank.start()])
    if msg is None:
        return None
    maintype = msg.get_content_maintype()
    if maintype == "message":
        return None
    if maintype == "multipart":
        # A lone CR ends a line for the feed parser; str.find-based cutting does not see it.
        if "\r" in text and _LONE_CR.search(text, blank.end()):
            return None
        return msg if _read_multipart(msg, text, blank.end(), len(text), 0) else None
    msg.set_payload(text[blank.end() :])
    return msg


def _pairs(raw: list[str]) -> list[tuple[str, str]]:
    if len(raw) == 1:
        simple = _SIMPLE_ADDRESS.match(raw[0])
        if simple:
            quoted, plain, addr, bare = simple.groups()
            return [((quoted if quoted is not None else plain) or "", addr or bare)]
    try:
        return getaddresses(raw)
    except Exception:  # getaddresses trips on some malformed lists; the caller copes with none
        return []


def _header_map(msg: Message) -> dict[str, list[str]]:
    """Every header by lower-case name, read once: Message.get scans the whole list per call."""
    found: dict[str, list[str]] = {}
    for key, value in msg.raw_items():
        found.setdefault(key.lower(), []).append(str(value))
    return found


def _mailboxes(
    headers: dict[str, list[str]], name: str, warnings: list[str], hint: str | None = None
) -> Iterator[tuple[str, str]]:
    """(display name, lower-case address) of each mailbox in header `name`."""
    raw = headers.get(name)
    if not raw:
        return
    for display, addr in _pairs([_FOLD.sub("", str(v)) for v in raw]):
        addr, _ = decode_header_value(addr)
        if "@" in addr:
            display, problem = decode_header_value(display, hint)
            if problem:
                warnings.append(problem)
            yield sanitize(display).strip().strip('"'), sanitize(addr).strip().lower()


def _address(
    headers: dict[str, list[str]], name: str, warnings: list[str], hint: str | None = None
) -> tuple[str, str]:
    """(display name, lower-case address) of the first mailbox in header `name`."""
    return next(_mailboxes(headers, name, warnings, hint), ("", ""))


def _recipient(
    headers: dict[str, list[str]], own: frozenset[str], warnings: list[str], hint: str | None
) -> tuple[str, str]:
    """Whom the shop wrote to: the first To (else Cc) mailbox that is not one of its own."""
    for name in ("to", "cc"):
        for display, addr in _mailboxes(headers, name, warnings, hint):
            if addr not in own:
                return display, addr
    return "", ""


def _sent_at(value: str | None, received: datetime, warnings: list[str]) -> datetime:
    if value:
        try:
            moment = parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:  # "-0000": the zone is unknown; RFC 5322 says read as UTC
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC).replace(microsecond=0)
            # A Date from the future would sort the mail above everything and bend SLA clocks.
            if moment <= received + MAX_CLOCK_SKEW:
                return moment
            warnings.append(
                f"Date header {moment:%Y-%m-%d %H:%M} is in the future; used arrival time"
            )
            return received
        warnings.append(f"unreadable Date header {sanitize(str(value))[:60]!r}; used arrival time")
    else:
        warnings.append("no Date header; used arrival time")
    return received


def _store_parts(body_parts, options: ParseOptions, warnings: list[str]) -> list[Attachment]:
    stored = []
    cap = options.max_attachment_bytes
    for part in body_parts:
        size = len(part.payload)
        if size > cap:
            warnings.append(
                f"attachment {part.filename!r} is {size / 1_048_576:.1f} MB, over the "
                f"{cap / 1_048_576:.0f} MB limit; it was not saved (it is still in the raw mail)"
            )
            stored.append(Attachment(part.filename, part.content_type, size))
            continue
        if options.attachments is None:
            stored.append(Attachment(part.filename, part.content_type, size))
            continue
        digest, path = options.attachments.put(part.payload)
        stored.append(Attachment(part.filename, part.content_type, size, digest, str(path)))
    return stored


def _sender(
    headers: dict[str, list[str]], warnings: list[str], hint: str | None
) -> tuple[str, str]:
    """The From address, else the Sender one; mail with neither is filed under an unknown one."""
    name, addr = _address(headers, "from", warnings, hint)
    if not addr:
        name, addr = _address(headers, "sender", warnings, hint)
    if not addr:
        warnings.append("no sender address; filed under an unknown sender")
        addr = UNKNOWN_SENDER
    return name, addr


def _correspondent(
    headers: dict[str, list[str]], options: ParseOptions, warnings: list[str], hint: str | None
) -> tuple[Direction, tuple[str, str], tuple[str, str]]:
    """(direction, author, customer) of a mail: a customer's from its sender; the shop's own mail
    (an agent's answer in an archive, a copy in the inbox) is our reply, by its sender, to the
    customer it went to, never a customer's message."""
    sender = _sender(headers, warnings, hint)
    if sender[1] in options.own_addresses:
        customer = _recipient(headers, options.own_addresses, warnings, hint)
        if customer[1]:
            return Direction.OUT, sender, customer
    return Direction.IN, ("", ""), sender


def _shopify_customer(
    headers: dict[str, list[str]], name: str, addr: str, warnings: list[str]
) -> tuple[str, str]:
    """Shopify's contact form mails come from Shopify with the customer in Reply-To."""
    reply_name, reply_addr = _address(headers, "reply-to", warnings)
    if reply_addr and not SHOPIFY_SENDERS.search(reply_addr):
        return reply_name or name, reply_addr
    return name, addr


def _parse(
    raw: bytes, policy, options: ParseOptions, received: datetime, raw_path: str | None
) -> InboundMessage:
    msg = _fast_parse(raw) if policy is email.policy.compat32 else None
    if msg is None:
        msg = email.message_from_bytes(raw, policy=policy)
    headers = _header_map(msg)

    def header(key: str) -> str | None:
        values = headers.get(key.lower())
        return values[0] if values else None

    warnings: list[str] = []
    hint = declared_charset(msg)
    direction, author, (name, addr) = _correspondent(headers, options, warnings, hint)
    subject, problem = decode_header_value(header("Subject"), hint)
    if problem:
        warnings.append(problem)
    subject = sanitize(subject)
    message_id = _message_id(header("Message-ID"))
    if message_id is None:
        warnings.append("no Message-ID; replies to it cannot be threaded by header")
    references = tuple(MSG_ID.findall(" ".join(headers.get("references", ()))))
    body = message_body(msg)
    warnings.extend(body.warnings)

    channel = Channel.EMAIL.value
    named = f"{subject}\n{body.text}"  # the subject's orders first
    if AMAZON_RELAY.search(addr):
        channel = Channel.AMAZON.value
        order_numbers = tuple(dict.fromkeys(AMAZON_ORDER.findall(named)))
    else:
        order_numbers = tuple(dict.fromkeys(a or b for a, b in ORDER_MENTION.findall(named)))
    if SHOPIFY_SENDERS.search(addr):
        name, addr = _shopify_customer(headers, name, addr, warnings)
    return InboundMessage(
        account=options.account,
        external_id=external_id_for(raw, message_id),
        channel=channel,
        sender=Identity("email", addr),
        sent_at=_sent_at(header("Date"), received, warnings),
        text=body.text,
        sender_name=name,
        subject=subject,
        html=body.html,
        message_id=message_id,
        in_reply_to=_message_id(header("In-Reply-To")),
        references=references[-MAX_REFERENCES:],
        direction=direction,
        automatic=automatic_reason(header, addr, options.own_addresses) is not None,
        attachments=tuple(_store_parts(body.parts, options, warnings)),
        order_numbers=order_numbers,
        warnings=tuple(dict.fromkeys(warnings)),
        raw_path=raw_path,
        author_name=author[0],
        author_addr=author[1],
    )


def _unreadable(
    raw: bytes, options: ParseOptions, received: datetime, raw_path: str | None, error: Exception
) -> InboundMessage:
    """A message no parser could read: its bytes as text, so an agent can still see it."""
    if raw_path is None and options.attachments is not None:
        raw_path = str(options.attachments.put(raw)[1])
    text, _ = decode_bytes(raw[:1_000_000], None)
    return InboundMessage(
        account=options.account,
        external_id=external_id_for(raw, None),
        channel=Channel.EMAIL.value,
        sender=Identity("email", UNKNOWN_SENDER),
        sent_at=received,
        text=sanitize(text),
        subject="(unreadable message)",
        warnings=(f"the message could not be parsed ({type(error).__name__}); shown raw",),
        raw_path=raw_path,
    )


def parse_message(
    raw: bytes,
    options: ParseOptions,
    *,
    received: datetime | None = None,
    raw_path: str | Path | None = None,
) -> InboundMessage:
    """Parse one mail; never raises for bad input and never drops the message."""
    received = received or datetime.now(UTC).replace(microsecond=0)
    where = str(raw_path) if raw_path is not None else None
    try:
        return _parse(raw, email.policy.compat32, options, received, where)
    except Exception:
        pass  # the strict-but-slow parser below copes with some mail the fast path cannot
    try:
        return _parse(raw, email.policy.default, options, received, where)
    except Exception as exc:
        return _unreadable(raw, options, received, where, exc)
