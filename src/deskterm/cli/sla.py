"""`deskterm sla explain|check|recompute`: parse, call deskterm.sla.clocks / sla_config, print.

Mounted on the main command in cli.py; its `ctx.obj` (when present) carries the database path and
the settings file chosen with the global --db / --config options.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from deskterm.cli.common import DbOption, JsonOption, fail, out
from deskterm.config import ConfigError
from deskterm.domain import from_iso, to_iso, utcnow
from deskterm.sla import clocks, rules
from deskterm.sla.settings import SlaSettings, load_sla
from deskterm.store import Store, StoreError, default_db_path, open_store

app = typer.Typer(
    name="sla",
    help="SLA policies and clocks: explain a ticket's deadlines, check the config, recompute.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings file (default: $DESKTERM_CONFIG)."),
]
NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Evaluate as of this UTC moment, like 2026-11-20T12:00:00Z."),
]

CLOCK_NAMES = {
    rules.FIRST_REPLY: "first reply",
    rules.NEXT_REPLY: "next reply",
    rules.RESOLUTION: "resolution",
}


def _paths(ctx: typer.Context, db: Path | None, config: Path | None) -> tuple[Path | None, ...]:
    state = ctx.obj
    return (
        db or getattr(state, "db_path", None),
        config or getattr(state, "config_path", None),
    )


def _settings(config: Path | None) -> SlaSettings:
    try:
        return load_sla(config)
    except ConfigError as exc:
        fail(str(exc), 2)


def _store(db: Path | None) -> Store:
    try:
        return open_store(db)
    except StoreError as exc:
        fail(str(exc))


def _now(text: str | None) -> datetime:
    if text is None:
        return utcnow()
    try:
        return from_iso(text)
    except ValueError:
        fail(f"--now {text!r} is not a time like 2026-11-20T12:00:00Z", 2)


def _iso(moment: datetime | None) -> str | None:
    return to_iso(moment) if moment else None


def _calendar_words(calendar: rules.Calendar) -> str:
    if calendar.always_open:
        return f"{calendar.name!r}: open 24/7"
    days = []
    for name, spans in zip(rules.WEEKDAYS, calendar.week, strict=True):
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


def _clock_json(clock: rules.Clock) -> dict[str, Any]:
    return {
        "clock": clock.kind,
        "state": clock.state,
        "target_seconds": int(clock.target.total_seconds()),
        "elapsed_seconds": int(clock.elapsed.total_seconds()),
        "started": to_iso(clock.started),
        "due": _iso(clock.due),
        "warn_at": _iso(clock.warn_at),
        "stopped": _iso(clock.stopped),
        "steps": [{"at": to_iso(s.at), "what": s.what, "why": s.why} for s in clock.steps],
    }


@app.command()
def explain(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(metavar="ID", help="The ticket to explain.")],
    as_json: JsonOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
    now: NowOption = None,
) -> None:
    """Show each SLA clock's timeline (started, paused, resumed, due, breached or met) and why."""
    db, config = _paths(ctx, db, config)
    settings = _settings(config)
    moment = _now(now)
    store = _store(db)
    try:
        ticket = store.conn.execute(
            "SELECT status, priority, channel, account FROM tickets WHERE id = ?", (ticket_id,)
        ).fetchone()
        if ticket is None:
            fail(f"there is no ticket #{ticket_id}")
        evaluation = clocks.evaluate_ticket(store.conn, ticket_id, moment, settings)
        tags = sorted(
            r[0]
            for r in store.conn.execute(
                "SELECT tag FROM ticket_tags WHERE ticket_id = ?", (ticket_id,)
            )
        )
    finally:
        store.close()
    status, priority, channel, account = ticket
    policy, summary = evaluation.policy, evaluation.summary
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ticket": ticket_id,
                    "now": to_iso(moment),
                    "status": status,
                    "priority": priority,
                    "channel": channel,
                    "account": account,
                    "tags": tags,
                    "policy": policy.name if policy else None,
                    "why": policy.why() if policy else "no policy matches this ticket",
                    "calendar": policy.calendar.name if policy else None,
                    "next_deadline": _iso(summary.deadline),
                    "warn_at": _iso(summary.warn_at),
                    "sla_state": summary.state,
                    "clocks": [_clock_json(c) for c in evaluation.clocks],
                }
            )
        )
        return
    lines = [f"Ticket #{ticket_id}: {channel} via {account}, {priority} priority, {status}"]
    if policy is None:
        lines.append("No SLA policy matches this ticket, so no clock runs.")
        out.print(Text("\n".join(lines)))
        return
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
        used = rules.format_duration(clock.elapsed, days_unit=False)
        lines.append("")
        lines.append(f"{CLOCK_NAMES[clock.kind]}: {clock.state} (target {target}, used {used})")
        moments = [_when(step.at, policy.calendar) for step in clock.steps]
        width = max(len(m) for m in moments)
        for when, step in zip(moments, clock.steps, strict=True):
            lines.append(f"  {when:<{width}}  {step.what:<9} {step.why}")
    out.print(Text("\n".join(lines)), soft_wrap=True)


@app.command()
def check(
    ctx: typer.Context,
    config: ConfigOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate the [sla] settings and list the calendars and policies in match order."""
    db, config = _paths(ctx, db, config)
    settings = _settings(config)
    source = str(settings.path) if settings.path else "shipped defaults (no config file)"
    stale = _stale(db, settings)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "ok": True,
                    "source": source,
                    "calendars": sorted(settings.calendars),
                    "policies": [p.name for p in settings.policies],
                    "recompute_needed": stale,
                }
            )
        )
        return
    lines = [f"SLA settings are valid: {source}", "Calendars:"]
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
    out.print(Text("\n".join(lines)), soft_wrap=True)


def _stale(db: Path | None, settings: SlaSettings) -> bool | None:
    """Whether the database's tickets were computed with other settings; None without a database."""
    path = db or default_db_path()
    if not path.exists():
        return None
    store = _store(path)
    try:
        clocks.use_policies(settings)
        return clocks.policies_changed(store.conn)
    finally:
        store.close()


@app.command()
def recompute(
    ctx: typer.Context,
    db: DbOption = None,
    config: ConfigOption = None,
    now: NowOption = None,
) -> None:
    """Recompute every open ticket's deadlines with the current settings (after editing them)."""
    db, config = _paths(ctx, db, config)
    settings = _settings(config)
    moment = _now(now)
    store = _store(db)
    try:
        clocks.use_policies(settings)
        count = clocks.recompute_all(store, moment)
    finally:
        store.close()
    out.print(f"recomputed {count} open tickets")
