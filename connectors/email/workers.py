"""Parsing in worker processes, so a big import or first sync uses every core.

Parsing mail is pure CPU and independent per message; storing it is one SQLite writer. Workers
parse while the parent process writes the previous batch.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from datetime import datetime

from deskterm.domain import InboundMessage
from deskterm.sync import pools

from .parse import ParseOptions, parse_message

# Below this many messages, starting worker processes costs more than it saves (~0.3 s).
PARALLEL_THRESHOLD = 2000

_OPTIONS: ParseOptions | None = None


def set_options(options: ParseOptions) -> None:
    """Worker initializer (and the inline path): the account's parse options."""
    global _OPTIONS
    _OPTIONS = options


def parse_file(path: str) -> InboundMessage:
    """Parse one Maildir file; its modification time stands in for a missing Date."""
    assert _OPTIONS is not None
    # One open file for both the bytes and the time: pathlib's stat() and read_bytes() resolved
    # the path twice and cost more than the rest of the I/O (~20 us of ~35 per message).
    with open(path, "rb", buffering=0) as file:
        raw = file.readall()
        mtime = os.fstat(file.fileno()).st_mtime
    received = datetime.fromtimestamp(int(mtime)).astimezone()
    return parse_message(raw, _OPTIONS, received=received, raw_path=path)


def parse_raw(item: tuple[bytes, datetime | None, str | None]) -> InboundMessage:
    """Parse one message given as (raw bytes, arrival time, where it came from)."""
    assert _OPTIONS is not None
    raw, received, where = item
    return parse_message(raw, _OPTIONS, received=received, raw_path=where)


def worker_count(items: int, requested: int | None = None) -> int:
    """How many parser processes to use for `items` messages (0: parse inline).

    One core fewer than the machine has: the process that stores the parsed mail is busy the
    whole time and needs a core of its own (on 2 cores, a second parser made a 100,000-message
    import slower: 2,830 against 3,180 messages/s).
    """
    if requested is not None:
        return requested
    return max((os.cpu_count() or 1) - 1, 0) if items >= PARALLEL_THRESHOLD else 0


def parse_pool(options: ParseOptions, workers: int) -> AbstractContextManager[ProcessPoolExecutor]:
    """`workers` parser processes with the account's options; SLA clocks are settled by processes
    of the same forkserver, so it preloads both."""
    return pools.pool(
        workers, [__name__, "deskterm.sla.clocks"], initializer=set_options, initargs=(options,)
    )
