"""`deskterm triage backfill|learn|read|intents`: offline triage of customer messages.

The models (py3langid, VADER) load inside the commands that classify, never for `--help`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from deskterm.cli.common import db_option, echo, json_option, print_json, state


@click.group(no_args_is_help=True)
def app() -> None:
    """Language, intent and mood of customer messages, read offline."""


@app.command()
@db_option
def backfill(db: Path | None) -> None:
    """Read every customer message stored before triage (or while it was off), oldest first.

    Safe while the TUI or a sync runs: each chunk of messages is written in a short transaction.
    """
    from deskterm.triage.backfill import backfill as run

    def progress(done: int, total: int) -> None:
        click.echo(f"\rread {done:,} of {total:,} messages", nl=False, err=True)

    done = run(state(db).store(), progress=progress)
    if done:
        echo("", err=True)
    echo(f"triage read {done:,} messages" if done else "every customer message is read already")


@app.command()
@click.option("--rebuild", is_flag=True, help="Forget what was learned and learn it all again.")
@db_option
def learn(rebuild: bool, db: Path | None) -> None:
    """Learn from the tickets people tagged with an intent's name (`deskterm triage intents`).

    Tagging a ticket teaches at once; this takes in tags that came another way (a team
    replica, an older version) and takes back what untagged tickets taught.
    """
    from deskterm.store import lessons
    from deskterm.triage import teach

    store = state(db).store()
    with store.tx() as conn:
        done = teach.relearn(conn, rebuild=rebuild)
        per_intent = lessons.tickets_per_intent(conn)
    echo(f"learned from {done.learned:,} tickets, took back {done.forgotten:,}")
    taught = ", ".join(f"{intent} {n:,}" for intent, n in sorted(per_intent.items()))
    echo(
        f"triage now knows {sum(per_intent.values()):,} tagged tickets"
        + (f": {taught}" if taught else "")
    )


@app.command("read")
@click.argument("text")
@click.option("--subject", default="", help="The message's subject.")
@db_option
@json_option
def read(text: str, subject: str, db: Path | None, as_json: bool) -> None:
    """What triage makes of TEXT, and the phrases that decided its intent (with what the
    workspace's tagged tickets taught, where it has any)."""
    from deskterm.triage import teach
    from deskterm.triage.reader import classify

    shared = state(db)
    learned = teach.model(shared.store(create=False)) if shared.db_path.exists() else None
    found = classify(subject, text, learned)
    if as_json:
        print_json(
            {
                "lang": found.lang,
                "intent": found.intent,
                "mood": found.mood,
                "sentiment": found.sentiment,
                "cues": list(found.cues),
            }
        )
        return
    score = "" if found.sentiment is None else f" ({found.sentiment:+.2f})"
    echo(f"language  {found.lang}")
    echo(
        f"intent    {found.intent}" + (f"  because: {'; '.join(found.cues)}" if found.cues else "")
    )
    echo(f"mood      {found.mood}{score}")


@app.command()
@click.option("--days", type=click.IntRange(1), default=30, show_default=True)
@db_option
@json_option
def intents(days: int, db: Path | None, as_json: bool) -> None:
    """How many tickets opened in the last DAYS are about each intent."""
    from deskterm.domain import utcnow
    from deskterm.store import triage as store_triage

    now = utcnow()
    rows = store_triage.intent_volume(
        state(db).store(create=False).conn, now - timedelta(days=days), now
    )
    if as_json:
        print_json({intent or "unread": count for intent, count in rows})
        return
    for intent, count in rows:
        echo(f"{count:>7,}  {intent or '(not read yet)'}")
