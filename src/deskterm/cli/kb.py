"""`deskterm kb search|show|check`: the knowledge base from the shell, with --json for scripts.

Search and show bring the index up to date first (one stat per file when nothing changed).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deskterm.cli.common import db_option, echo, fail, json_option, print_json, state

if TYPE_CHECKING:
    from deskterm.store import Store

AUDIENCES = click.Choice(["customer", "internal"])


@click.group(no_args_is_help=True)
def app() -> None:
    """Articles and SOPs: Markdown files in your knowledge folder, plus the stock set."""


def _indexed(db: Path | None) -> Store:
    from deskterm import kb

    store = state(db).store()
    for problem in kb.refresh(store).problems:
        echo(str(problem), style="yellow", err=True)
    return store


@app.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--audience", type=AUDIENCES, default=None, help="Only customer or internal ones.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
@db_option
def search(
    words: tuple[str, ...], audience: str | None, limit: int, as_json: bool, db: Path | None
) -> None:
    """Articles holding every word (by its beginning), best first."""
    from deskterm import kb

    hits = kb.search(_indexed(db), " ".join(words), limit=limit, audience=audience)
    if as_json:
        print_json([hit.to_dict() for hit in hits])
        return
    for hit in hits:
        article = hit.article
        label = "SOP" if article.is_sop else article.audience
        echo(f"{article.slug}  {article.title}  ({label})", style="bold")
        echo("    " + " ".join(hit.snippet.split()))
    if not hits:
        echo("no article matches", err=True)


@app.command()
@click.argument("slug")
@click.option("--section", "-s", default=None, help="Only this section (its anchor).")
@json_option
@db_option
def show(slug: str, section: str | None, as_json: bool, db: Path | None) -> None:
    """An article: its fields and its text, or one section of it."""
    from deskterm import kb

    try:
        article = kb.article(_indexed(db), slug)
    except kb.KbError as exc:
        fail(str(exc))
    part = article.section(section) if section else None
    if section and part is None:
        anchors = ", ".join(s.anchor for s in article.sections) or "none"
        fail(f"{article.slug} has no section {section!r}; its sections: {anchors}")
    if as_json:
        data = article.to_dict()
        print_json(
            {"section": {"heading": part.heading, "text": part.text}, **data} if part else data
        )
        return
    echo(article.title, style="bold")
    facts = [article.audience, article.kind]
    facts += [f"tags: {', '.join(article.tags)}"] if article.tags else []
    facts += [f"url: {article.url}"] if article.url else []
    facts += [f"reviewed {article.reviewed.isoformat()}"] if article.reviewed else []
    echo(" · ".join(facts), style="dim")
    if article.is_sop:
        echo(f"target: {article.target} · escalation: {article.escalation}", style="dim")
    echo()
    echo(f"## {part.heading}\n\n{part.text}" if part else article.body)


@app.command()
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Judge review dates as of this day (default: today).",
)
@json_option
def check(today: datetime | None, as_json: bool) -> None:
    """Broken links, articles not reviewed in 90 days, macros naming a missing SOP; exit 1 if so."""
    from deskterm import macros
    from deskterm.domain import local_zone, utcnow
    from deskterm.kb.check import check as check_kb

    loaded = macros.load_macros()
    day = today.date() if today else utcnow().astimezone(local_zone()).date()
    count, problems = check_kb(day, loaded)
    if as_json:
        print_json(
            {
                "articles": count,
                "problems": [
                    {"source": p.source, "message": p.message, "error": p.error} for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            echo(str(problem), style="red" if problem.error else "yellow")
        errors = sum(p.error for p in problems)
        echo(f"{count} articles, {errors} errors, {len(problems) - errors} warnings", err=True)
    if any(p.error for p in problems):
        raise click.exceptions.Exit(1)
