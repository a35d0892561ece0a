"""`deskterm bulk resolve|status|tag|assign|priority|snooze|macro QUERY …`: one change to every
ticket a search finds, each through deskterm.actions, all of it one step for `deskterm undo`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import (
    State,
    as_option,
    db_option,
    echo,
    fail,
    json_option,
    print_json,
    state,
)
from deskterm.domain import Priority, Status

if TYPE_CHECKING:
    from deskterm import macros
    from deskterm.store import Store

Change = Callable[["Store", int], object]


@click.group(no_args_is_help=True)
def app() -> None:
    """Change every ticket a search finds; `deskterm undo` takes the whole change back.

    QUERY is the search language of `deskterm list` ('tag:wismo is:active', 'id:12,14').
    """


def _common(command: Callable) -> Callable:
    """QUERY first, then the options every bulk command takes."""
    for option in reversed(
        [
            click.option("--yes", "-y", is_flag=True, help="Do it without asking."),
            click.option("--dry-run", is_flag=True, help="List the tickets; change nothing."),
            as_option,
            json_option,
            db_option,
        ]
    ):
        command = option(command)
    return command


def _matching(shared: State, query: str, agent: str | None) -> list[int]:
    from deskterm.domain import utcnow
    from deskterm.store import queries
    from deskterm.store.filters import FilterError, parse

    try:
        flt = parse(query, me=shared.actor(agent).partition(":")[2], active_only=False)
    except FilterError as exc:
        fail(str(exc), 2)
    ids = queries.matching_ids(shared.store(create=False), flt, utcnow())
    if not ids:
        fail(f"no ticket matches {query!r}; nothing was changed")
    return ids


def _confirm(question: str, yes: bool, as_json: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty() or as_json:
        fail(f"{question} Pass --yes to confirm (nothing was changed)", 3)
    if not click.confirm(question, default=False):
        fail("not confirmed; nothing was changed", 3)


def _run(
    shared: State,
    ids: list[int],
    said: tuple[str, str],
    change: Change,
    as_json: bool,
    refusals: tuple[type[Exception], ...] = (),
) -> None:
    """Change each ticket, say what was done and skipped; exit 1 when nothing was changed."""
    from deskterm.actions import ActionError, bulk

    result = bulk.run(shared.store(), ids, change, refusals=(ActionError, *refusals))
    if as_json:
        skipped = [{"ticket": t, "reason": why} for t, why in result.skipped]
        print_json({"batch": result.batch, "changed": result.changed, "skipped": skipped})
    else:
        echo(result.summary(*said), style=None if result.changed else "red")
    if not result.changed:
        sys.exit(1)


def _bulk(
    query: str,
    said: tuple[str, str, str],
    make: Callable[[str], Change],
    opts: dict[str, Any],
) -> None:
    """The steps every bulk command shares: find, list or confirm, change. `said` is what is
    done (imperative, past, what: "tag", "Tagged", " with wismo"); `make` gets the actor and
    returns the change for one ticket."""
    doing, verb, what = said
    shared = state(opts["db"])
    ids = _matching(shared, query, opts["agent"])
    if opts["dry_run"]:
        if opts["as_json"]:
            print_json({"tickets": ids, "dry_run": True})
        else:
            echo(f"would {doing}{what}: " + " ".join(f"#{t}" for t in ids))
        return
    _confirm(f"{len(ids)} tickets match; {doing} all of them{what}?", opts["yes"], opts["as_json"])
    _run(shared, ids, (verb, what), make(shared.actor(opts["agent"])), opts["as_json"])


@app.command()
@click.argument("query")
@_common
def resolve(query: str, **opts: Any) -> None:
    """Mark every ticket QUERY finds solved."""
    from deskterm import actions

    def make(actor: str) -> Change:
        return lambda s, t: actions.resolve(s, t, actor=actor)

    _bulk(query, ("resolve", "Resolved", ""), make, opts)


@app.command()
@click.argument("query")
@click.argument("value", metavar="STATUS", type=click.Choice([s.value for s in Status]))
@_common
def status(query: str, value: str, **opts: Any) -> None:
    """Set the status of every ticket QUERY finds."""
    from deskterm import actions

    def make(actor: str) -> Change:
        return lambda s, t: actions.set_status(s, t, value, actor=actor)

    _bulk(query, ("set", "Set", f" to {value}"), make, opts)


@app.command()
@click.argument("query")
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove the tags instead.")
@_common
def tag(query: str, tags: tuple[str, ...], remove: bool, **opts: Any) -> None:
    """Tag (or with --remove, untag) every ticket QUERY finds."""
    from deskterm import actions

    words = [f"-{name}" if remove else name for name in tags]

    def make(actor: str) -> Change:
        return lambda s, t: actions.bulk.change_tags(s, t, words=words, actor=actor)

    said = ("untag", "Untagged", " from ") if remove else ("tag", "Tagged", " with ")
    _bulk(query, (said[0], said[1], said[2] + " ".join(tags)), make, opts)


@app.command()
@click.argument("query")
@click.argument("assignee")
@_common
def assign(query: str, assignee: str, **opts: Any) -> None:
    """Assign every ticket QUERY finds ('me', a name, or 'none')."""
    from deskterm import actions

    def make(actor: str) -> Change:
        who = {"me": actor.partition(":")[2], "none": None}.get(assignee, assignee)
        return lambda s, t: actions.assign(s, t, who, actor=actor)

    _bulk(query, ("assign", "Assigned", f" to {assignee}"), make, opts)


@app.command()
@click.argument("query")
@click.argument("value", metavar="LEVEL", type=click.Choice([p.value for p in Priority]))
@_common
def priority(query: str, value: str, **opts: Any) -> None:
    """Set the priority of every ticket QUERY finds."""
    from deskterm import actions

    def make(actor: str) -> Change:
        return lambda s, t: actions.set_priority(s, t, value, actor=actor)

    _bulk(query, ("set", "Set", f" to {value} priority"), make, opts)


@app.command()
@click.argument("query")
@click.argument("until")
@_common
def snooze(query: str, until: str, **opts: Any) -> None:
    """Snooze every ticket QUERY finds until a moment (4h, tomorrow, 2026-12-01 09:00)."""
    from deskterm import actions
    from deskterm.domain import local_zone, utcnow
    from deskterm.durations import WhenError, parse_when

    try:
        moment = parse_when(until, utcnow(), local_zone())
    except WhenError as exc:
        fail(str(exc), 2)

    def make(actor: str) -> Change:
        return lambda s, t: actions.snooze(s, t, moment, actor=actor)

    _bulk(query, ("snooze", "Snoozed", f" until {until}"), make, opts)


@app.command()
@click.argument("query")
@click.argument("name")
@_common
def macro(query: str, name: str, **opts: Any) -> None:
    """Apply macro NAME to every ticket QUERY finds, each ticket all of its steps or none.

    A macro that replies or runs a connector action is shown on the first ticket and needs your
    yes (or --yes) before it runs on any.
    """
    from deskterm import macros
    from deskterm.cli.macros import _agent, _get, _load, _print_preview

    item = _get(_load(), name)
    shared = state(opts["db"])
    agent_name = _agent(shared, opts["agent"])
    ids = _matching(shared, query, opts["agent"])
    planned = _first_preview(item, shared, ids, agent_name)
    if opts["dry_run"] or not opts["yes"]:
        if not opts["as_json"]:
            _print_preview(planned)
        if opts["dry_run"]:
            if opts["as_json"]:
                print_json({**planned.to_dict(), "tickets": ids, "dry_run": True})
            return
    _confirm(
        f"{len(ids)} tickets match; apply {item.name} to all of them?", opts["yes"], opts["as_json"]
    )
    config = shared.config

    def change(store: Store, ticket_id: int) -> object:
        return macros.apply(item, store, ticket_id, agent_name, confirm=True, config=config)

    said = (f"Applied {item.name} to", "")
    _run(shared, ids, said, change, opts["as_json"], (macros.MacroError,))


def _first_preview(item: macros.Macro, shared: State, ids: list[int], agent: str) -> macros.Preview:
    """The macro rendered on the first ticket it fits (the others may be refused, and skipped)."""
    from deskterm import macros

    reasons = []
    for ticket_id in ids:
        try:
            return macros.preview(item, shared.store(), ticket_id, agent, config=shared.config)
        except macros.MacroError as exc:
            reasons.append(str(exc))
    fail(f"{reasons[0]}; it fits none of the {len(ids)} tickets, nothing was changed")
