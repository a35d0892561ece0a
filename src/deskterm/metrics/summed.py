"""Reports and the dashboard's figures summed in SQL over the per-ticket cache (cache.py), the
fast way to the same numbers report.build computes from the tickets' facts in Python: the same
tickets (store.metrics.touched_ids), the same definitions (figures.py), the same Report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo

from deskterm.domain import from_iso, to_iso
from deskterm.metrics import cache, daily
from deskterm.metrics import figures as fig
from deskterm.metrics.cache import bound
from deskterm.metrics.report import Day, Group, Report, clock_faces, local_days, slice_costs, tally
from deskterm.metrics.stats import ratio
from deskterm.sla.settings import SlaSettings
from deskterm.store import Store, kpi_days, kpi_sums
from deskterm.store import metrics as reads

ALL = ("all", "all")
EMPTY: kpi_sums.Summary = (0, 0, None, None)
QUARTER = timedelta(minutes=15)


@contextmanager
def prepared(
    store: Store,
    period: fig.Period,
    settings: SlaSettings,
    now: datetime,
    zone: tzinfo,
    by: str | None,
) -> Iterator[bool]:
    """Inside: the cache is up to date for the tickets the period (and the one before) touched,
    and they are in the scope. The sums are read in a write transaction, after computing again
    what changed since the batches were written, so no change slips in while they are read.
    Yields whether any handle time was ever recorded."""
    conn = store.conn
    ids = reads.touched_ids(conn, to_iso(period.previous().start), to_iso(period.end))
    cache.refresh(store, ids, settings, now, zone)
    with store.tx():
        cache.refresh(store, ids, settings, now, zone)
        kpi_sums.scope(conn, ids, by)
        yield reads.handle_measured(conn)


class Sums:
    """Every sum of one period, per group (kpi_sums' functions, read once for all groups)."""

    def __init__(self, store: Store, period: fig.Period) -> None:
        conn = store.conn
        start, end = bound(period.start), bound(period.end)
        recontact = f"+{int(fig.RECONTACT.total_seconds())} seconds"
        self.counts = kpi_sums.counts(conn, start, end)
        self.solved = kpi_sums.solved(conn, start, end, recontact)
        self.durations = {
            "first_reply": kpi_sums.waits(conn, "first_reply", start, end),
            "next_reply": kpi_sums.waits(conn, "next_reply", start, end),
            **kpi_sums.resolutions(conn, start, end),
        }
        self.handled = kpi_sums.summaries(
            conn, kpi_sums.spans("handled", "s.value", credited=True), (start, end)
        )[0]
        self.per_solved = kpi_sums.handle_per_solved(conn, start, end)
        self.clocks = kpi_sums.labelled(conn, "clock", start, end)
        self.ratings = kpi_sums.labelled(conn, "rating", start, end)

    def values(
        self, group: kpi_sums.Group, period: fig.Period, costs: fig.Costs, handled: bool
    ) -> dict:
        """The figures of one group, as figures.figures gives them (`handled`: any handle time
        was ever recorded)."""
        values: dict[str, float | None] = {}
        created = self.counts.get(group, 0)
        solved, one, first, reopened = self.solved.get(group, (0, 0, 0, 0))
        values.update(
            created=created,
            solved=solved,
            resolution_rate=ratio(solved, created),
            one_touch_rate=ratio(one, solved),
            first_contact_rate=ratio(first, solved),
            reopen_rate=ratio(reopened, solved),
        )
        for key, columns in self.durations.items():
            for suffix, column in (("", "value"), ("_business", "business")):
                _, _, middle, p90 = columns[column].get(group, EMPTY)
                values[f"{key}{suffix}_median"] = middle
                values[f"{key}{suffix}_p90"] = p90
        per_solved = self.per_solved.get(group, EMPTY)
        values.update(
            handle_time_total=self.handled.get(group, EMPTY)[1] if handled else None,
            handle_time_median=per_solved[2] if handled else None,
            handle_time_p90=per_solved[3] if handled else None,
        )
        for clock in fig.CLOCKS:
            ended, met, _ = self.clocks.get(group, {}).get(clock, (0, 0, 0))
            values[f"sla_{clock}"] = ratio(met, ended)
        ratings = self.ratings.get(group, {})
        (csat, csat_sum, satisfied), (ces, ces_sum, _) = (
            ratings.get(survey, (0, 0, 0)) for survey in ("csat", "ces")
        )
        values.update(
            csat=ratio(satisfied, csat),
            csat_mean=csat_sum / csat if csat else None,
            csat_count=csat,
            ces_mean=ces_sum / ces if ces else None,
            ces_count=ces,
        )
        fig.cost(period, costs, values)
        return {figure.key: values[figure.key] for figure in fig.FIGURES}


def slices(period: fig.Period, zone: tzinfo) -> list[list]:
    """The period cut at UTC quarter hours (every zone's offset is a whole number of quarters),
    joined while the local day and hour stay: (start, end, local day, hour, weekday)."""
    found: list[list] = []
    cursor = period.start
    aligned = cursor.replace(minute=cursor.minute - cursor.minute % 15, second=0, microsecond=0)
    while cursor < period.end:
        following = min(aligned + QUARTER, period.end)
        local = cursor.astimezone(zone)
        key = (local.date().isoformat(), local.hour, local.weekday())
        if found and tuple(found[-1][2:]) == key:
            found[-1][1] = bound(following)
        else:
            found.append([bound(cursor), bound(following), *key])
        cursor = aligned = following
    return found


def chart_days(store: Store, period: fig.Period, zone: tzinfo, group: kpi_sums.Group) -> tuple:
    """Each local day's figures for the charts, and the tickets created by hour and weekday."""
    conn = store.conn
    kpi_sums.slices(conn, slices(period, zone))
    created: Counter[str] = Counter()
    hours: Counter[int] = Counter()
    weekdays: Counter[int] = Counter()
    for text, hour, weekday, count in kpi_sums.created_by_hour(conn, group):
        created[text] += count
        hours[hour] += count
        weekdays[weekday] += count
    replies, clocks = kpi_sums.by_day(conn, group)
    days = []
    for day in local_days(period, zone):
        text = day.isoformat()
        ended, met = clocks.get(text, (0, 0))
        days.append(Day(day, created[text], replies.get(text), ratio(met, ended)))
    return tuple(days), clock_faces(hours, weekdays)


def build(
    store: Store,
    period: fig.Period,
    settings: SlaSettings,
    now: datetime,
    costs: fig.Costs,
    zone: tzinfo,
    by: str | None = None,
) -> Report:
    """The same Report as report.build over report.collect: without `by` read from the per-day
    totals (metrics.daily), with it summed over the cache per ticket."""
    if by is None:
        return daily.build(store, period, settings, now, costs, zone)
    conn = store.conn
    before = period.previous()
    with prepared(store, period, settings, now, zone, by) as handled:
        current, previous = Sums(store, period), Sums(store, before)
        groups = [
            Group(
                "all",
                "all",
                current.values(ALL, period, costs, handled),
                previous.values(ALL, before, costs, handled),
            )
        ]
        costs = slice_costs(costs)
        groups += [
            Group(
                by,
                value,
                current.values((by, value), period, costs, handled),
                previous.values((by, value), before, costs, handled),
            )
            for value in kpi_sums.values(conn, by)
        ]
        backlog = [
            (status, from_iso(created))
            for status, created in kpi_days.backlog(conn, bound(period.end))
        ]
        days, faces = chart_days(store, period, zone, ALL)
        volume = {
            name: dict(found)
            for name, found in kpi_sums.volume(conn, bound(period.start), bound(period.end)).items()
        }
        handle = kpi_sums.handle_by_agent(conn, bound(period.start), bound(period.end), ALL)
    statuses, ages = tally(backlog, period.end)
    return Report(
        period=period,
        previous=before,
        zone=str(zone),
        groups=tuple(groups),
        backlog=statuses,
        ages=ages,
        volume={**volume, **faces},
        handle_by_agent=handle,
        days=days,
        currency=costs.currency,
    )
