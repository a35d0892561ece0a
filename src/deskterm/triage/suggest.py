"""Macros to offer for a ticket, with the reason: first those used on tickets whose customer wrote
what this one's customer wrote last (bm25 over the words each macro answered, store.macro_uses,
tickets of the same intent counting more), then those used on other tickets of its intent, then
those whose name or description names the intent."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from deskterm.store import Store, macro_uses
from deskterm.triage.language import SHOP_WORDS, STOPWORDS
from deskterm.triage.text import folded, own_words

# Words that name each intent in a macro's name or description (lower case).
INTENT_WORDS: dict[str, tuple[str, ...]] = {
    "wismo": ("wismo", "where is my order", "tracking", "not shipped", "delayed"),
    "refund": ("refund",),
    "return": ("return", "send an item back"),
    "cancel": ("cancel",),
    "address": ("address",),
    "damaged": ("damaged", "broken", "defective"),
    "exchange": ("exchange", "swap"),
    "stock": ("stock",),
    "discount": ("discount", "coupon", "promo"),
    "product": ("product question", "size guide"),
    "complaint": ("complaint", "escalate", "apolog"),
    "thanks": ("thank", "csat"),
}

LIMIT = 3
# The tickets most like this one that vote for the macros used on them.
NEIGHBOURS = 30
# The rarest words of the message in the index are asked for, and none on more than this share
# of it: a word most tickets have tells little, and bm25 over all of them costs (~15 ms a
# suggestion at 100,000 tickets, against ~2 ms; bench/bench_suggest.py).
QUERY_WORDS = 8
COMMON = 0.2
# A word on this few uses is always asked for, however small the index.
FEW = 20
# A neighbour about the same intent counts this much more.
SAME_INTENT = 1.5
_WORD = re.compile(r"[^\W\d_]{3,}")
# Function words ("and", "the", "und"): shared by any two messages of a language, they are no
# reason to offer a macro. The shop words voting for a language ("refund", "paket") stay.
_FUNCTION_WORDS = frozenset(
    folded(w) for words in STOPWORDS.values() for w in words.split()
) - frozenset(folded(w) for words in SHOP_WORDS.values() for w in words.split())


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A macro to offer and why."""

    name: str
    reason: str


def refresh(store: Store) -> int:
    """Index the macro applications written since the last time; how many there were."""
    found = macro_uses.pending(store.conn)
    if found is None:
        return 0
    last, pending = found
    uses = [
        (event, ticket, macro, intent, own_words(*(text or "").partition("\n")[::2]))
        for event, ticket, macro, intent, text in pending
    ]
    with store.tx() as conn:
        macro_uses.index(conn, last, uses)
    return len(uses)


def _folded_words(text: str) -> dict[str, None]:
    """The distinct words of `text`, folded, in their order."""
    return dict.fromkeys(folded(w) for w in _WORD.findall(text))


def _query_words(store: Store, text: str) -> list[str]:
    """The words of `text` to look for: the rarest in the index, none in most of it."""
    words = [w for w in _folded_words(text) if w not in _FUNCTION_WORDS]
    total, spread = macro_uses.spread(store.conn, words)
    telling = [w for w in words if w in spread and spread[w] <= max(COMMON * total, FEW)]
    return sorted(telling, key=spread.__getitem__)[:QUERY_WORDS]


def _alike(
    store: Store, ticket_id: int, intent: str | None, available: dict[str, str]
) -> list[Suggestion]:
    """Macros used on the tickets most like this one's last customer message, best first."""
    asked = macro_uses.last_customer_message(store.conn, ticket_id)
    words = _query_words(store, own_words(*asked)) if asked else []
    if not words:
        return []
    query = " OR ".join(f'"{w}"' for w in words)
    votes: dict[str, float] = {}
    best: dict[str, macro_uses.Use] = {}
    tickets: Counter[str] = Counter()
    for use in macro_uses.similar(store.conn, query, ticket_id, NEIGHBOURS):
        if use.macro not in available:
            continue
        same = intent not in (None, "other") and use.intent == intent
        votes[use.macro] = votes.get(use.macro, 0.0) + use.likeness * (SAME_INTENT if same else 1)
        tickets[use.macro] += 1
        best.setdefault(use.macro, use)
    found = []
    for name in sorted(votes, key=votes.__getitem__, reverse=True):
        use = best[name]
        its_words = _folded_words(use.words)
        shared = [w for w in words if w in its_words][:3]
        more = tickets[name] - 1
        also = f" and {more} more" if more else ""
        found.append(Suggestion(name, f"like #{use.ticket_id}{also}: {', '.join(shared)}"))
    return found


def _named(intent: str, available: dict[str, str]) -> list[Suggestion]:
    """Macros whose name, then whose description, holds a word of the intent."""
    words = INTENT_WORDS.get(intent, ())
    by_name, by_description = [], []
    for name, description in available.items():
        word = next((w for w in words if w in name.replace("-", " ")), None)
        if word:
            by_name.append(Suggestion(name, f"named for {intent}"))
            continue
        word = next((w for w in words if w in description.lower()), None)
        if word:
            by_description.append(Suggestion(name, f"its description says {word!r}"))
    return by_name + by_description


def _by_intent(
    store: Store, ticket_id: int, intent: str, available: dict[str, str]
) -> list[Suggestion]:
    """Macros used on other tickets about `intent` (most used first), then those named for it."""
    found = []
    for name, count in macro_uses.used_for(store.conn, intent, ticket_id):
        if name in available:
            many = "s" if count != 1 else ""
            found.append(Suggestion(name, f"used on {count} other {intent} ticket{many}"))
    return found + _named(intent, available)


def suggest(
    store: Store,
    ticket_id: int,
    intent: str | None,
    macros: Iterable[tuple[str, str]],
    *,
    limit: int = LIMIT,
) -> list[Suggestion]:
    """Up to `limit` of `macros` (name, description) for the ticket, with reasons."""
    available = dict(macros)
    refresh(store)
    found = _alike(store, ticket_id, intent, available)
    if intent and intent != "other" and len({s.name for s in found}) < limit:
        found += _by_intent(store, ticket_id, intent, available)
    taken: dict[str, Suggestion] = {}
    for suggestion in found:
        taken.setdefault(suggestion.name, suggestion)
    return list(taken.values())[:limit]
