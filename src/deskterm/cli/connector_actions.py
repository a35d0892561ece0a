"""`deskterm action list|run TICKET`: the connector actions a ticket's order offers (Amazon buyer
messages, review requests, ...), previewed and confirmed before they run; `deskterm action
recover`: the calls a crash left unfinished, settled with the channel."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import as_option, db_option, echo, fail, json_option, print_json, state

if TYPE_CHECKING:
    from deskterm.connector_offers import Offer


@click.group(no_args_is_help=True)
def app() -> None:
    """Connector actions on a ticket's order: run through the channel, each step in the timeline."""


def _offers(ticket: int, db: Path | None) -> list[Offer]:
    from deskterm.connector_offers import offers
    from deskterm.store.queries import ticket_exists

    store = state(db).store()
    if not ticket_exists(store, ticket):
        fail(f"there is no ticket #{ticket}")
    return offers(store, ticket)


@app.command("list")
@click.argument("ticket", type=int)
@json_option
@db_option
def list_actions(ticket: int, as_json: bool, db: Path | None) -> None:
    """What TICKET's order offers now, and why the rest is not offered (asks the channel)."""
    found = _offers(ticket, db)
    if as_json:
        print_json([{**asdict(o), "available": o.available} for o in found])
        return
    if not found:
        echo(f"ticket #{ticket} has no order of an account with connector actions")
    for offer in found:
        if offer.available:
            echo(f"{offer.name}  {offer.description}")
        else:
            echo(f"{offer.name}  not offered: {offer.reason}", style="dim")


def _params(offer: Offer, values: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = dict(offer.params)
    known = {f.key for f in offer.fields}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            fields = ", ".join(sorted(known)) or "none"
            fail(
                f"--set takes FIELD=VALUE with a field of {offer.name} ({fields}), not {item!r}", 2
            )
        params[key] = value
    for field in offer.fields:
        if field.key in params:
            continue
        if field.prompt and sys.stdin.isatty():
            params[field.key] = click.prompt(field.prompt)
        else:
            fail(f"{offer.name} needs --set {field.key}=...: {field.help}", 2)
    return params


@app.command("run")
@click.argument("ticket", type=int)
@click.argument("name")
@click.option("--set", "values", multiple=True, metavar="FIELD=VALUE", help="A field's value.")
@click.option("--yes", is_flag=True, help="Run after the preview without asking.")
@as_option
@json_option
@db_option
def run_action(
    ticket: int,
    name: str,
    values: tuple[str, ...],
    yes: bool,
    agent: str | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Run the connector action NAME (as `action list` shows it) on TICKET's order."""
    from deskterm import connector_calls
    from deskterm.connector import ConnectorError

    shared = state(db)
    offer = next((o for o in _offers(ticket, db) if o.name == name), None)
    if offer is None:
        fail(f"ticket #{ticket} offers no action {name!r}; see `deskterm action list {ticket}`")
    if not offer.available:
        fail(f"{name} is not offered for ticket #{ticket}: {offer.reason}")
    params = _params(offer, values)
    store = shared.store()
    try:
        preview = connector_calls.preview(store, ticket, name, params)
    except (ConnectorError, connector_calls.CallError) as exc:
        fail(str(exc))
    if preview and not as_json:
        echo(preview)
    if not yes:
        click.confirm(f"Run {name} on ticket #{ticket}?", abort=True, err=True)
    try:
        call = connector_calls.run(store, ticket, name, params, confirmed_by=shared.actor(agent))
    except connector_calls.CallError as exc:
        fail(str(exc))
    if as_json:
        print_json({"call": call.id, "status": call.status, "outcome": call.outcome})
    else:
        echo(f"{call.status}: {call.outcome}", style=None if call.status == "done" else "red")
    if call.status not in ("done", "queued"):
        raise click.exceptions.Exit(1)


@app.command("recover")
@json_option
@db_option
def recover(as_json: bool, db: Path | None) -> None:
    """Settle the connector calls a crash left unfinished here, and retries that fell due.

    Each is asked of the channel first (by its idempotency key, or whether it happened) before
    anything runs again; one nobody can check waits for a person (exit 1). The workstation and
    `deskterm sync --watch` do this when they start and every minute after.
    """
    from deskterm import connector_calls

    try:
        settled = connector_calls.recover(state(db).store())
    except connector_calls.CallError as exc:
        fail(str(exc))
    if as_json:
        print_json([{"call": c.id, "status": c.status, "outcome": c.outcome} for c in settled])
    elif not settled:
        echo("no connector call waits to be settled")
    for call in settled if not as_json else ():
        echo(call.summary, style=None if call.status == "done" else "red")
    if any(call.status == "uncertain" for call in settled):
        raise click.exceptions.Exit(1)
