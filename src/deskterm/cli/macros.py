"""`deskterm macro list|show|apply|undo|check`: parse, call deskterm.macros, print.

The engine (Jinja2, the actions, the SLA clocks) is imported inside the commands, so `deskterm
--help` and the other commands do not load it (tests/unit/test_import_hygiene.py checks this).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import (
    State,
    db_option,
    echo,
    fail,
    json_option,
    print_json,
    seen_all_option,
    seen_in_team,
    state,
)

if TYPE_CHECKING:
    from deskterm import macros
    from deskterm.domain import AppliedEvent


@click.group(no_args_is_help=True)
def app() -> None:
    """Canned replies with placeholders and actions."""


agent_option = click.option(
    "--agent",
    "--as",
    "agent",
    default=None,
    help="Sign and act as this agent (default: [agent] name in the config).",
)


def _agent(shared: State, agent: str | None) -> str:
    from deskterm.config import ConfigError

    try:
        return agent or os.environ.get("DESKTERM_AGENT") or shared.config.agent
    except ConfigError as exc:
        fail(str(exc), 2)


def _load(*, report: bool = True) -> macros.MacroSet:
    """Every macro, with key clashes judged against the user's own [keymap]."""
    from deskterm import macros
    from deskterm.config import ConfigError

    try:
        loaded = macros.load_macros(reserved=macros.app_keys(state().config))
    except ConfigError as exc:
        fail(str(exc), 2)
    for problem in loaded.problems if report else ():
        echo(str(problem), style="yellow" if not problem.error else "red", err=True)
    return loaded


def _get(loaded: macros.MacroSet, name: str) -> macros.Macro:
    from deskterm import macros

    try:
        return loaded.get(name)
    except macros.MacroError as exc:
        fail(str(exc))


def _print_preview(result: macros.Preview) -> None:
    echo(f"macro {result.macro.name} on ticket #{result.ticket_id} as {result.agent}", style="bold")
    for step in result.steps:
        if step.kind in ("reply", "note"):
            echo(f"--- {step.kind} ---", style="dim")
            echo(step.value)
            echo("---", style="dim")
    echo("steps:", style="bold")
    for number, step in enumerate(result.steps, start=1):
        style = "dim" if step.skip else ("yellow" if step.needs_confirmation else None)
        echo(f"  {number}. {step.describe()}", style=style)


@app.command("list")
@json_option
def list_macros(as_json: bool) -> None:
    """Every macro: stock ones and your own (yours win by name)."""
    from deskterm.cli.output import Column, write_table

    loaded = _load()
    if as_json:
        print_json(
            [{**m.to_dict(), "bound": loaded.keys.get(m.key or "") == m.name} for m in loaded]
        )
        _exit_on_broken(loaded)
        return
    items = list(loaded)
    columns = (
        Column("name", max(len(m.name) for m in items)),
        Column("key", 6),
        Column("from", max(len(m.origin) for m in items)),
        Column("description", 0),
    )
    write_table(
        columns,
        (
            (
                m.name,
                m.key if m.key and loaded.keys.get(m.key) == m.name else "",
                m.origin,
                m.description,
            )
            for m in items
        ),
    )
    _exit_on_broken(loaded)


def _exit_on_broken(loaded: macros.MacroSet) -> None:
    """A macro that failed to load (reported above) makes the listing fail for scripts and CI."""
    if any(problem.error for problem in loaded.problems):
        raise click.exceptions.Exit(1)


@app.command()
@click.argument("name")
@click.option("--ticket", "-t", type=int, default=None, help="Render it for this ticket.")
@agent_option
@json_option
@db_option
def show(name: str, ticket: int | None, agent: str | None, as_json: bool, db: Path | None) -> None:
    """A macro as written; with --ticket, also rendered for that ticket.

    NAME: the macro's name.
    """
    from deskterm import macros

    item = _get(_load(), name)
    rendered = None
    if ticket is not None:
        shared = state(db)
        try:
            rendered = macros.preview(
                item,
                shared.store(create=False),
                ticket,
                _agent(shared, agent),
                config=shared.config,
            )
        except macros.MacroError as exc:
            fail(str(exc))
    if as_json:
        data = item.to_dict()
        if rendered is not None:
            data["preview"] = rendered.to_dict()
        print_json(data)
        return
    echo(f"{item.name} ({item.kind}, {item.source})", style="bold")
    for label, value in (
        ("description", item.description),
        ("key", item.key or "-"),
        ("after", item.after),
        ("channels", ", ".join(item.channels) or "any"),
    ):
        echo(f"{label}: {value}")
    for label in ("reply", "note"):
        template = getattr(item, label)
        if template:
            echo(f"--- {label} template ---", style="dim")
            echo(template.strip())
    if item.steps:
        echo("--- actions ---", style="dim")
    for action in item.to_dict()["actions"]:
        echo(f"  {json.dumps(action)}")
    if rendered is not None:
        echo()
        _print_preview(rendered)


