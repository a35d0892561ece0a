"""Tickets from the shell: list, show, search, and every action (reply, note, status, ...).

Reading commands import only the store and its queries; actions (~60 ms with the SLA clocks) are
imported by the commands that act.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli import fast
from deskterm.cli.common import (
    as_option,
    db_option,
    echo,
    fail,
    json_option,
    print_json,
    run_action,
    seen_all_option,
    seen_in_team,
    state,
)
from deskterm.cli.output import (
    Column,
    Format,
    format_options,
    write_records,
    write_table,
)
from deskterm.domain import Priority, Status

if TYPE_CHECKING:
    from deskterm.store.queries import QueueRow

SORTS = ("deadline", "created", "updated", "priority")
LIST_COLUMNS = (
    Column("#", 5),
    Column("due", 11),
    Column("pri", 6),
    Column("channel", 7),
    Column("customer", 14),
    Column("subject", 0),
    Column("status", 7),
    Column("assignee", 8),
)


def _ticket_json(row: QueueRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "subject": row.subject,
        "status": row.status,
        "priority": row.priority,
        "channel": row.channel,
        "account": row.account,
        "customer": row.customer,
        "assignee": row.assignee,
        "escalation": row.escalation,
        "tags": row.tag_list,
        "next_deadline": row.next_deadline,
        "sla_state": row.sla_state,
        "snoozed_until": row.snoozed_until,
        "created_at": row.created_at,
        "last_message_at": row.last_message_at,
    }


def _table_row(r: QueueRow) -> tuple:
    due = r.next_deadline[5:16].replace("T", " ") if r.next_deadline else ""
    return (
        str(r.id),
        (due, "red" if r.sla_state == "breached" else ""),
        r.priority,
        r.channel,
        r.customer,
        r.subject,
        r.status,
        r.assignee or "",
    )


# A query may start with a negated term ('-channel:ebay ...'): it is the query, not an option.
@click.command("list", context_settings={"ignore_unknown_options": True})
@click.argument("query", default="")
@click.option("--sort", type=click.Choice(SORTS), default="deadline", help="Order of the list.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=10_000, help="At most this many tickets."
)
@click.option("--count", is_flag=True, help="Print only how many tickets match.")
@format_options
@db_option
def list_tickets(
    query: str, sort: str, limit: int, count: bool, fmt: Format | None, db: Path | None
) -> None:
    """List tickets in queue order; 'is:active' keeps to the unsolved ones, as the queue does.

    QUERY: search terms, e.g. 'status:open channel:ebay tag:wismo'.
    """
    from deskterm.domain import utcnow
    from deskterm.store import queries
    from deskterm.store.filters import FilterError, parse

    shared = state(db)
    try:
        flt = parse(query, me=shared.config.agent, active_only=False)
    except FilterError as exc:
        fail(str(exc), 2)
    now = utcnow()
    if count:
        click.echo(min(queries.queue_count(shared.store(create=False), flt, now), limit))
        return
    rows = queries.queue_rows(
        shared.store(create=False), flt, now, sort=queries.Sort(sort), limit=limit
    )
    if fmt:
        write_records(fmt, map(_ticket_json, rows))
        return
    shown = write_table(LIST_COLUMNS, map(_table_row, rows))
    echo(f"{shown} tickets", style="dim")


@click.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1), default=50)
@click.option(
    "--best", is_flag=True, help="Best match first (ranks every match, so slower), not newest."
)
@format_options
@db_option
def search(
    words: tuple[str, ...], limit: int, best: bool, fmt: Format | None, db: Path | None
) -> None:
    """Full-text search over every message, any status: newest match first.

    WORDS: words to find in any message, all of them; OR between two words finds either.
    """
    # cli.fast answers a plain `deskterm search` without click; this is the same search.
    fast.search(words, limit, best, fmt, state(db).db_path)


def _read_body(body: str | None, editor: bool) -> str:
    if body is not None and not editor:
        return body
    if not editor:
        if sys.stdin.isatty():
            fail("give the text with --body, --editor or on standard input", 2)
        return sys.stdin.read()
    import subprocess
    import tempfile

    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w+", suffix=".md", delete=False) as handle:
        handle.write(body or "")
        path = Path(handle.name)
    try:
        subprocess.run([*command.split(), str(path)], check=True)
        return path.read_text(encoding="utf-8")
    except (OSError, subprocess.CalledProcessError) as exc:
        fail(f"the editor {command!r} failed: {exc}")
    finally:
        path.unlink(missing_ok=True)


body_option = click.option("--body", default=None, help="The text (else stdin).")
editor_option = click.option("--editor", is_flag=True, help="Write the text in $EDITOR.")
ticket_arg = click.argument("ticket_id", metavar="ID", type=int)


@click.command()
@ticket_arg
@body_option
@editor_option
@click.option(
    "--attach", type=click.Path(path_type=Path), multiple=True, help="Attach a file (repeatable)."
)
@click.option("--cc", multiple=True, help="Send a copy to this address (mail only; repeatable).")
@seen_all_option
@as_option
@json_option
@db_option
def reply(
    ticket_id: int,
    body: str | None,
    editor: bool,
    attach: tuple[Path, ...],
    cc: tuple[str, ...],
    seen_all: bool,
    agent: str | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Queue a reply to the customer; it leaves with the next sync.

    In a team, the reply is written against the thread as your last `deskterm show ID` printed
    it: if someone else replied or noted, or the customer wrote, after that, the team server
    holds it (`deskterm outbox`). A ticket not shown here is refused unless --seen-all."""
    from deskterm import actions
    from deskterm.store.attachments import AttachmentError, attach_file

    shared = state(db)
    seen = seen_in_team(shared, ticket_id, seen_all)
    text = _read_body(body, editor)
    try:
        files = [attach_file(path) for path in attach]
    except AttachmentError as exc:
        fail(str(exc), 2)
    who = shared.actor(agent)
    run_action(
        lambda: actions.reply(
            shared.store(), ticket_id, text, actor=who, attachments=files, cc=cc, seen=seen
        ),
        f"reply queued on #{ticket_id}"
        + (f" with {len(files)} attachment{'s' * (len(files) > 1)}" if files else ""),
        as_json,
    )


