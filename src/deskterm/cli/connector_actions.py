"""`deskterm action list|run TICKET`: the connector actions a ticket's order offers (Amazon buyer
messages, review requests, ...), previewed and confirmed before they run; `deskterm action
calls TICKET` and `confirm|dismiss CALL`: what rules proposed (in a team, from any replica);
`deskterm action recover`: the calls a crash left unfinished, settled with the channel."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import as_option, db_option, echo, fail, json_option, print_json, state

if TYPE_CHECKING:
    from collections.abc import Mapping

    from deskterm.cli.common import State
    from deskterm.connector_calls import Call
    from deskterm.connector_offers import Offer
    from deskterm.store import Store


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

    shared = state(db)
    offer = next((o for o in _offers(ticket, db) if o.name == name), None)
    if offer is None:
        fail(f"ticket #{ticket} offers no action {name!r}; see `deskterm action list {ticket}`")
    if not offer.available:
        fail(f"{name} is not offered for ticket #{ticket}: {offer.reason}")
    params = _params(offer, values)
    store = shared.store()
    _preview_then_ask(store, ticket, name, params, yes=yes, as_json=as_json)
    try:
        call = connector_calls.run(store, ticket, name, params, confirmed_by=shared.actor(agent))
    except connector_calls.CallError as exc:
        fail(str(exc))
    _tell(call, {"call": call.id, "status": call.status, "outcome": call.outcome}, as_json)


def _preview_then_ask(
    store: Store, ticket: int, name: str, params: Mapping[str, Any], *, yes: bool, as_json: bool
) -> None:
    """Show what the channel says the call would do, then ask (unless --yes) before it runs."""
    from deskterm import connector_calls
    from deskterm.connector import ConnectorError

    try:
        preview = connector_calls.preview(store, ticket, name, params)
    except (ConnectorError, connector_calls.CallError) as exc:
        fail(str(exc))
    if preview and not as_json:
        echo(preview)
    if not yes:
        click.confirm(f"Run {name} on ticket #{ticket}?", abort=True, err=True)


def _tell(call: Call, data: dict[str, Any], as_json: bool) -> None:
    """Say how a call ended (`data` as JSON); exit 1 unless it was done or waits its turn."""
    if as_json:
        print_json(data)
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


@app.command("calls")
@click.argument("ticket", type=int)
@json_option
@db_option
def list_calls(ticket: int, as_json: bool, db: Path | None) -> None:
    """TICKET's connector calls, oldest first; a proposed one waits for a person to confirm or
    dismiss it (`deskterm action confirm|dismiss CALL`)."""
    from deskterm import connector_calls
    from deskterm.store.queries import ticket_exists

    store = state(db).store()
    if not ticket_exists(store, ticket):
        fail(f"there is no ticket #{ticket}")
    found = connector_calls.calls(store, ticket)
    if as_json:
        print_json([_call_json(call) for call in found])
        return
    if not found:
        echo(f"ticket #{ticket} has no connector calls")
    for call in found:
        who = f"proposed by {call.proposed_by}"
        if call.confirmed_by:
            who += f", confirmed by {call.confirmed_by}"
        echo(f"#{call.id}  {call.action}  {call.status}  {who}" + _outcome(call))


def _outcome(call: Call) -> str:
    return f": {call.outcome}" if call.outcome else ""


def _call_json(call: Call) -> dict[str, Any]:
    keys = ("id", "ticket_id", "action", "params", "status", "outcome", "proposed_by")
    return {key: getattr(call, key) for key in keys} | {"confirmed_by": call.confirmed_by}


def _proposal(store: Store, call_id: int) -> Call:
    from deskterm import connector_calls

    try:
        return connector_calls.open_proposal(store, call_id)
    except connector_calls.CallError as exc:
        fail(str(exc))


def _person(shared: State, store: Store, agent: str | None) -> str:
    """Who decides: --as, else in a team the agent this replica signs in as, else the settings'."""
    from deskterm.team import calls as team_calls

    return shared.actor(agent or team_calls.agent_here(store))


@app.command("confirm")
@click.argument("call_id", metavar="CALL", type=int)
@click.option("--yes", is_flag=True, help="Run after the preview without asking.")
@as_option
@json_option
@db_option
def confirm(call_id: int, yes: bool, agent: str | None, as_json: bool, db: Path | None) -> None:
    """Run the proposed connector call CALL (as `action calls TICKET` numbers it), after the
    channel's preview. In a team, from any replica: the first agent to decide wins, and the
    others are told who did."""
    from deskterm import connector_calls

    shared = state(db)
    store = shared.store()
    call = _proposal(store, call_id)
    _preview_then_ask(store, call.ticket_id, call.action, call.params, yes=yes, as_json=as_json)
    person = _person(shared, store, agent)
    try:
        done = connector_calls.confirm_proposed(store, call_id, confirmed_by=person)
    except connector_calls.CallError as exc:
        fail(str(exc))
    _publish(store)
    _tell(done, _call_json(done), as_json)


@app.command("dismiss")
@click.argument("call_id", metavar="CALL", type=int)
@as_option
@db_option
def dismiss(call_id: int, agent: str | None, db: Path | None) -> None:
    """Drop the proposed connector call CALL without running it (in a team, from any replica;
    the first agent to decide wins)."""
    from deskterm import connector_calls

    shared = state(db)
    store = shared.store()
    _proposal(store, call_id)
    try:
        done = connector_calls.dismiss(store, call_id, actor=_person(shared, store, agent))
    except connector_calls.CallError as exc:
        fail(str(exc))
    _publish(store)
    echo(f"{done.status}: connector call #{done.id} ({done.action}) will not run")


def _publish(store: Store) -> None:
    """In a team, the decision and the outcome go to the others now (else at the next sync)."""
    from deskterm.team import calls as team_calls
    from deskterm.team.server import TeamError, db_errors, reason

    if not team_calls.in_team(store):
        return
    try:
        team_calls.publish(store)
    except (TeamError, db_errors()) as exc:
        echo(f"the team hears of it at the next sync: {reason(exc)}", style="red", err=True)
