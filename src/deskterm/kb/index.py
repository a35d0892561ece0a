"""Finding the articles (the stock set and the user's folder) and keeping the store's index of
them current: a file whose size and modification time are unchanged is not read again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from deskterm.config import config_dir
from deskterm.domain import Problem
from deskterm.kb.articles import Article, ArticleError, parse_article
from deskterm.store import Store
from deskterm.store import knowledge as store_kb


def user_knowledge_dir() -> Path:
    """The user's own articles: $DESKTERM_KNOWLEDGE, else "knowledge" in the config folder."""
    env = os.environ.get("DESKTERM_KNOWLEDGE")
    return Path(env).expanduser() if env else config_dir() / "knowledge"


def stock_knowledge_dir() -> Path:
    """The stock articles shipped with deskterm (package data)."""
    return Path(str(resources.files("deskterm.stock_knowledge")))


@dataclass(frozen=True, slots=True)
class ArticleFile:
    """A file that holds an article: its slug (the path under its folder, without .md)."""

    slug: str
    path: str
    origin: str
    mtime_ns: int
    size: int

    @property
    def source(self) -> str:
        return f"stock:{self.slug}.md" if self.origin == "stock" else self.path


def _walk(folder: str, origin: str, problems: list[Problem]) -> Iterator[ArticleFile]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Problem(folder, f"cannot be read: {exc.strerror}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            for found in _walk(entry.path, origin, problems):
                yield ArticleFile(
                    f"{entry.name}/{found.slug}", found.path, origin, found.mtime_ns, found.size
                )
        elif entry.name.endswith(".md"):
            stat = entry.stat()
            yield ArticleFile(entry.name[:-3], entry.path, origin, stat.st_mtime_ns, stat.st_size)


def article_files(
    user_dir: Path | None = None, *, stock: bool = True
) -> tuple[dict[str, ArticleFile], list[Problem]]:
    """Every article file by slug, the user's winning over the stock set's; problems found."""
    problems: list[Problem] = []
    files: dict[str, ArticleFile] = {}
    if stock:
        files.update((f.slug, f) for f in _walk(str(stock_knowledge_dir()), "stock", problems))
    folder = user_dir if user_dir is not None else user_knowledge_dir()
    if folder.is_dir():
        files.update((f.slug, f) for f in _walk(str(folder), "user", problems))
    elif user_dir is not None:
        problems.append(Problem(str(folder), "knowledge folder does not exist"))
    return files, problems


Stamps = dict[str, tuple[str, int, int]]


def stamps(user_dir: Path | None = None, *, stock: bool = True) -> Stamps:
    """How the article files look now: slug -> (file, modification time in ns, size), one stat
    each and nothing read; two calls that differ mean a file was added, edited or removed."""
    files, _ = article_files(user_dir, stock=stock)
    return {slug: (f.source, f.mtime_ns, f.size) for slug, f in files.items()}


def read_article(file: ArticleFile) -> Article:
    """Parse one file; ArticleError (with OSError and bad encodings folded in) says why not."""
    try:
        with open(file.path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(f"cannot be read: {exc}") from None
    return parse_article(text, file.slug, source=file.source, origin=file.origin)


@dataclass(slots=True)
class Refreshed:
    """What a refresh did: slugs read again, slugs dropped, and the files that are not articles."""

    read: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _row(file: ArticleFile, article: Article) -> store_kb.Indexed:
    keywords = " ".join((*article.tags, *article.intents, *article.channels))
    return store_kb.Indexed(
        slug=article.slug,
        source=file.source,
        mtime_ns=file.mtime_ns,
        size=file.size,
        kind=article.kind,
        audience=article.audience,
        title=article.title,
        keywords=keywords,
        body=article.body,
        # The body has its own column (the full-text index reads it); the JSON need not repeat it.
        data={k: v for k, v in article.to_dict().items() if k != "body"},
    )


def refresh(store: Store, user_dir: Path | None = None, *, stock: bool = True) -> Refreshed:
    """Bring the index in line with the files: read new and changed ones, drop vanished ones.

    Unchanged files cost one stat each; a file that is not a valid article leaves the index (its
    problem is returned; `deskterm kb check` reports it).
    """
    files, problems = article_files(user_dir, stock=stock)
    done = Refreshed(problems=problems)
    indexed = store_kb.indexed_files(store)
    rows = []
    for slug, file in files.items():
        if indexed.get(slug) == (file.source, file.mtime_ns, file.size):  # as stamps() gives
            continue
        try:
            rows.append(_row(file, read_article(file)))
        except ArticleError as exc:
            done.problems.append(Problem(file.source, str(exc)))
            if slug in indexed:
                done.removed.append(slug)
            continue
        done.read.append(slug)
    done.removed.extend(slug for slug in indexed if slug not in files)
    if rows or done.removed:
        with store.tx() as conn:
            store_kb.write_articles(conn, rows, done.removed)
    return done
