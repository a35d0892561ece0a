"""Reading the customer messages stored before triage existed or without it (a bulk import or
first sync), a chunk per short transaction, so the TUI and a running sync keep writing meanwhile.

Reading is pure: `each` may hand it to other processes (an import's parsers), and only the
writing needs this connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from deskterm.store import Store
from deskterm.store import triage as store_triage
from deskterm.triage.learning import Learned
from deskterm.triage.reader import classify
from deskterm.triage.teach import model

# ~500 messages take well under a second to read; a write waiting on the chunk waits that long.
CHUNK = 500

Row = tuple[int, int, str, str]
"""An unread message: id, ticket id, subject, text."""
Mapper = Callable[
    [Callable[[Row], store_triage.Reading], list[Row]], Iterable[store_triage.Reading]
]


def reading(row: Row, learned: Learned | None = None) -> store_triage.Reading:
    """What triage makes of one unread message, as the store keeps it."""
    message, ticket, subject, text = row
    found = classify(subject, text, learned)
    return message, ticket, found.lang, found.intent, found.mood, found.sentiment


def backfill(
    store: Store,
    *,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
    each: Mapper = map,
) -> int:
    """Triage every customer message not read yet, oldest first; returns how many were read.

    Messages are classified outside any transaction, by `each(work, rows)` (default: here);
    each chunk's results are written in one. `progress(done, total)` is called after each chunk.
    """
    total = store_triage.unread_count(store.conn)
    done, after = 0, 0
    work = partial(reading, learned=model(store))
    while rows := store_triage.unread(store.conn, after, chunk):
        readings = list(each(work, rows))
        with store.tx() as conn:
            store_triage.save(conn, readings)
        done += len(rows)
        after = rows[-1][0]
        if progress:
            progress(done, total)
    return done
