"""The knowledge base's index and SOP ticks: the SQL that deskterm.kb and the actions call."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from deskterm.domain import canonical_json
from deskterm.store import Store
from deskterm.store.fulltext import fts_query


@dataclass(frozen=True, slots=True)
class Indexed:
    """An article row as written: where its file is and how it looked when it was read."""

    slug: str
    source: str
    mtime_ns: int
    size: int
    kind: str
    audience: str
    title: str
    keywords: str
    body: str
    data: dict


def indexed_files(store: Store) -> dict[str, tuple[str, int, int]]:
    """Every indexed article's slug with its file, modification time (ns) and size."""
    rows = store.conn.execute("SELECT slug, source, mtime_ns, size FROM kb_articles")
    return {slug: (source, mtime, size) for slug, source, mtime, size in rows}


def write_articles(conn: sqlite3.Connection, rows: Iterable[Indexed], gone: Iterable[str]) -> None:
    """Replace the rows of changed articles and delete those whose file is gone, in `conn`'s tx.

    A changed article's row is deleted (kb_fts_ad takes its full-text row along) and inserted
    anew; the new rows reach the full-text index in one statement, by id: SQLite gives a new row
    the largest id plus one, so they are the ids above the largest left after the deletes.
    """
    rows = list(rows)
    replaced = [(slug,) for slug in gone] + [(r.slug,) for r in rows]
    conn.executemany("DELETE FROM kb_articles WHERE slug = ?", replaced)
    (last,) = conn.execute("SELECT coalesce(max(id), 0) FROM kb_articles").fetchone()
    conn.executemany(
        "INSERT INTO kb_articles (slug, source, mtime_ns, size, kind, audience, title, keywords,"
        " body, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.slug,
                r.source,
                r.mtime_ns,
                r.size,
                r.kind,
                r.audience,
                r.title,
                r.keywords,
                r.body,
                canonical_json(r.data),
            )
            for r in rows
        ],
    )
    conn.execute(
        "INSERT INTO kb_fts (rowid, title, keywords, body)"
        " SELECT id, title, keywords, body FROM kb_articles WHERE id > ?",
        (last,),
    )


def article_data(store: Store, slug: str) -> tuple[str, str] | None:
    """The stored article called `slug` (its JSON without the body, and the body), or None."""
    return store.conn.execute(
        "SELECT data, body FROM kb_articles WHERE slug = ?", (slug,)
    ).fetchone()


def all_article_data(store: Store) -> list[tuple[str, str]]:
    """Every stored article (JSON without the body, and the body), by slug."""
    return store.conn.execute("SELECT data, body FROM kb_articles ORDER BY slug").fetchall()


def search(
    store: Store, words: tuple[str, ...], *, limit: int = 20
) -> list[tuple[str, float, str]]:
    """(slug, rank, snippet) of the articles holding every word (by its beginning), best first.

    bm25, lower is better: a title match weighs most, then tags and intents, then the body.
    """
    if not words:
        return []
    query = fts_query(words)
    rows = store.conn.execute(
        "SELECT a.slug, bm25(kb_fts, 10.0, 5.0, 1.0) AS rank,"
        " snippet(kb_fts, 2, '«', '»', ' … ', 10)"
        " FROM kb_fts JOIN kb_articles a ON a.id = kb_fts.rowid"
        " WHERE kb_fts MATCH ? ORDER BY rank LIMIT ?",
        (query, limit),
    )
    return [(slug, rank, snippet) for slug, rank, snippet in rows]


def _term(word: str) -> str:
    """`word` as one quoted FTS5 term: the text of a message never becomes FTS5 syntax."""
    return '"' + word.replace('"', '""') + '"'


def article_count(store: Store) -> int:
    """How many articles are indexed."""
    (total,) = store.conn.execute("SELECT count(*) FROM kb_articles").fetchone()
    return int(total)


def articles_holding(store: Store, words: tuple[str, ...], *, cap: int) -> dict[str, int]:
    """How many articles hold each of `words` as a whole word, counted up to `cap` (counting
    stops there, so a word most articles hold costs no more than a rare one)."""
    counts = {}
    for word in words:
        (count,) = store.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM kb_fts WHERE kb_fts MATCH ? LIMIT ?)",
            (_term(word), cap),
        ).fetchone()
        counts[word] = count
    return counts


