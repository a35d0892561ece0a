"""What an article puts into a message: a customer article's link, or a section's text with its
links made readable for a customer. Internal articles never go into a reply."""

from __future__ import annotations

import re
from collections.abc import Callable

from deskterm.kb.articles import LINK_RE, Article, Link, link_target
from deskterm.kb.library import KbError, article_or_none
from deskterm.store import Store


def public_url(article: Article, shop_url: str) -> str:
    """The article's public page; a url starting with / is a page of the shop's site."""
    if not article.url:
        raise KbError(f"{article.title!r} has no public url; insert one of its sections instead")
    if not article.url.startswith("/"):
        return article.url
    if not shop_url:
        raise KbError(f"{article.url} is a page of your shop: set [shop] url in the settings")
    return shop_url.rstrip("/") + article.url


def check_audience(article: Article, into: str) -> None:
    """Refuse an internal article for a reply (a note may take it)."""
    if into == "reply" and not article.for_customers:
        raise KbError(
            f"{article.title!r} is an internal article: it never goes into a reply "
            "(a note, n, may take it)"
        )


def link_text(article: Article, *, into: str, shop_url: str) -> str:
    """The line that points a customer at the article: "Title: https://..."."""
    check_audience(article, into)
    return f"{article.title}: {public_url(article, shop_url)}"


def section_text(
    article: Article,
    anchor: str | None,
    *,
    into: str,
    shop_url: str,
    resolve: Callable[[Article, Link], str],
) -> str:
    """A section's text (the whole body when `anchor` is None) for a reply or a note.

    A link becomes "text (url)": `resolve` gives an internal link's public url, or "" when the
    article it names has none (then only the link's words remain).
    """
    check_audience(article, into)
    if anchor is None:
        text = article.body
    else:
        part = article.section(anchor)
        if part is None:
            raise KbError(f"{article.slug} has no section {anchor!r}")
        text = part.text

    def plain(match: re.Match[str]) -> str:
        words, target = match.group(1), match.group(2)
        link = Link(words, target, 0)
        url = resolve(article, link) if link.internal else target
        return f"{words} ({url})" if url else words

    return LINK_RE.sub(plain, text).strip()


def resolver(store: Store, shop_url: str) -> Callable[[Article, Link], str]:
    """Public urls of the customer articles internal links name, read from the index."""

    def resolve(article: Article, link: Link) -> str:
        target = article_or_none(store, link_target(article, link)[0])
        if target is None or not target.for_customers or not target.url:
            return ""
        try:
            return public_url(target, shop_url)
        except KbError:
            return ""

    return resolve
