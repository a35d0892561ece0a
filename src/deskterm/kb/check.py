"""Keeping the knowledge base true: files that are not articles, links to articles or sections
that do not exist, articles nobody reviewed in 90 days, intents triage never gives, macros that
follow a missing SOP."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from deskterm.domain import REVIEW_EVERY, Problem
from deskterm.kb.articles import Article, ArticleError, link_target
from deskterm.kb.index import article_files, read_article
from deskterm.macros import Macro
from deskterm.triage.labels import INTENTS


def load_all(
    user_dir: Path | None = None, *, stock: bool = True
) -> tuple[dict[str, Article], list[Problem]]:
    """Every article read from its file (not the index), and the files that are not articles."""
    files, problems = article_files(user_dir, stock=stock)
    found: dict[str, Article] = {}
    for slug, file in files.items():
        try:
            found[slug] = read_article(file)
        except ArticleError as exc:
            problems.append(Problem(file.source, str(exc)))
    return found, problems


def broken_links(articles: dict[str, Article]) -> Iterable[Problem]:
    """A problem for each internal link to a missing article or a missing section."""
    for article in articles.values():
        for link in article.links:
            if not link.internal:
                continue
            slug, anchor = link_target(article, link)
            where = f"{article.source}:{link.line}"
            target = articles.get(slug)
            if target is None:
                yield Problem(where, f"link to {link.target!r}: there is no article {slug!r}")
            elif anchor and target.section(anchor) is None:
                yield Problem(where, f"link to {link.target!r}: {slug} has no section {anchor!r}")


def stale(articles: dict[str, Article], today: date) -> Iterable[Problem]:
    """A problem for each article not reviewed in the last 90 days (or never)."""
    for article in articles.values():
        if article.reviewed is None:
            yield Problem(article.source, "has no reviewed date; add reviewed = YYYY-MM-DD")
        elif today - article.reviewed > REVIEW_EVERY:
            days = (today - article.reviewed).days
            yield Problem(
                article.source,
                f"not reviewed for {days} days (last {article.reviewed.isoformat()}); "
                "read it through and update reviewed",
            )


def unknown_intents(articles: dict[str, Article]) -> Iterable[Problem]:
    """A problem for each intent an article names that triage never gives: it would never match."""
    for article in articles.values():
        for intent in article.intents:
            if intent not in INTENTS:
                yield Problem(
                    article.source,
                    f"intent {intent!r} is not one triage gives; it gives {', '.join(INTENTS)}",
                )


def customer_links(articles: dict[str, Article]) -> Iterable[Problem]:
    """Customer articles without a public page cannot be linked from a reply (a warning)."""
    for article in articles.values():
        if article.for_customers and not article.url:
            yield Problem(
                article.source,
                "is for customers but has no url; only its text can go in a reply",
                error=False,
            )


def macro_sops(articles: dict[str, Article], macros: Iterable[Macro]) -> Iterable[Problem]:
    """A problem for each macro whose `sop` is not an SOP of the knowledge base."""
    for macro in macros:
        if macro.sop is None:
            continue
        target = articles.get(macro.sop)
        if target is None:
            yield Problem(macro.source, f"macro {macro.name}: there is no SOP {macro.sop!r}")
        elif not target.is_sop:
            yield Problem(
                macro.source, f"macro {macro.name}: {macro.sop!r} is an article, not an SOP"
            )


def check(
    today: date,
    macros: Iterable[Macro] = (),
    user_dir: Path | None = None,
    *,
    stock: bool = True,
) -> tuple[int, list[Problem]]:
    """How many articles there are, and every problem with them and with the macros' SOPs."""
    articles, problems = load_all(user_dir, stock=stock)
    problems += broken_links(articles)
    problems += stale(articles, today)
    problems += unknown_intents(articles)
    problems += customer_links(articles)
    problems += macro_sops(articles, macros)
    return len(articles), problems
