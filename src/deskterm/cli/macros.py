"""`deskterm macro list|show|apply|undo|check`: parse, call deskterm.macros, print.

Mounted on the main command in cli.py; the shared state (settings, store) is its `ctx.obj`.
The engine (Jinja2, actions: ~120 ms) is imported inside the commands, so `deskterm --help` and
the other commands do not pay for it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from deskterm.cli.common import DbOption, JsonOption, err, fail, out
from deskterm.config import ConfigError

if TYPE_CHECKING:
    from deskterm import macros

app = typer.Typer(
    name="macro",
    help="Canned replies with placeholders and actions.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

AgentOption = Annotated[
    str | None,
    typer.Option(
        "--agent", "--as", help="Sign and act as this agent (default: [agent] name in the config)."
    ),
]
TicketOption = Annotated[int, typer.Option("--ticket", "-t", help="The ticket to act on.")]


def _state(ctx: typer.Context, db: Path | None) -> Any:
    state = ctx.obj
    if db is not None:
        state.db_path = db
    return state


def _agent(state: Any, agent: str | None) -> str:
    try:
        return agent or os.environ.get("DESKTERM_AGENT") or state.config.agent
    except ConfigError as exc:
        fail(str(exc), 2)


def _load(ctx: typer.Context, *, report: bool = True) -> macros.MacroSet:
    """Every macro, with key clashes judged against the user's own [keymap]."""
    from deskterm import macros

    try:
        loaded = macros.load_macros(reserved=macros.app_keys(ctx.obj.config))
    except ConfigError as exc:
        fail(str(exc), 2)
    for problem in loaded.problems if report else ():
        err.print(Text(str(problem), style="yellow" if not problem.error else "red"))
    return loaded


def _get(loaded: macros.MacroSet, name: str) -> macros.Macro:
    from deskterm import macros

    try:
        return loaded.get(name)
    except macros.MacroError as exc:
        fail(str(exc))


def _print_preview(result: macros.Preview) -> None:
    out.print(
        Text(f"macro {result.macro.name} on ticket #{result.ticket_id} as {result.agent}", "bold")
    )
    for step in result.steps:
        if step.kind in ("reply", "note"):
            out.print(Text(f"--- {step.kind} ---", style="dim"))
            out.print(Text(step.value))
            out.print(Text("---", style="dim"))
    out.print(Text("steps:", style="bold"))
    for number, step in enumerate(result.steps, start=1):
        style = "dim" if step.skip else ("yellow" if step.needs_confirmation else "")
        out.print(Text(f"  {number}. {step.describe()}", style=style))


