"""Macros to offer for a ticket, by what it is about: those used on other tickets of the same
intent first (most used first), then those whose name or description names the intent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from deskterm.store import triage as store_triage

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


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A macro to offer and why."""

    name: str
    reason: str


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


def suggest(
    conn: sqlite3.Connection,
    ticket_id: int,
    intent: str | None,
    macros: Iterable[tuple[str, str]],
    *,
    limit: int = LIMIT,
) -> list[Suggestion]:
    """Up to `limit` of `macros` (name, description) for a ticket about `intent`, with reasons."""
    if not intent or intent == "other":
        return []
    available = dict(macros)
    found: list[Suggestion] = []
    for name, count in store_triage.macros_used(conn, intent, ticket_id):
        if name in available:
            many = "s" if count != 1 else ""
            found.append(Suggestion(name, f"used on {count} other {intent} ticket{many}"))
    taken = {s.name for s in found}
    found += [s for s in _named(intent, available) if s.name not in taken]
    return found[:limit]
