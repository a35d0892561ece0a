"""The knowledge base: articles and SOPs as Markdown files, indexed in the store, suggested beside
the ticket, and checked for broken links, stale reviews and missing names."""

from deskterm.kb.articles import Article, ArticleError, Link, Section, parse_article
from deskterm.kb.index import (
    Refreshed,
    Stamps,
    refresh,
    stamps,
    stock_knowledge_dir,
    user_knowledge_dir,
)
from deskterm.kb.library import Hit, KbError, article, articles, search
from deskterm.kb.suggest import TicketFacts, facts_for, sops_for, suggest

__all__ = [
    "Article",
    "ArticleError",
    "Hit",
    "KbError",
    "Link",
    "Refreshed",
    "Section",
    "Stamps",
    "TicketFacts",
    "article",
    "articles",
    "facts_for",
    "parse_article",
    "refresh",
    "search",
    "sops_for",
    "stamps",
    "stock_knowledge_dir",
    "suggest",
    "user_knowledge_dir",
]
