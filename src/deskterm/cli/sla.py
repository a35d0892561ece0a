"""`deskterm sla explain|check|recompute`: parse, call deskterm.sla.clocks / settings, print.

The global --db / --config options reach these commands through the shared state; each command
takes its own too.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import db_option, echo, fail, json_option, print_json, state

if TYPE_CHECKING:
    from deskterm.domain import Ticket
    from deskterm.sla import clocks, rules
    from deskterm.sla.settings import SlaSettings


@click.group(no_args_is_help=True)
def app() -> None:
    """SLA policies and clocks: explain a ticket's deadlines, check the config, recompute."""


config_option = click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=None,
    help="Settings file (default: $DESKTERM_CONFIG).",
)
now_option = click.option(
    "--now", default=None, help="Evaluate as of this UTC moment, like 2026-11-20T12:00:00Z."
)

# By rules.FIRST_REPLY, NEXT_REPLY and RESOLUTION: the SLA rules and clocks (~30 ms to import)
# are imported by the commands, not by `deskterm --help`.
CLOCK_NAMES = {
    "first_reply": "first reply",
    "next_reply": "next reply",
    "resolution": "resolution",
}


def _paths(db: Path | None, config: Path | None) -> tuple[Path, Path | None]:
    shared = state(db)
    return shared.db_path, config or shared.config_path


def _settings(config: Path | None) -> SlaSettings:
    from deskterm.config import ConfigError
    from deskterm.sla.settings import load_sla

    try:
        return load_sla(config)
    except ConfigError as exc:
        fail(str(exc), 2)


def _now(text: str | None) -> datetime:
    from deskterm.domain import from_iso, utcnow

    if text is None:
        return utcnow()
    try:
        return from_iso(text)
    except ValueError:
        fail(f"--now {text!r} is not a time like 2026-11-20T12:00:00Z", 2)


def _iso(moment: datetime | None) -> str | None:
    from deskterm.domain import to_iso

    return to_iso(moment) if moment else None


def _calendar_words(calendar: rules.Calendar) -> str:
    from deskterm.sla.rules import WEEKDAYS

    if calendar.always_open:
        return f"{calendar.name!r}: open 24/7"
    days = []
    for name, spans in zip(WEEKDAYS, calendar.week, strict=True):
        if spans:
            hours = ", ".join(
                f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans
            )
            days.append(f"{name.title()} {hours}")
    text = f"{calendar.name!r}: {calendar.timezone}; {'; '.join(days)}"
    if calendar.country:
        region = (
            f"{calendar.country}-{calendar.subdivision}"
            if calendar.subdivision
            else calendar.country
        )
        text += f"; closed on {region} public holidays"
    if calendar.holidays:
        text += f"; {len(calendar.holidays)} more closed dates"
    return text


def _when(moment: datetime, calendar: rules.Calendar) -> str:
    text = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if not calendar.always_open and calendar.timezone != "UTC":
        local = moment.astimezone(calendar.zone)
        text += f" ({local:%a %H:%M} {calendar.timezone})"
    return text


def clock_json(clock: rules.Clock) -> dict[str, Any]:
    """One clock for --json (sla explain, show)."""
    return {
        "clock": clock.kind,
        "state": clock.state,
        "target_seconds": int(clock.target.total_seconds()),
        "elapsed_seconds": int(clock.counted.total_seconds()),
        "started": _iso(clock.started),
        "due": _iso(clock.due),
        "warn_at": _iso(clock.warn_at),
        "stopped": _iso(clock.stopped),
        "steps": [{"at": _iso(s.at), "what": s.what, "why": s.why} for s in clock.steps],
    }


@app.command()
@click.argument("ticket_id", metavar="ID", type=int)
@json_option
@db_option
@config_option
@now_option
def explain(
    ticket_id: int, as_json: bool, db: Path | None, config: Path | None, now: str | None
) -> None:
    """Show each SLA clock's timeline (started, paused, resumed, due, breached or met) and why.

    ID: the ticket to explain.
    """
    from deskterm.cli.fast import existing_store
    from deskterm.sla import clocks
    from deskterm.store import queries

    db_path, config = _paths(db, config)
    settings = _settings(config)
    moment = _now(now)
    store = existing_store(db_path)
    try:
        ticket = queries.ticket(store, ticket_id)
        evaluation = clocks.evaluate_ticket(store.conn, ticket_id, moment, settings)
        if ticket is None or evaluation is None:
            fail(f"there is no ticket #{ticket_id}")
    finally:
        store.close()
    if as_json:
        print_json(_explanation(ticket_id, ticket, evaluation, moment))
    else:
        echo("\n".join(_explain_lines(ticket_id, ticket, evaluation, settings, moment)))