@app.command("apply")
@click.argument("name")
@click.option("--ticket", "-t", type=int, required=True, help="The ticket to act on.")
@click.option("--dry-run", is_flag=True, help="Show what it would do; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Confirm connector actions (refunds, ...).")
@seen_all_option
@agent_option
@json_option
@db_option
def apply_macro(
    name: str,
    ticket: int,
    dry_run: bool,
    yes: bool,
    seen_all: bool,
    agent: str | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Apply a macro to a ticket: all its steps or, if one fails, none.

    NAME: the macro's name. In a team, its reply is written against the thread as your last
    `deskterm show ID` printed it, as `deskterm reply`'s is (--seen-all: all of it).
    """
    from deskterm import macros

    item = _get(_load(), name)
    shared = state(db)
    store, agent_name = shared.store(), _agent(shared, agent)
    try:
        planned = macros.preview(item, store, ticket, agent_name, config=shared.config)
    except macros.MacroError as exc:
        fail(str(exc))
    if dry_run:
        if as_json:
            print_json({**planned.to_dict(), "dry_run": True})
        else:
            _print_preview(planned)
        return
    replies = any(s.kind == "reply" and not s.skip for s in planned.steps)
    seen = seen_in_team(shared, ticket, seen_all) if replies else None
    confirm = yes
    if planned.needs_confirmation and not yes:
        if not sys.stdin.isatty() or as_json:
            fail(
                f"macro {item.name} runs a connector action; pass --yes to confirm "
                "(nothing was changed)",
                3,
            )
        _print_preview(planned)
        confirm = click.confirm("Run the connector actions above?", default=False)
        if not confirm:
            fail("not confirmed; nothing was changed", 3)
    try:
        done = macros.apply(
            item, store, ticket, agent_name, confirm=confirm, config=shared.config, seen=seen
        )
    except macros.MacroError as exc:
        fail(str(exc))
    events = macros.applied_events(store, done)
    if as_json:
        print_json({**planned.to_dict(), "events": [_event_json(e) for e in events]})
        return
    for event in events:
        line = f"event #{event.id} {event.kind}"
        if event.outbox is not None:
            line += f", outbox #{event.outbox.id} {event.outbox.status}"
        echo(line)
    echo(f"applied {item.name} to ticket #{ticket} ({len(events)} events)")


@app.command()
@click.argument("name")
@json_option
@db_option
def undo(name: str, as_json: bool, db: Path | None) -> None:
    """Revert a macro's most recent application, every step of it (a reply only if not sent).

    NAME: the macro whose last application to revert.
    """
    from deskterm import macros

    shared = state(db)
    try:
        done = macros.undo_macro(shared.store(), name)
    except macros.MacroError as exc:
        fail(str(exc))
    events = macros.applied_events(shared.store(), done)
    if as_json:
        print_json([_event_json(e) for e in events])
        return
    echo(f"undid {len(events)} steps of macro {name}")


def _event_json(event: AppliedEvent) -> dict[str, Any]:
    """An applied event as --json prints it: with an `outbox` key only when it queued a reply."""
    found = asdict(event)
    if event.outbox is None:
        del found["outbox"]
    return found


@app.command()
@json_option
def check(as_json: bool) -> None:
    """Every template compiles, every placeholder is known, keys do not clash; exit 1 if not.

    Your macros not reviewed in 90 days are warnings (they do not fail the check)."""
    from deskterm import macros
    from deskterm.connector import registry
    from deskterm.domain import local_zone, utcnow

    loaded = _load(report=False)
    problems = list(loaded.problems)
    problems += macros.check_reviews(loaded, utcnow().astimezone(local_zone()).date())
    try:
        installed = set(registry())
    # A broken third-party connector must not hide the macros' own problems.
    except Exception as exc:
        problems.append(macros.Problem("connectors", f"cannot list them: {exc}", error=False))
    else:
        problems += macros.check_connectors(loaded, installed)
    if as_json:
        print_json(
            {
                "macros": len(loaded),
                "problems": [
                    {"source": p.source, "message": p.message, "error": p.error} for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            echo(str(problem), style="red" if problem.error else "yellow", err=True)
        errors = sum(p.error for p in problems)
        echo(f"{len(loaded)} macros, {errors} errors, {len(problems) - errors} warnings")
    if any(p.error for p in problems):
        raise click.exceptions.Exit(1)
