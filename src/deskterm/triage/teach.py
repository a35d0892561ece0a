"""Keeping what triage learned in step with the tickets people tagged: `relearn` takes in the
tickets tagged since the last time and takes back those untagged or tagged otherwise since;
`model` is the learned model as the store has it now, loaded again only when it changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from deskterm.store import Store, lessons
from deskterm.triage.labels import INTENTS, WEAK_INTENTS
from deskterm.triage.learning import Learned, features
from deskterm.triage.text import own_words

# Tags that teach: each intent's own name, but not the ones that say nothing about a ticket.
TEACHING = tuple(i for i in INTENTS if i not in WEAK_INTENTS)


@dataclass(frozen=True, slots=True)
class Relearned:
    learned: int
    forgotten: int


def relearn(
    conn: sqlite3.Connection, tickets: Sequence[int] | None = None, *, rebuild: bool = False
) -> Relearned:
    """Bring the model in step with the tags on `tickets` (default: every ticket); `rebuild`
    forgets everything first. Runs in the caller's transaction."""
    if rebuild:
        lessons.forget(conn)
    now = lessons.labelled(conn, TEACHING, tickets)
    before = lessons.taught(conn, tickets)
    forgotten = learned = 0
    for ticket, (intent, taught) in before.items():
        if now.get(ticket) != intent:
            lessons.unlearn(conn, ticket, intent, taught)
            forgotten += 1
    for ticket, intent in now.items():
        if ticket in before and before[ticket][0] == intent:
            continue
        words = lessons.first_words(conn, ticket)
        if words is None:
            continue
        lessons.learn(conn, ticket, intent, features(own_words(*words)))
        learned += 1
    if learned or forgotten or rebuild:
        lessons.changed(conn)
    return Relearned(learned, forgotten)


_loaded: dict[str, tuple[int, Learned]] = {}


def model(store: Store) -> Learned:
    """The store's learned model, read again only when it changed (a store in memory: always)."""
    conn = store.conn
    version = lessons.version(conn)
    key = str(store.path) if store.path is not None else None
    held = _loaded.get(key) if key else None
    if held is None or held[0] != version:
        held = version, Learned.of(lessons.tickets_per_intent(conn), lessons.words(conn))
        if key:
            _loaded[key] = held
    return held[1]
