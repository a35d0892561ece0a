"""Reading the customer messages stored before triage existed, a chunk per short transaction, so
the TUI and a running sync keep writing meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from deskterm.store import Store
from deskterm.store import triage as store_triage
from deskterm.triage.reader import classify
from deskterm.triage.teach import model

# ~500 messages take well under a second to read; a write waiting on the chunk waits that long.
CHUNK = 500


def backfill(
    store: Store, *, chunk: int = CHUNK, progress: Callable[[int, int], None] | None = None
) -> int:
    """Triage every customer message not read yet, oldest first; returns how many were read.

    Messages are classified outside any transaction; each chunk's results are written in one.
    `progress(done, total)` is called after each chunk.
    """
    total = store_triage.unread_count(store.conn)
    done, after = 0, 0
    learned = model(store)
    while rows := store_triage.unread(store.conn, after, chunk):
        readings: list[store_triage.Reading] = []
        for message, ticket, subject, text in rows:
            found = classify(subject, text, learned)
            readings.append(
                (message, ticket, found.lang, found.intent, found.mood, found.sentiment)
            )
        with store.tx() as conn:
            store_triage.save(conn, readings)
        done += len(rows)
        after = rows[-1][0]
        if progress:
            progress(done, total)
    return done
