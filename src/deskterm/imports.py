"""Importing an archive: a connector's importer reads the messages, this stores them.

The importer (deskterm.connector.Importer) parses, in worker processes when it is worth it; here
one writer ingests its messages in batches and, whenever the parsers keep it waiting, settles a few
SLA clocks. Triage reads the customer messages afterwards (ingest's bulk batches), and the clocks
still unsettled at the end are settled, both on as many processes as parsed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from datetime import date, datetime, time, timedelta, tzinfo
from functools import partial
from itertools import islice
from pathlib import Path

from deskterm.connector import Importer, ImportRequest, ImportStream
from deskterm.domain import Batch, InboundMessage, utcnow
from deskterm.durations import DurationError, parse_duration
from deskterm.ingest import IngestResult, ingest_batch
from deskterm.sla import clocks
from deskterm.store import Store, accounts, gather_statistics
from deskterm.store import triage as store_triage
from deskterm.store.attachments import data_dir
from deskterm.sync import pools
from deskterm.triage.backfill import backfill

BATCH_SIZE = 2000
# SLA clocks the writer settles at a time while it waits for the parsers (about 20 ms of work).
IDLE_SETTLE = 200
# Mail read (headers only) to find whom most of it went to, and how clearly one address must lead.
RECIPIENT_SAMPLE = 500
DOMINANT_SHARE = 0.5
# Without --since, mail older than this is history, as an email account's first sync leaves it.
DEFAULT_SINCE = "30d"
# Below this many messages to read, starting processes costs more than reading them here.
PARALLEL_READ = 2000
# Messages per triage job in a process pool (~40 ms of reading), and per written chunk.
READ_JOB = 250
READ_CHUNK = 4000

Progress = Callable[[int, int], None]


def run_import(
    store: Store,
    importer: Importer,
    path: Path,
    *,
    account: str = "import",
    progress: Progress | None = None,
    workers: int | None = None,
    own_addresses: Iterable[str] = (),
    history_before: datetime | None = None,
) -> IngestResult:
    """Import the archive at `path` into `account` (which need not exist); safe to repeat.

    Mail from `own_addresses` (and the account's address) is the shop's: stored as replies. Mail
    sent before `history_before` is history (ingest.ingest_batch): solved, no clocks, no rules.
    """
    row = accounts.account(store, account)
    own = {a.lower() for a in own_addresses} | {row.address.lower() if row else ""}
    request = ImportRequest(
        path=path.expanduser(),
        account=account,
        own_addresses=frozenset(filter(None, own)),
        attachments_dir=data_dir(row.settings if row else {}) / "attachments",
        stored_sources=partial(accounts.message_sources, store, account),
        idle=partial(_settle_some, store),
        workers=workers,
    )
    stream = importer.read(request)
    # Closed even when storing fails half-way, so the importer's parser processes end with it.
    with closing(stream.messages):
        result = _ingest(store, account, stream, progress, history_before)
    # Triage and the clocks still unsettled, on the parsers' cores and the writer's.
    processes = stream.workers + 1 if stream.workers > 0 else 0
    _read(store, processes)
    clocks.settle(store, utcnow(), processes=processes)
    gather_statistics(store.conn)
    result.duplicates += stream.skipped
    return result


def _ingest(
    store: Store,
    account: str,
    stream: ImportStream,
    progress: Progress | None,
    history_before: datetime | None,
) -> IngestResult:
    result = IngestResult()
    done = 0
    with store.bulk_writes():
        for batch in _batches(stream.messages):
            result += ingest_batch(
                store,
                account,
                Batch(batch, {}),
                defer_sla=True,
                history_before=history_before,
                bulk=True,
            )
            done += len(batch)
            if progress:
                progress(done, stream.total)
    if progress:
        progress(done, stream.total)
    return result


def _read(store: Store, processes: int) -> None:
    """Triage the customer messages the import stored unread, in `processes` when worth it."""
    if processes < 2 or store_triage.unread_count(store.conn) < PARALLEL_READ:
        backfill(store)
        return
    with pools.pool(processes, ["deskterm.triage.backfill"]) as pool:
        backfill(
            store,
            chunk=READ_CHUNK,
            each=lambda work, rows: pools.in_order(
                pool, work, rows, job=READ_JOB, ahead=processes * 2
            ),
        )


def _batches(messages: Iterable[InboundMessage]) -> Iterator[list[InboundMessage]]:
    rest = iter(messages)
    while batch := list(islice(rest, BATCH_SIZE)):
        yield batch


def _settle_some(store: Store) -> bool:
    """While the writer waits for the parsers, settle a few clocks; False when none wait."""
    return clocks.settle(store, utcnow(), limit=IDLE_SETTLE, chunk=IDLE_SETTLE) > 0


def dominant_recipient(
    sample: Iterable[tuple[str, ...]],
) -> tuple[str | None, list[tuple[str, float]]]:
    """The address most of the sampled mail went to, when it clearly leads (at least half the
    mail, twice the next address); and the leading addresses with their shares of the mail."""
    counts: Counter[str] = Counter()
    mails = 0
    for recipients in sample:
        mails += 1
        counts.update(set(recipients))
    leaders = [(address, n / mails) for address, n in counts.most_common(3)]
    if not leaders:
        return None, []
    top, share = leaders[0]
    runner_up = leaders[1][1] if len(leaders) > 1 else 0.0
    clear = share >= DOMINANT_SHARE and share >= 2 * runner_up
    return (top if clear else None), leaders


def history_start(since: str, now: datetime, zone: tzinfo) -> datetime | None:
    """Where history ends for --since: an age (30d, 12w), a day (2026-10-01, local midnight) or
    'all' (None: nothing is history). Raises ValueError with the reason."""
    if since.strip().lower() == "all":
        return None
    try:
        day = date.fromisoformat(since.strip())
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(), zone)
    try:
        age = parse_duration(since)
    except DurationError:
        raise ValueError(
            f"--since {since!r} is neither an age like 30d nor a day like 2026-10-01 (or 'all')"
        ) from None
    return now - max(age, timedelta(0))
