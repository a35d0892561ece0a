"""`deskterm report`: the KPIs of a period beside the previous one, as a table, JSON, CSV or a
self-contained HTML page (deskterm.metrics; the definitions are in docs/kpis.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import click

from deskterm.cli.common import db_option, echo, fail, print_json, state

if TYPE_CHECKING:
    from deskterm.metrics.figures import Period
    from deskterm.metrics.report import Report

BY = ("channel", "agent", "tag", "intent", "account")


def _moment(text: str, option: str, now: datetime, zone: tzinfo, *, end: bool) -> datetime:
    """A date alone is local midnight (the next one for --to, so the day is in); else any moment
    the durations grammar reads."""
    from deskterm.durations import WhenError, parse_when

    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        try:
            return parse_when(text, now, zone)
        except WhenError as exc:
            fail(f"{option}: {exc}", 2)
    return datetime.combine(day + timedelta(days=1 if end else 0), time(), tzinfo=zone)


def _period(
    since: str | None, start: str | None, end: str | None, now: datetime, zone: tzinfo
) -> Period:
    from deskterm.durations import DurationError, parse_duration
    from deskterm.metrics.figures import Period

    if since is not None and (start or end):
        fail("give --since or --from/--to, not both", 2)
    if start or end:
        if not start:
            fail("--to needs --from", 2)
        first = _moment(start, "--from", now, zone, end=False)
        last = _moment(end, "--to", now, zone, end=True) if end else now
        if last <= first:
            fail("--to must be later than --from", 2)
        return Period(first, last)
    try:
        length = parse_duration(since or "30d")
    except DurationError as exc:
        fail(f"--since: {exc}", 2)
    return Period(now - length, now)


@click.command()
@click.option("--since", default=None, help="The period ends now and lasts this long (30d).")
@click.option(
    "--from", "start", default=None, help="The period's first day (2026-11-01) or moment."
)
@click.option("--to", "end", default=None, help="The period's last day (included) or end moment.")
@click.option("--by", type=click.Choice(BY), default=None, help="Each figure per slice too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: a row per figure (and slice).")
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a self-contained HTML page (charts included) to this file.",
)
@click.option("--now", default=None, help="Report as of this UTC moment (2026-11-20T12:00:00Z).")
@click.option(
    "--recompute",
    is_flag=True,
    help="Compute every figure from the events, not from the KPI cache (slow; the same numbers).",
)
@db_option
def report(
    since: str | None,
    start: str | None,
    end: str | None,
    by: str | None,
    as_json: bool,
    as_csv: bool,
    html_file: Path | None,
    now: str | None,
    recompute: bool,
    db: Path | None,
) -> None:
    """First reply, resolution and handle time, one-touch and first-contact resolution, reopens,
    SLA attainment, backlog, volume, CSAT, CES and cost per resolution, beside the period before."""
    from deskterm.domain import from_iso, local_zone, utcnow
    from deskterm.metrics import report as reports
    from deskterm.metrics.settings import METRICS
    from deskterm.sla import clocks
    from deskterm.sla.settings import SLA

    if as_json and as_csv:
        fail("give --json or --csv, not both", 2)
    try:
        moment = from_iso(now) if now else utcnow()
    except ValueError:
        fail(f"--now {now!r} is not a time like 2026-11-20T12:00:00Z", 2)
    zone = local_zone()
    period = _period(since, start, end, moment, zone)
    shared = state(db)
    config = shared.config
    settings = config.get(METRICS)
    store = shared.store(create=False)
    sla = clocks.policies_for(store.conn, config.get(SLA))
    if recompute:
        facts, opened, measured = reports.collect(store, period, sla, moment)
        built = reports.build(facts, opened, period, settings.costs, zone, by, measured=measured)
    else:
        from deskterm.metrics import summed

        built = summed.build(store, period, sla, moment, settings.costs, zone, by)
    if html_file is not None:
        _write_html(html_file, built, config.shop.name)
    if as_json:
        from deskterm.metrics.render import as_json as report_json

        print_json(report_json(built))
    elif as_csv:
        from deskterm.cli.output import Format, write_records
        from deskterm.metrics.render import csv_records

        write_records(Format.CSV, csv_records(built))
    elif html_file is None:
        _print_table(built)


def _write_html(path: Path, built: Report, shop: str) -> None:
    from deskterm.metrics.html import page

    try:
        path.write_text(page(built, shop), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}", 1)
    echo(f"Report written to {path}", err=True)


def _print_table(built: Report) -> None:
    from deskterm.cli.output import Column, write_table
    from deskterm.domain import to_iso
    from deskterm.metrics.render import rows

    echo(
        f"{to_iso(built.period.start)} to {to_iso(built.period.end)}, beside"
        f" {to_iso(built.previous.start)} to {to_iso(built.previous.end)}",
        style="bold",
    )
    columns = [Column("Figure", 0), Column("This period", 12), Column("Previous", 12)]
    columns.append(Column("Change", 10))
    for group in built.groups:
        if group.dimension != "all":
            echo()
            echo(f"{group.dimension}: {group.value}", style="bold")
        write_table(
            columns,
            (
                (f.label, now, before, change)
                for f, now, before, change in rows(group, built.currency)
            ),
        )
    backlog = ", ".join(f"{status} {count}" for status, count in built.backlog.items())
    echo()
    echo(f"Backlog at the end: {backlog or 'none'}")
    echo("By age: " + ", ".join(f"{label} {count}" for label, count in built.ages.items()))
