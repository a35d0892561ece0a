"""`deskterm rules list|check|test|explain|run`: see which rules exist, why they fire or not.

The rules engine (deskterm.automation, the SLA calendars) is imported by the commands, not by
`deskterm --help`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import db_option, echo, fail, json_option, print_json, state

if TYPE_CHECKING:
    from deskterm.automation import RuleSet
    from deskterm.automation.conditions import Verdict


@click.group(no_args_is_help=True)
def app() -> None:
    """Automation rules: list and check them, dry-run one, explain a ticket, run the time pass."""


folder_option = click.option(
    "--rules",
    "folder",
    type=click.Path(path_type=Path),
    default=None,
    help="Rules folder (default: $DESKTERM_RULES or the config folder's rules/).",
)
stock_option = click.option(
    "--stock", is_flag=True, help="Include the stock example rules (yours win by name)."
)


def _rules(folder: Path | None, stock: bool) -> RuleSet:
    from deskterm.automation import load_rules

    return load_rules(folder, stock=stock)


def _engine(db: Path | None, rules: RuleSet, *, create: bool = False) -> Any:
    """The rules' engine over the store; only `create` (a run that acts) makes a new database."""
    from deskterm.automation import Engine

    shared = state(db)
    return Engine(shared.store(create=create), rules)


@app.command("list")
@folder_option
@stock_option
@json_option
def list_rules(folder: Path | None, stock: bool, as_json: bool) -> None:
    """Every loaded rule in the order it runs, with what starts it; problems after."""
    rules = _rules(folder, stock)
    if as_json:
        print_json(
            {"rules": [r.to_dict() for r in rules], "problems": [str(p) for p in rules.problems]}
        )
        return
    if not len(rules):
        echo("no rules (add TOML files to the rules folder, or see --stock)")
    for rule in rules:
        echo(f"{rule.order:>4}  {rule.name:<24} {', '.join(rule.when):<32} {rule.description}")
    for problem in rules.problems:
        echo(str(problem), style="yellow", err=True)


@app.command()
@folder_option
@stock_option
def check(folder: Path | None, stock: bool) -> None:
    """Load every rule and report what is wrong: files, unknown calendars and macros."""
    from deskterm import macros
    from deskterm.sla import clocks

    rules = _rules(folder, stock)
    problems = [str(p) for p in rules.problems]
    calendars = clocks.current_policies().calendars
    known_macros = macros.load_macros(reserved=set()).macros
    for rule in rules:
        if rule.calendar not in calendars:
            problems.append(f"error: {rule.source}: unknown calendar {rule.calendar!r}")
        for action in rule.then:
            if action.kind == "macro" and action.value not in known_macros:
                problems.append(f"error: {rule.source}: unknown macro {action.value!r}")
    for line in problems:
        echo(line, style="red" if line.startswith("error") else "yellow")
    errors = sum(line.startswith("error") for line in problems)
    echo(f"{len(rules)} rules loaded, {errors} errors")
    if errors:
        raise click.exceptions.Exit(1)


def _verdict_lines(verdict: Verdict) -> list[str]:
    return [f"    {c.describe()}" for c in verdict.checks] or ["    (no conditions)"]


def _ticket_ids_since(db: Path | None, since: str, now: datetime) -> list[int]:
    from deskterm.durations import DurationError, parse_duration
    from deskterm.store import automation as reads

    try:
        start = now - parse_duration(since)
    except DurationError as exc:
        fail(f"--since: {exc}", 2)
    return reads.created_since(state(db).store(create=False).conn, start)


@app.command()
@click.argument("name")
@click.option("--ticket", "ticket_id", type=int, default=None, help="Dry-run on this ticket.")
@click.option("--since", default=None, help="Dry-run on tickets created this long ago, like 30d.")
@folder_option
@stock_option
@json_option
@db_option
def test(
    name: str,
    ticket_id: int | None,
    since: str | None,
    folder: Path | None,
    stock: bool,
    as_json: bool,
    db: Path | None,
) -> None:
    """Dry-run rule NAME: whether it matches, and each condition's value; nothing changes."""
    from deskterm.automation import RuleError, RuleSet
    from deskterm.domain import utcnow

    if (ticket_id is None) == (since is None):
        fail("give --ticket N or --since DURATION", 2)
    rules = _rules(folder, stock)
    try:
        rule = rules.get(name)
    except RuleError as exc:
        fail(str(exc))
    now = utcnow()
    ids = [ticket_id] if ticket_id is not None else _ticket_ids_since(db, since or "", now)
    engine = _engine(db, RuleSet({rule.name: rule}))
    results = []
    for tid in ids:
        try:
            _, verdict, note = engine.explain(tid, now)[0]
        except RuleError as exc:
            fail(str(exc))
        results.append((tid, verdict, note))
    _print_tests(results, as_json, ticket_id is None)


def _print_tests(results: list, as_json: bool, only_matches: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "ticket": tid,
                    "matched": v.matched,
                    "note": note,
                    "checks": [c.describe() for c in v.checks],
                }
                for tid, v, note in results
            ]
        )
        return
    matched = [r for r in results if r[1].matched]
    for tid, verdict, note in matched if only_matches else results:
        echo(f"#{tid}: {'matches' if verdict.matched else 'does not match'} {note}".rstrip())
        for line in _verdict_lines(verdict):
            echo(line)
    echo(f"{len(matched)} of {len(results)} tickets match")


@app.command()
@click.argument("ticket_id", metavar="ID", type=int)
@folder_option
@stock_option
@json_option
@db_option
def explain(
    ticket_id: int, folder: Path | None, stock: bool, as_json: bool, db: Path | None
) -> None:
    """Why each rule did or did not fire on ticket ID, and what the rules did to it."""
    from deskterm.automation import RuleError
    from deskterm.domain import utcnow
    from deskterm.store import automation as reads

    engine = _engine(db, _rules(folder, stock))
    try:
        verdicts = engine.explain(ticket_id, utcnow())
    except RuleError as exc:
        fail(str(exc))
    done = reads.rule_events(engine.store.conn, ticket_id)
    if as_json:
        print_json(
            {
                "rules": [
                    {
                        "rule": r.name,
                        "when": list(r.when),
                        "matches": v.matched,
                        "note": note,
                        "checks": [c.describe() for c in v.checks],
                    }
                    for r, v, note in verdicts
                ],
                "events": [{"id": i, "at": at, "actor": a, "kind": k} for i, at, a, k in done],
            }
        )
        return
    for rule, verdict, note in verdicts:
        state_words = "matches now" if verdict.matched else "does not match now"
        echo(f"{rule.name} ({', '.join(rule.when)}): {state_words}; {note}".rstrip("; "))
        for line in _verdict_lines(verdict):
            echo(line)
    echo("events caused by rules:" if done else "no rule has acted on this ticket")
    for event_id, at, actor, kind in done:
        echo(f"  {at}  {actor:<24} {kind} (event {event_id})")


@app.command()
@folder_option
@stock_option
@json_option
@db_option
def run(folder: Path | None, stock: bool, as_json: bool, db: Path | None) -> None:
    """Run the time rules once now, as sync --watch does on its schedule."""
    from deskterm.domain import utcnow

    engine = _engine(db, _rules(folder, stock), create=True)
    fired = engine.on_schedule(utcnow())
    if as_json:
        print_json([{"rule": f.rule, "ticket": f.ticket_id} for f in fired])
        return
    for item in fired:
        echo(f"{item.rule} fired on #{item.ticket_id}")
    echo(f"{len(fired)} firings")
