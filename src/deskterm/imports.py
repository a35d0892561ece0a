"""Importing an archive: a connector's importer reads the messages, this stores them.

The importer (deskterm.connector.Importer) parses, in worker processes when it is worth it; here
one writer ingests its messages in batches and, whenever the parsers keep it waiting, settles a few
SLA clocks; the clocks still unsettled at the end are settled on as many processes as parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from functools import partial
from itertools import islice
from pathlib import Path

from deskterm.connector import Importer, ImportRequest, ImportStream
from deskterm.domain import Batch, InboundMessage, utcnow
from deskterm.ingest import IngestResult, ingest_batch
from deskterm.sla import clocks
from deskterm.store import Store, accounts, gather_statistics
from deskterm.store.attachments import data_dir

BATCH_SIZE = 2000
# SLA clocks the writer settles at a time while it waits for the parsers (about 20 ms of work).
IDLE_SETTLE = 200

Progress = Callable[[int, int], None]


def run_import(
    store: Store,
    importer: Importer,
    path: Path,
    *,
    account: str = "import",
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestResult:
    """Import the archive at `path` into `account` (which need not exist); safe to repeat."""
    row = accounts.account(store, account)
    request = ImportRequest(
        path=path.expanduser(),
        account=account,
        own_addresses=frozenset(filter(None, [row["address"].lower() if row else ""])),
        attachments_dir=data_dir(accounts.settings_of(row)) / "attachments",
        stored_sources=partial(accounts.message_sources, store, account),
        idle=partial(_settle_some, store),
        workers=workers,
    )
    stream = importer.read(request)
    # Closed even when storing fails half-way, so the importer's parser processes end with it.
    with closing(stream.messages):
        result = _ingest(store, account, stream, progress)
    # The clocks still unsettled, evaluated on the parsers' cores and the writer's.
    clocks.settle(store, utcnow(), processes=stream.workers + 1 if stream.workers > 0 else 0)
    gather_statistics(store.conn)
    result.duplicates += stream.skipped
    return result


def _ingest(
    store: Store, account: str, stream: ImportStream, progress: Progress | None
) -> IngestResult:
    result = IngestResult()
    done = 0
    with store.bulk_writes():
        for batch in _batches(stream.messages):
            result += ingest_batch(store, account, Batch(batch, {}), defer_sla=True)
            done += len(batch)
            if progress:
                progress(done, stream.total)
    if progress:
        progress(done, stream.total)
    return result


def _batches(messages: Iterable[InboundMessage]) -> Iterator[list[InboundMessage]]:
    rest = iter(messages)
    while batch := list(islice(rest, BATCH_SIZE)):
        yield batch


def _settle_some(store: Store) -> bool:
    """While the writer waits for the parsers, settle a few clocks; False when none wait."""
    return clocks.settle(store, utcnow(), limit=IDLE_SETTLE, chunk=IDLE_SETTLE) > 0
