"""Which articles and SOPs fit a ticket: its intent, tags and channel, the words of the customer's
last message, and the SOPs its macros follow. Pure ranking over a few dozen candidates that the
index finds; the facts are read from the store in one place (`facts_for`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from deskterm.kb.articles import Article, words_of
from deskterm.kb.library import Hit, by_slugs
from deskterm.store import Store, queries
from deskterm.store import knowledge as store_kb

# Words of a customer's message that say nothing about what they need.
STOP_WORDS = frozenset(
    """a about after again all am an and any are as at be been before but by can could did do
    does for from get got had has have hello hi how i i'm if in into is it it's its just know like
    me my no not now of on or our out please regards so still some than thank thanks that the their
    them then there these they this to too up us was we were what when where which who why will
    with would yet you your best dear kind hey ok okay""".split()
)
INTENT_WEIGHT, TAG_WEIGHT, CHANNEL_WEIGHT, TEXT_WEIGHT, MACRO_WEIGHT = 6.0, 3.0, 1.0, 4.0, 5.0
# The longest words of a message are the telling ones (and the rarest in the articles, which is
# what keeps the full-text query fast): at most this many go to it.
MAX_WORDS = 12
# The full-text query ranks every article holding any of its words: it takes the rarest words of
# the message while together they are in at most this many articles (~1.5 ms of bm25).
TEXT_BUDGET = 500
# A text match this much weaker than the best one is noise (bm25 ranks span orders of magnitude).
MIN_TEXT_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the suggestions look at. `intent` is the triage's reading of the last customer message
    (empty until triage has one); `macros` the macros applied to the ticket."""

    channel: str = ""
    tags: tuple[str, ...] = ()
    text: str = ""
    intent: str = ""
    sops_of_macros: tuple[str, ...] = ()


def facts_for(
    store: Store, ticket_id: int, *, macro_sops: Mapping[str, str] | None = None, intent: str = ""
) -> TicketFacts:
    """The facts of a ticket as stored: channel, tags, triage's intent, last customer message, and
    the SOPs that the macros applied to it follow (`macro_sops`: macro name -> SOP slug). An
    `intent` given overrides the stored one."""
    sops, applied = macro_sops or {}, store_kb.macros_applied(store, ticket_id)
    ticket = queries.ticket(store, ticket_id)
    return TicketFacts(
        channel=ticket.channel if ticket else "",
        tags=ticket.tags if ticket else (),
        text=store_kb.last_customer_words(store, ticket_id),
        intent=intent or (ticket.intent or "" if ticket else ""),
        sops_of_macros=tuple(sorted({sops[m] for m in applied if m in sops})),
    )


def query_words(text: str) -> tuple[str, ...]:
    """The telling words of a message, each once: the MAX_WORDS longest, in the message's order."""
    seen: dict[str, None] = {}
    for word in words_of(text):
        if len(word) > 2 and word not in STOP_WORDS and not word.isdigit():
            seen.setdefault(word)
    longest = set(sorted(seen, key=len, reverse=True)[:MAX_WORDS])
    return tuple(word for word in seen if word in longest)


def telling_words(
    store: Store, words: tuple[str, ...], *, budget: int = TEXT_BUDGET
) -> tuple[str, ...]:
    """The rarest of `words` in the articles, while together they are in at most `budget`.

    A word in half the articles or more is dropped whatever the budget: bm25 weighs it at nothing
    (FTS5 floors its idf at 1e-6). A word in 500 of 5,000 articles weighs a third of one in 10, so
    the rare words decide the ranking, and ranking only their articles keeps the query fast.
    """
    if not words:
        return ()
    half = (store_kb.article_count(store) + 1) // 2
    counts = store_kb.articles_holding(store, words, cap=min(half, budget + 1))
    kept, total = set(), 0
    for word in sorted(words, key=lambda w: counts[w]):
        if counts[word] >= half or total + counts[word] > budget:
            break
        kept.add(word)
        total += counts[word]
    return tuple(word for word in words if word in kept)


@dataclass(frozen=True, slots=True)
class Card:
    """What ranking needs of an article, read without loading the article itself."""

    slug: str
    kind: str
    audience: str
    title: str
    tags: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fit:
    """How well a card fits the ticket, and why; `fits_kind` when intent, a tag or a macro say
    the ticket is of the article's kind (not only words or the channel)."""

    card: Card
    score: float
    reasons: tuple[str, ...] = ()
    fits_kind: bool = False


def score(card: Card, facts: TicketFacts, text_share: float) -> Fit:
    """How well `card` fits the ticket; text_share is its text match, 0-1 (of the best match).

    An article for other channels does not fit at all (score -1).
    """
    if card.channels and facts.channel not in card.channels:
        return Fit(card, -1.0)
    total, reasons = 0.0, []
    if facts.intent and facts.intent in card.intents:
        total += INTENT_WEIGHT
        reasons.append(f"intent {facts.intent}")
    shared = sorted(set(facts.tags) & (set(card.tags) | set(card.intents)))
    if shared:
        total += TAG_WEIGHT * len(shared)
        reasons.append("tag " + ", ".join(shared))
    if card.slug in facts.sops_of_macros:
        total += MACRO_WEIGHT
        reasons.append("followed by a macro used here")
    fits_kind = bool(reasons)
    if card.channels:
        total += CHANNEL_WEIGHT
        reasons.append(f"for {facts.channel}")
    if text_share >= MIN_TEXT_SHARE:
        total += TEXT_WEIGHT * text_share
        reasons.append("words of the message")
    return Fit(card, total, tuple(reasons), fits_kind)


def rank(cards: list[Card], text_ranks: dict[str, float], facts: TicketFacts) -> list[Fit]:
    """The cards that fit, best first; text_ranks are bm25 ranks (negative, lower is better)."""
    best = min(text_ranks.values(), default=0.0)
    fits = []
    for card in cards:
        share = text_ranks[card.slug] / best if card.slug in text_ranks and best < 0 else 0.0
        fit = score(card, facts, share)
        if fit.score > 0:
            fits.append(fit)
    return sorted(fits, key=lambda f: (-f.score, f.card.kind != "sop", f.card.slug))


def _card(row: tuple[str, str, str, str, str, str, str]) -> Card:
    slug, kind, audience, title, tags, intents, channels = row
    lists = (tuple(json.loads(x)) if x else () for x in (tags, intents, channels))
    return Card(slug, kind, audience, title, *lists)


def suggest(store: Store, facts: TicketFacts, *, limit: int = 8) -> list[Hit]:
    """The articles and SOPs that fit the ticket, best first."""
    words = telling_words(store, query_words(facts.text))
    text_rows = store_kb.match_ranks(store, words, limit=30)
    # The channel too: an article for it (marketplace rules) fits even when no word says so.
    keys = tuple(k for k in (*facts.tags, facts.intent, facts.channel) if k)
    key_rows = store_kb.search_keywords(store, keys, limit=30)
    slugs = [s for s, _ in text_rows] + key_rows + list(facts.sops_of_macros)
    found = [_card(row) for row in store_kb.cards(store, list(dict.fromkeys(slugs)))]
    fits = rank(found, dict(text_rows), facts)[:limit]
    loaded = by_slugs(store, [f.card.slug for f in fits])
    return [
        Hit(loaded[f.card.slug], f.score, reasons=f.reasons, fits_kind=f.fits_kind)
        for f in fits
        if f.card.slug in loaded
    ]


def sops_for(hits: list[Hit]) -> list[Article]:
    """The SOPs among suggestions that fit the ticket's kind: by intent, tag or macro, not words."""
    return [h.article for h in hits if h.article.is_sop and h.fits_kind]