@app.command("list")
def list_macros(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every macro: stock ones and your own (yours win by name)."""
    loaded = _load(ctx)
    if as_json:
        out.print_json(
            json.dumps(
                [{**m.to_dict(), "bound": loaded.keys.get(m.key or "") == m.name} for m in loaded]
            )
        )
        return
    table = Table("name", "key", "from", "description", box=None)
    for item in loaded:
        bound = item.key if item.key and loaded.keys.get(item.key) == item.name else ""
        table.add_row(Text(item.name), Text(bound), Text(item.origin), Text(item.description))
    out.print(table)


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The macro's name.")],
    ticket: Annotated[
        int | None, typer.Option("--ticket", "-t", help="Render it for this ticket.")
    ] = None,
    agent: AgentOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """A macro as written; with --ticket, also rendered for that ticket."""
    from deskterm import macros

    item = _get(_load(ctx), name)
    rendered = None
    if ticket is not None:
        state = _state(ctx, db)
        try:
            rendered = macros.preview(
                item, state.store(), ticket, _agent(state, agent), config=state.config
            )
        except macros.MacroError as exc:
            fail(str(exc))
    if as_json:
        data = item.to_dict()
        if rendered is not None:
            data["preview"] = rendered.to_dict()
        out.print_json(json.dumps(data))
        return
    out.print(Text(f"{item.name} ({item.kind}, {item.source})", style="bold"))
    for label, value in (
        ("description", item.description),
        ("key", item.key or "-"),
        ("after", item.after),
        ("channels", ", ".join(item.channels) or "any"),
    ):
        out.print(Text(f"{label}: {value}"))
    for label in ("reply", "note"):
        template = getattr(item, label)
        if template:
            out.print(Text(f"--- {label} template ---", style="dim"))
            out.print(Text(template.strip()))
    if item.steps:
        out.print(Text("--- actions ---", style="dim"))
    for action in item.to_dict()["actions"]:
        out.print(Text(f"  {json.dumps(action)}"))
    if rendered is not None:
        out.print()
        _print_preview(rendered)


@app.command("apply")
def apply_macro(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The macro's name.")],
    ticket: TicketOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what it would do; change nothing.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Confirm connector actions (refunds, ...).")
    ] = False,
    agent: AgentOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Apply a macro to a ticket: all its steps or, if one fails, none."""
    from deskterm import macros

    item = _get(_load(ctx), name)
    state = _state(ctx, db)
    store, agent_name = state.store(), _agent(state, agent)
    try:
        planned = macros.preview(item, store, ticket, agent_name, config=state.config)
    except macros.MacroError as exc:
        fail(str(exc))
    if dry_run:
        if as_json:
            out.print_json(json.dumps({**planned.to_dict(), "dry_run": True}))
        else:
            _print_preview(planned)
        return
    confirm = yes
    if planned.needs_confirmation and not yes:
        if not sys.stdin.isatty() or as_json:
            fail(
                f"macro {item.name} runs a connector action; pass --yes to confirm "
                "(nothing was changed)",
                3,
            )
        _print_preview(planned)
        confirm = typer.confirm("Run the connector actions above?", default=False)
        if not confirm:
            fail("not confirmed; nothing was changed", 3)
    try:
        done = macros.apply(item, store, ticket, agent_name, confirm=confirm, config=state.config)
    except macros.MacroError as exc:
        fail(str(exc))
    events = macros.applied_events(store, done)
    if as_json:
        out.print_json(json.dumps({**planned.to_dict(), "events": events}))
        return
    for event in events:
        line = f"event #{event['id']} {event['kind']}"
        if "outbox" in event:
            line += f", outbox #{event['outbox']['id']} {event['outbox']['status']}"
        out.print(Text(line))
    out.print(Text(f"applied {item.name} to ticket #{ticket} ({len(events)} events)"))


@app.command()
def undo(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The macro whose last application to revert.")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Revert a macro's most recent application, every step of it (a reply only if not sent)."""
    from deskterm import macros

    state = _state(ctx, db)
    try:
        done = macros.undo_macro(state.store(), name)
    except macros.MacroError as exc:
        fail(str(exc))
    events = macros.applied_events(state.store(), done)
    if as_json:
        out.print_json(json.dumps(events))
        return
    out.print(Text(f"undid {len(events)} steps of macro {name}"))


@app.command()
def check(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every template compiles, every placeholder is known, keys do not clash; exit 1 if not."""
    from deskterm import macros
    from deskterm.connector import registry

    loaded = _load(ctx, report=False)
    problems = list(loaded.problems)
    try:
        installed = set(registry())
    # A broken third-party connector must not hide the macros' own problems.
    except Exception as exc:
        problems.append(macros.Problem("connectors", f"cannot list them: {exc}", error=False))
    else:
        problems += macros.check_connectors(loaded, installed)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "macros": len(loaded),
                    "problems": [
                        {"source": p.source, "message": p.message, "error": p.error}
                        for p in problems
                    ],
                }
            )
        )
    else:
        for problem in problems:
            err.print(Text(str(problem), style="red" if problem.error else "yellow"))
        errors = sum(p.error for p in problems)
        out.print(Text(f"{len(loaded)} macros, {errors} errors, {len(problems) - errors} warnings"))
    if any(p.error for p in problems):
        raise typer.Exit(1)