def match_ranks(store: Store, words: tuple[str, ...], *, limit: int) -> list[tuple[str, float]]:
    """(slug, bm25 rank) of the articles holding any of `words` as whole words, best first.

    No prefixes and no snippets: this runs for every ticket the panel opens on, with a
    message's worth of words.
    """
    if not words:
        return []
    query = " OR ".join(_term(word) for word in words)
    rows = store.conn.execute(
        "SELECT a.slug, bm25(kb_fts, 10.0, 5.0, 1.0) AS rank"
        " FROM kb_fts JOIN kb_articles a ON a.id = kb_fts.rowid"
        " WHERE kb_fts MATCH ? ORDER BY rank LIMIT ?",
        (query, limit),
    )
    return [(slug, rank) for slug, rank in rows]


def cards(store: Store, slugs: list[str]) -> list[tuple[str, str, str, str, str, str, str]]:
    """(slug, kind, audience, title, tags, intents, channels) of `slugs`; lists as JSON text."""
    if not slugs:
        return []
    marks = ",".join("?" * len(slugs))
    return store.conn.execute(
        "SELECT slug, kind, audience, title, json_extract(data, '$.tags'),"
        " json_extract(data, '$.intents'), json_extract(data, '$.channels')"
        f" FROM kb_articles WHERE slug IN ({marks})",
        slugs,
    ).fetchall()


def search_keywords(store: Store, keys: tuple[str, ...], *, limit: int = 20) -> list[str]:
    """Slugs of the articles whose tags or intents hold any of `keys`, best first."""
    if not keys:
        return []
    terms = " OR ".join(_term(key) for key in keys)
    rows = store.conn.execute(
        "SELECT a.slug FROM kb_fts JOIN kb_articles a ON a.id = kb_fts.rowid"
        " WHERE kb_fts MATCH ? ORDER BY rank LIMIT ?",
        (f"keywords : ({terms})", limit),
    )
    return [slug for (slug,) in rows]


def ticks(store: Store, ticket_id: int) -> dict[str, set[int]]:
    """The SOP steps ticked on a ticket: {sop: {step, ...}}."""
    found: dict[str, set[int]] = {}
    rows = store.conn.execute("SELECT sop, step FROM sop_ticks WHERE ticket_id = ?", (ticket_id,))
    for sop, step in rows:
        found.setdefault(sop, set()).add(step)
    return found


def set_tick(
    conn: sqlite3.Connection, ticket_id: int, sop: str, step: int, at: str, actor: str
) -> bool:
    """Tick a step; False when it was ticked already."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO sop_ticks (ticket_id, sop, step, at, actor) VALUES (?, ?, ?, ?, ?)",
        (ticket_id, sop, step, at, actor),
    )
    return bool(cursor.rowcount)


def clear_tick(conn: sqlite3.Connection, ticket_id: int, sop: str, step: int) -> bool:
    """Untick a step; False when it was not ticked."""
    cursor = conn.execute(
        "DELETE FROM sop_ticks WHERE ticket_id = ? AND sop = ? AND step = ?",
        (ticket_id, sop, step),
    )
    return bool(cursor.rowcount)


def macros_applied(store: Store, ticket_id: int) -> set[str]:
    """The names of the macros that acted on a ticket (their events' actor is macro:NAME)."""
    rows = store.conn.execute(
        "SELECT DISTINCT actor FROM events WHERE ticket_id = ? AND actor LIKE 'macro:%'"
        " AND undone_by IS NULL",
        (ticket_id,),
    )
    return {actor.partition(":")[2] for (actor,) in rows}


def last_customer_words(store: Store, ticket_id: int) -> str:
    """The subject and text of the ticket's latest customer message, or "" when it has none."""
    row = store.conn.execute(
        "SELECT subject, text FROM messages WHERE ticket_id = ? AND direction = 'in'"
        " ORDER BY sent_at DESC, id DESC LIMIT 1",
        (ticket_id,),
    ).fetchone()
    return f"{row[0]}\n{row[1]}" if row else ""