@click.command()
@ticket_arg
@body_option
@editor_option
@as_option
@json_option
@db_option
def note(
    ticket_id: int,
    body: str | None,
    editor: bool,
    agent: str | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Add an internal note (never sent)."""
    from deskterm import actions

    shared = state(db)
    text = _read_body(body, editor)
    run_action(
        lambda: actions.note(shared.store(), ticket_id, text, actor=shared.actor(agent)),
        f"note added to #{ticket_id}",
        as_json,
    )


def _one_step(
    name: str, action: str, done: str, doc: str, value: Callable | None = None
) -> click.Command:
    """A command that runs one action on a ticket: `done` is said after, with {id} and {value}."""

    def run(
        ticket_id: int, agent: str | None, as_json: bool, db: Path | None, value: str = ""
    ) -> None:
        from deskterm import actions

        shared = state(db)
        step = getattr(actions, action)
        args = (value,) if value else ()
        run_action(
            lambda: step(shared.store(), ticket_id, *args, actor=shared.actor(agent)),
            done.format(id=ticket_id, value=value),
            as_json,
        )

    params = [ticket_arg, *([value] if value else []), as_option, json_option, db_option]
    for param in reversed(params):
        run = param(run)
    return click.command(name, help=doc)(run)


status = _one_step(
    "status",
    "set_status",
    "#{id} is now {value}",
    "Set a ticket's status (open, pending, on_hold, ...).",
    click.argument("value", metavar="STATUS", type=click.Choice([s.value for s in Status])),
)
resolve = _one_step("resolve", "resolve", "#{id} solved", "Mark a ticket solved.")
reopen = _one_step("reopen", "reopen", "#{id} reopened", "Reopen a solved ticket.")
priority = _one_step(
    "priority",
    "set_priority",
    "#{id} priority {value}",
    "Set a ticket's priority.\n\nLEVEL: low, normal, high or urgent.",
    click.argument("value", metavar="LEVEL", type=click.Choice([p.value for p in Priority])),
)


@click.command()
@ticket_arg
@click.option("--reason", required=True, help="Why it needs the next level.")
@as_option
@json_option
@db_option
def escalate(
    ticket_id: int, reason: str, agent: str | None, as_json: bool, db: Path | None
) -> None:
    """Raise a ticket to the next escalation level."""
    from deskterm import actions

    shared = state(db)
    run_action(
        lambda: actions.escalate(
            shared.store(),
            ticket_id,
            reason,
            actor=shared.actor(agent),
            levels=shared.config.escalation_levels,
        ),
        f"#{ticket_id} escalated",
        as_json,
    )


@click.command()
@ticket_arg
@click.argument("assignee")
@as_option
@json_option
@db_option
def assign(
    ticket_id: int, assignee: str, agent: str | None, as_json: bool, db: Path | None
) -> None:
    """Assign a ticket to an agent ('none' unassigns).

    ASSIGNEE: agent name, 'me', or 'none'.
    """
    from deskterm import actions

    shared = state(db)
    actor = shared.actor(agent)
    who = {"me": actor.partition(":")[2], "none": None}.get(assignee, assignee)
    run_action(
        lambda: actions.assign(shared.store(), ticket_id, who, actor=actor),
        f"#{ticket_id} assigned to {who or 'nobody'}",
        as_json,
    )


@click.command()
@ticket_arg
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove the tags instead.")
@as_option
@db_option
def tag(
    ticket_id: int, tags: tuple[str, ...], remove: bool, agent: str | None, db: Path | None
) -> None:
    """Add (or with --remove, remove) tags; each tag is one action."""
    from deskterm import actions

    shared = state(db)
    fn = actions.untag if remove else actions.tag
    for name in tags:

        def change(name: str = name) -> actions.Done:
            return fn(shared.store(), ticket_id, name, actor=shared.actor(agent))

        run_action(change, f"#{ticket_id} {'untagged' if remove else 'tagged'} {name}", False)


@click.command()
@ticket_arg
@click.argument("until")
@as_option
@json_option
@db_option
def snooze(ticket_id: int, until: str, agent: str | None, as_json: bool, db: Path | None) -> None:
    """Hide a ticket from the queue until a moment; its clocks pause meanwhile.

    UNTIL: 4h, tomorrow, monday, next week, 2026-12-01 09:00, or 'off'.
    """
    from deskterm import actions
    from deskterm.domain import local_zone, to_iso, utcnow
    from deskterm.durations import WhenError, parse_when

    shared = state(db)
    now = utcnow()
    if until == "off":
        moment = None
    else:
        try:
            moment = parse_when(until, now, local_zone())
        except WhenError as exc:
            fail(str(exc), 2)
    run_action(
        lambda: actions.snooze(
            shared.store(), ticket_id, moment, actor=shared.actor(agent), at=now
        ),
        f"#{ticket_id} snoozed until {to_iso(moment)}" if moment else f"#{ticket_id} woken",
        as_json,
    )


@click.command()
@click.argument("source", metavar="FROM", type=int)
@click.argument("target", metavar="INTO", type=int)
@as_option
@json_option
@db_option
def merge(source: int, target: int, agent: str | None, as_json: bool, db: Path | None) -> None:
    """Merge ticket FROM into ticket INTO (same customer)."""
    from deskterm import actions

    shared = state(db)
    run_action(
        lambda: actions.merge(shared.store(), source, target, actor=shared.actor(agent)),
        f"#{source} merged into #{target}",
        as_json,
    )


@click.command()
@ticket_arg
@click.argument("place", metavar="N", type=click.IntRange(min=1))
@as_option
@json_option
@db_option
def split(ticket_id: int, place: int, agent: str | None, as_json: bool, db: Path | None) -> None:
    """Move the Nth message of ticket ID (1 = the first, as `show` lists them) into a new
    ticket of its own; `undo` puts it back."""
    from deskterm import actions
    from deskterm.store import queries

    shared = state(db)
    thread = queries.messages(shared.store(create=False), ticket_id)
    if place > len(thread):
        fail(f"there is no message {place} on ticket #{ticket_id} (it has {len(thread)})", 2)
    store = shared.store()
    try:
        done = actions.split(store, thread[place - 1].id, actor=shared.actor(agent))
    except actions.ActionError as exc:
        fail(str(exc))
    new_ticket = queries.event_ticket(store, done.event_id)
    if as_json:
        print_json({"event_id": done.event_id, "ticket": new_ticket})
    else:
        echo(f"message {place} of #{ticket_id} is now ticket #{new_ticket}")


@click.command()
@as_option
@json_option
@db_option
def undo(agent: str | None, as_json: bool, db: Path | None) -> None:
    """Undo your last action (a reply only while it has not left); says what, on which ticket."""
    from dataclasses import asdict

    from deskterm import actions
    from deskterm.store import queries

    shared = state(db)
    store = shared.store()
    try:
        done = actions.undo(store, actor=shared.actor(agent))
    except actions.ActionError as exc:
        fail(str(exc))
    ticket_id, kind, data = queries.undone_event(store, done.event_id)
    said = f"undid {actions.undone_words(kind, data)} on #{ticket_id}"
    if actions.back_in_draft(kind):
        said += "; its text is back in the draft"
    if as_json:
        print_json({**asdict(done), "ticket": ticket_id, "undone": kind, "said": said})
    else:
        echo(said)
