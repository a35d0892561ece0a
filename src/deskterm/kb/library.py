"""Reading the indexed articles: one by slug, all of them, and a search by words."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from deskterm.kb.articles import Article, words_of
from deskterm.store import Store
from deskterm.store import knowledge as store_kb


class KbError(Exception):
    """A knowledge-base request cannot be answered; the message says why."""


def _load(row: tuple[str, str]) -> Article:
    data, body = row
    return Article.from_dict({**json.loads(data), "body": body})


def article_or_none(store: Store, slug: str) -> Article | None:
    """The article called `slug`, or None."""
    data = store_kb.article_data(store, slug)
    return _load(data) if data is not None else None


def article(store: Store, slug: str) -> Article:
    """The article called `slug`; KbError suggests the closest slugs when there is none."""
    found = article_or_none(store, slug.removesuffix(".md"))
    if found is not None:
        return found
    close = difflib.get_close_matches(slug, list(store_kb.indexed_files(store)), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KbError(f"there is no article {slug!r}{hint}")


def articles(store: Store) -> list[Article]:
    """Every indexed article, by slug."""
    return [_load(data) for data in store_kb.all_article_data(store)]


@dataclass(frozen=True, slots=True)
class Hit:
    """An article a search or a suggestion found, how well it fits and why."""

    article: Article
    score: float
    snippet: str = ""
    reasons: tuple[str, ...] = ()
    fits_kind: bool = False

    def to_dict(self) -> dict:
        return {
            "slug": self.article.slug,
            "title": self.article.title,
            "kind": self.article.kind,
            "audience": self.article.audience,
            "url": self.article.url,
            "score": round(self.score, 3),
            "snippet": self.snippet,
            "reasons": list(self.reasons),
        }


def by_slugs(store: Store, slugs: list[str]) -> dict[str, Article]:
    """The articles of `slugs` that exist."""
    found = {}
    for slug in slugs:
        data = store_kb.article_data(store, slug)
        if data is not None:
            found[slug] = _load(data)
    return found


def search(store: Store, text: str, *, limit: int = 20, audience: str | None = None) -> list[Hit]:
    """Articles holding every word of `text` (by prefix), best first; optionally of one audience."""
    words = tuple(words_of(text))
    rows = store_kb.search(store, words, limit=limit * 3 if audience else limit)
    loaded = by_slugs(store, [slug for slug, _, _ in rows])
    hits = [
        Hit(loaded[slug], -rank, snippet)
        for slug, rank, snippet in rows
        if slug in loaded and (audience is None or loaded[slug].audience == audience)
    ]
    return hits[:limit]