def _explanation(
    ticket_id: int, ticket: Ticket, evaluation: clocks.Evaluation, moment: datetime
) -> dict[str, Any]:
    """`sla explain --json`: the ticket's SLA inputs, its policy and every clock."""
    policy, summary = evaluation.policy, evaluation.summary
    return {
        "ticket": ticket_id,
        "now": _iso(moment),
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "account": ticket.account,
        "tags": list(ticket.tags),
        "policy": policy.name if policy else None,
        "why": policy.why() if policy else "no policy matches this ticket",
        "calendar": policy.calendar.name if policy else None,
        "next_deadline": _iso(summary.deadline),
        "warn_at": _iso(summary.warn_at),
        "sla_state": summary.state,
        "clocks": [clock_json(c) for c in evaluation.clocks],
    }


def _explain_lines(
    ticket_id: int,
    ticket: Ticket,
    evaluation: clocks.Evaluation,
    settings: SlaSettings,
    moment: datetime,
) -> list[str]:
    """`sla explain` for a person: why this policy, the queue's deadline, each clock's steps."""
    from deskterm.sla import rules

    lines = [
        f"Ticket #{ticket_id}: {ticket.channel} via {ticket.account}, "
        f"{ticket.priority} priority, {ticket.status}"
    ]
    policy, summary = evaluation.policy, evaluation.summary
    if policy is None:
        lines.append("No SLA policy matches this ticket, so no clock runs.")
        return lines
    skipped = [p.name for p in settings.policies[: settings.policies.index(policy)]]
    lines.append(f"Policy {policy.name!r}, because {policy.why()}.")
    if skipped:
        lines.append(f"  Checked first and not matching: {', '.join(skipped)}.")
    lines.append(f"Calendar {_calendar_words(policy.calendar)}.")
    if summary.deadline:
        lines.append(
            f"Queue: {summary.state}, next deadline {_when(summary.deadline, policy.calendar)}"
            f", {rules.countdown(summary.deadline, moment)}."
        )
    else:
        lines.append(f"Queue: {summary.state or 'no clock'}, no running deadline.")
    for clock in evaluation.clocks:
        target = rules.format_duration(clock.target, days_unit=False)
        used = rules.format_duration(clock.counted, days_unit=False)
        lines.append("")
        lines.append(f"{CLOCK_NAMES[clock.kind]}: {clock.state} (target {target}, used {used})")
        moments = [_when(step.at, policy.calendar) for step in clock.steps]
        width = max(len(m) for m in moments)
        for when, step in zip(moments, clock.steps, strict=True):
            lines.append(f"  {when:<{width}}  {step.what:<9} {step.why}")
    return lines


@app.command()
@config_option
@db_option
@json_option
def check(config: Path | None, db: Path | None, as_json: bool) -> None:
    """Validate the [sla] settings and list the calendars and policies in match order."""
    from deskterm.sla import rules

    db_path, config = _paths(db, config)
    settings = _settings(config)
    source = str(settings.path) if settings.path else "shipped defaults (no config file)"
    stale, team = _stale(db_path, settings)
    if as_json:
        print_json(
            {
                "ok": True,
                "source": source,
                "team": team,
                "calendars": sorted(settings.calendars),
                "policies": [p.name for p in settings.policies],
                "recompute_needed": stale,
            }
        )
        return
    lines = [f"SLA settings are valid: {source}"]
    if team:
        lines.append(f"In this team replica {team}")
    lines.append("Calendars:")
    lines += [f"  {_calendar_words(c)}" for c in settings.calendars.values()]
    lines.append("Policies, first match wins:")
    for policy in settings.policies:
        targets = ", ".join(
            f"{CLOCK_NAMES[kind]} {rules.format_duration(target, days_unit=False)}"
            for kind, target in (
                (rules.FIRST_REPLY, policy.first_reply),
                (rules.NEXT_REPLY, policy.next_reply),
                (rules.RESOLUTION, policy.resolution),
            )
            if target is not None
        )
        lines.append(
            f"  {policy.name}: when {policy.why()}; {targets}; calendar {policy.calendar.name!r}"
        )
    if stale:
        lines.append(
            "The open tickets were computed with other settings: run deskterm sla recompute."
        )
    echo("\n".join(lines))


def _stale(path: Path, settings: SlaSettings) -> tuple[bool | None, str | None]:
    """Whether the database's tickets were computed with other settings than those in force
    (None without a database), and in a team replica which policy is in force."""
    from deskterm.sla import clocks
    from deskterm.store import open_store
    from deskterm.team import policy

    if not path.exists():
        return None, None
    store = open_store(path)
    try:
        clocks.use_policies(settings)
        return clocks.policies_changed(store.conn), policy.describe(store, settings)
    finally:
        store.close()


@app.command()
@db_option
@config_option
@now_option
def recompute(db: Path | None, config: Path | None, now: str | None) -> None:
    """Recompute every open ticket's deadlines with the current settings (after editing them)."""
    from deskterm.sla import clocks
    from deskterm.store import open_store

    db_path, config = _paths(db, config)
    settings = _settings(config)
    moment = _now(now)
    store = open_store(db_path)
    try:
        clocks.use_policies(settings)
        count = clocks.recompute_all(store, moment)
    finally:
        store.close()
    echo(f"recomputed {count} open tickets")
