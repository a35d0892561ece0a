"""Import a Maildir or an mbox file through the same parse and ingest path as IMAP.

Parsing is the expensive half, so it runs in worker processes while this process writes to the
store; re-importing adds nothing because external ids come from Message-ID or the content hash.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from deskterm.domain import Batch, InboundMessage, utcnow
from deskterm.ingest import IngestResult, ingest_batch
from deskterm.sla import clocks
from deskterm.store import Store
from deskterm.sync import pools

from .parse import ParseOptions
from .workers import parse_file, parse_pool, parse_raw, set_options, worker_count

BATCH_SIZE = 2000
# Messages per parse job, and how many jobs may be parsed ahead of the store: enough that the
# workers never wait for the writer, few enough that a huge mbox is never all in memory.
JOB = 50
AHEAD = 160
# SLA clocks the writer settles at a time while it waits for the parsers (about 20 ms of work).
IDLE_SETTLE = 200
# Raw mail an mbox import holds for the parsers at most (Maildir parsers read their own files).
AHEAD_BYTES = 256 * 1024 * 1024

Progress = Callable[[int, int], None]


class MailboxError(Exception):
    """The path is not a mailbox deskterm can read; the message says what was expected."""


def maildir_files(path: Path) -> list[Path]:
    """Every message file of a Maildir and its Maildir++ subfolders, oldest delivery first."""
    if not path.is_dir():
        raise MailboxError(f"{path} is not a directory; a Maildir has cur/, new/ and tmp/ inside")
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
        raise MailboxError(f"{path} has no cur/ or new/ folder; is it really a Maildir?")
    # Maildir names start with the delivery time, so name order is (close to) arrival order.
    files.sort(key=lambda p: p.name)
    return files


def _raw_size(item: tuple[bytes, None, str]) -> int:
    return len(item[0])


def open_mbox(path: Path) -> mailbox.mbox:
    if not path.is_file():
        raise MailboxError(f"{path} is not a file; an mbox is one file of concatenated messages")
    return mailbox.mbox(path, create=False)


def mbox_messages(box: mailbox.mbox, path: Path) -> Iterator[tuple[bytes, None, str]]:
    """(raw bytes, no arrival time, where) for each message of an mbox, read one at a time."""
    for key in box.iterkeys():
        yield box.get_bytes(key), None, f"{path}#{key}"


def _ingest_stream(
    store: Store,
    account: str,
    messages: Iterable[InboundMessage],
    total: int,
    progress: Progress | None,
) -> IngestResult:
    result = IngestResult()
    batch: list[InboundMessage] = []
    done = 0
    with store.bulk_writes():
        for msg in messages:
            batch.append(msg)
            if len(batch) >= BATCH_SIZE:
                result += ingest_batch(store, account, Batch(batch, {}), defer_sla=True)
                done += len(batch)
                batch = []
                if progress:
                    progress(done, total)
        if batch:
            result += ingest_batch(store, account, Batch(batch, {}), defer_sla=True)
            done += len(batch)
    if progress:
        progress(done, total)
    return result


def _settle_some(store: Store) -> bool:
    """While the writer waits for the parsers, settle a few clocks; False when none wait."""
    return clocks.settle(store, utcnow(), limit=IDLE_SETTLE, chunk=IDLE_SETTLE) > 0


def _run(
    store: Store,
    options: ParseOptions,
    items: Iterable,
    total: int,
    work: Callable,
    progress: Progress | None,
    workers: int | None,
    weigh: Callable | None = None,
) -> IngestResult:
    workers = worker_count(total, workers)
    if workers <= 0:
        set_options(options)
        result = _ingest_stream(store, options.account, map(work, items), total, progress)
    else:
        with parse_pool(options, workers) as pool:
            parsed = pools.in_order(
                pool,
                work,
                items,
                job=JOB,
                ahead=AHEAD,
                weigh=weigh,
                budget=AHEAD_BYTES,
                idle=partial(_settle_some, store),
            )
            result = _ingest_stream(store, options.account, parsed, total, progress)
    # The clocks still unsettled, evaluated on the parsers' cores and the writer's.
    clocks.settle(store, utcnow(), processes=workers + 1 if workers > 0 else 0)
    return result


def import_maildir(
    store: Store,
    path: Path,
    options: ParseOptions,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestResult:
    """Ingest every message of the Maildir at `path`; safe to run again."""
    files = maildir_files(path.resolve())
    known = _known_deliveries(store, options.account)
    fresh = [str(p) for p in files if _delivery(p) not in known]
    result = _run(store, options, fresh, len(fresh), parse_file, progress, workers)
    result.duplicates += len(files) - len(fresh)
    return result


def _delivery(path: Path) -> tuple[str, str]:
    """A Maildir message's identity: its folder and its unique name (the file name up to the
    flags, which change when the mail is read, as does new/ to cur/)."""
    return str(path.parent.parent), path.name.split(":", 1)[0]


def _known_deliveries(store: Store, account: str) -> set[tuple[str, str]]:
    """The Maildir messages of `account` stored already: a re-import skips them unread (a file
    under a known name never changes but for its flags), so repeating an import takes seconds."""
    rows = store.conn.execute(
        "SELECT raw_path FROM messages WHERE account = ? AND raw_path LIKE '/%'", (account,)
    )
    return {_delivery(Path(row[0])) for row in rows}


def import_mbox(
    store: Store,
    path: Path,
    options: ParseOptions,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestResult:
    """Ingest every message of the mbox file at `path`; safe to run again."""
    box = open_mbox(path)
    try:
        return _run(
            store,
            options,
            mbox_messages(box, path),
            len(box),
            parse_raw,
            progress,
            workers,
            weigh=_raw_size,
        )
    finally:
        box.close()
