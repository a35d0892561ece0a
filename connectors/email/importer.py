"""Read a Maildir or an mbox file through the same parse path as IMAP; core's import service
(deskterm.imports) stores what this yields.

Parsing is the expensive half, so it runs in worker processes while core's writer stores the
messages; re-importing adds nothing because external ids come from Message-ID or the content hash.
"""

from __future__ import annotations

import email.policy
import mailbox
import os
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from deskterm.connector import Importer, ImportRequest, ImportStream, SourceError
from deskterm.domain import InboundMessage
from deskterm.store.attachments import AttachmentStore
from deskterm.sync import pools

from .parse import ParseOptions
from .workers import parse_file, parse_pool, parse_raw, set_options, worker_count

# Messages per parse job, and how many jobs may be parsed ahead of the store: enough that the
# workers never wait for the writer, few enough that a huge mbox is never all in memory.
JOB = 50
AHEAD = 160
# Raw mail an mbox import holds for the parsers at most (Maildir parsers read their own files).
AHEAD_BYTES = 256 * 1024 * 1024


def maildir_files(path: Path) -> list[Path]:
    """Every message file of a Maildir and its Maildir++ subfolders, oldest delivery first."""
    if not path.is_dir():
        raise SourceError(f"{path} is not a directory; a Maildir has cur/, new/ and tmp/ inside")
    roots = [path] + [p for p in sorted(path.iterdir()) if p.is_dir() and p.name.startswith(".")]
    files: list[Path] = []
    found_maildir = False
    for root in roots:
        for sub in ("cur", "new"):
            folder = root / sub
            if not folder.is_dir():
                continue
            found_maildir = True
            files.extend(
                Path(entry.path)
                for entry in os.scandir(folder)
                if entry.is_file() and not entry.name.startswith(".")
            )
    if not found_maildir:
        raise SourceError(f"{path} has no cur/ or new/ folder; is it really a Maildir?")
    # Maildir names start with the delivery time, so name order is (close to) arrival order.
    files.sort(key=lambda p: p.name)
    return files


def _raw_size(item: tuple[bytes, None, str]) -> int:
    return len(item[0])


def open_mbox(path: Path) -> mailbox.mbox:
    if not path.is_file():
        raise SourceError(f"{path} is not a file; an mbox is one file of concatenated messages")
    return mailbox.mbox(path, create=False)


# mbox writers quote a body line starting "From " as ">From " (and ">From " as ">>From ").
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def mbox_messages(box: mailbox.mbox, path: Path) -> Iterator[tuple[bytes, None, str]]:
    """(raw bytes, no arrival time, where) for each message of an mbox, read one at a time, with
    the writer's ">From " quoting taken back so the mail is the one IMAP or Maildir would give."""
    for key in box.iterkeys():
        yield _QUOTED_FROM.sub(rb"\1", box.get_bytes(key)), None, f"{path}#{key}"


def _parsed(
    options: ParseOptions,
    items: Iterable,
    workers: int,
    work: Callable,
    idle: Callable[[], bool],
    weigh: Callable | None = None,
) -> Generator[InboundMessage, None, None]:
    """Each item parsed by `work`, in order: inline, or by `workers` processes a window ahead."""
    if workers <= 0:
        set_options(options)
        yield from map(work, items)
        return
    with parse_pool(options, workers) as pool:
        yield from pools.in_order(
            pool,
            work,
            items,
            job=JOB,
            ahead=AHEAD,
            weigh=weigh,
            budget=AHEAD_BYTES,
            idle=idle,
        )


def parse_options(request: ImportRequest) -> ParseOptions:
    return ParseOptions(
        account=request.account,
        own_addresses=request.own_addresses,
        attachments=AttachmentStore(request.attachments_dir),
    )


def read_maildir(request: ImportRequest) -> ImportStream:
    """Every message of the Maildir (and its Maildir++ subfolders) that is not stored yet."""
    files = maildir_files(request.path.resolve())
    known = {_delivery(Path(source)) for source in request.stored_sources()}
    fresh = [str(p) for p in files if _delivery(p) not in known]
    workers = worker_count(len(fresh), request.workers)
    # parse_file is looked up now, not at import, so a test can watch what gets parsed.
    messages = _parsed(parse_options(request), fresh, workers, parse_file, request.idle)
    return ImportStream(messages, len(fresh), skipped=len(files) - len(fresh), workers=workers)


def _delivery(path: Path) -> tuple[str, str]:
    """A Maildir message's identity: its folder and its unique name (the file name up to the
    flags, which change when the mail is read, as does new/ to cur/). A re-import skips the
    deliveries stored already unread (a file under a known name never changes but for its
    flags), so repeating an import takes seconds."""
    return str(path.parent.parent), path.name.split(":", 1)[0]


def read_mbox(request: ImportRequest) -> ImportStream:
    """Every message of the mbox file, read one at a time."""
    box = open_mbox(request.path)
    total = len(box)
    workers = worker_count(total, request.workers)
    return ImportStream(_mbox_parsed(box, request, workers), total, workers=workers)


def _mbox_parsed(
    box: mailbox.mbox, request: ImportRequest, workers: int
) -> Generator[InboundMessage, None, None]:
    try:
        yield from _parsed(
            parse_options(request),
            mbox_messages(box, request.path),
            workers,
            parse_raw,
            request.idle,
            weigh=_raw_size,
        )
    finally:
        box.close()


def _spread(items: Sequence, n: int) -> Sequence:
    """Up to `n` of `items`, evenly spread from first to last."""
    return items[:: max(1, -(-len(items) // n))] if n > 0 else items[:0]


def recipients_in(raw: bytes) -> tuple[str, ...]:
    """The lower-case To and Cc addresses of one mail, read from its headers alone."""
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    fields = [str(v) for name in ("to", "cc") for v in headers.get_all(name, [])]
    try:
        pairs = getaddresses(fields)
    except Exception:  # a malformed list names nobody, as _pairs in parse does
        return ()
    return tuple(addr.strip().lower() for _, addr in pairs if "@" in addr)


def maildir_recipients(path: Path, n: int) -> list[tuple[str, ...]]:
    """The recipients of up to `n` messages spread over the Maildir."""
    return [recipients_in(p.read_bytes()) for p in _spread(maildir_files(path.resolve()), n)]


def mbox_recipients(path: Path, n: int) -> list[tuple[str, ...]]:
    """The recipients of up to `n` messages spread over the mbox file."""
    box = open_mbox(path)
    try:
        return [recipients_in(box.get_bytes(key)) for key in _spread(box.keys(), n)]
    finally:
        box.close()


MAILDIR = Importer(
    name="maildir",
    help="Import every message of a Maildir (and its Maildir++ subfolders).",
    path_help="Maildir folder (with cur/ and new/).",
    read=read_maildir,
    recipients=maildir_recipients,
)
MBOX = Importer(
    name="mbox",
    help="Import every message of an mbox file.",
    path_help="mbox file.",
    read=read_mbox,
    recipients=mbox_recipients,
)
