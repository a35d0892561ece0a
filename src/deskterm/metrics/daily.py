"""Reports and the dashboard's figures for every ticket, read from the per-day totals (kpi_days):
the fast way to the figures report.build computes from the tickets' facts. Counts, sums, shares
and means are the same; medians and p90s are read from the totals' duration buckets
(metrics.buckets), within buckets.BOUND of the exact ones. A slice of the tickets (a channel, an
agent, ...) is summed per ticket instead (metrics.summed).

A period is cut into the whole local days inside it, read from kpi_days, and the moments before
the first and after the last of them, read from the spans themselves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, tzinfo

from deskterm.domain import from_iso
from deskterm.metrics import buckets, cache
from deskterm.metrics import figures as fig
from deskterm.metrics.cache import bound
from deskterm.metrics.report import (
    Day,
    Group,
    Report,
    clock_faces,
    local_days,
    most_first,
    tally,
)
from deskterm.metrics.stats import ratio
from deskterm.sla.settings import SlaSettings
from deskterm.store import Store, kpi_days
from deskterm.store import metrics as reads

# The kinds the figures read (metrics.cache says what each is).
FIGURE_KINDS = (
    "created",
    "first_reply",
    "next_reply",
    "first_solve",
    "final_solve",
    *kpi_days.SOLVE_KINDS,
    "clock",
    "rating",
    "handled",
)
VOLUME_KINDS = ("created", "created_tag", "created_intent")
CHART_KINDS = ("created", "first_reply", "clock")
DURATIONS = {
    "first_reply": "first_reply",
    "next_reply": "next_reply",
    "first_resolution": "first_solve",
    "full_resolution": "final_solve",
}


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def split(period: fig.Period, zone: tzinfo, months: bool = True) -> kpi_days.Cut:
    """The whole local months inside the period (when `months`), the other whole local days,
    and the moments before the first and after the last whole day."""
    first = period.start.astimezone(zone).date()
    if _midnight(first, zone) < period.start:
        first += timedelta(days=1)
    last = period.end.astimezone(zone).date()
    start, end = _midnight(first, zone), _midnight(last, zone)
    if start >= end:
        return kpi_days.Cut(None, [], [(bound(period.start), bound(period.end))])
    edges = [(bound(a), bound(b)) for a, b in ((period.start, start), (end, period.end)) if a < b]
    month = first if first.day == 1 else _next_month(first)
    after = last.replace(day=1)
    if not months or month >= after:
        return kpi_days.Cut(None, [(first.isoformat(), last.isoformat())], edges)
    days = [(a.isoformat(), b.isoformat()) for a, b in ((first, month), (after, last)) if a < b]
    return kpi_days.Cut((month.isoformat()[:7], after.isoformat()[:7]), days, edges)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


class Totals:
    """A period's sums: per (kind, label, column) the count and sum of each bucket."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self.found: dict[tuple[str, str, int], dict[int, tuple[int, float]]] = defaultdict(dict)
        for kind, lab, col, number, count, total in rows:
            had = self.found[(kind, lab, col)].get(number, (0, 0))
            self.found[(kind, lab, col)][number] = (had[0] + count, had[1] + total)

    def labels(self, kind: str) -> dict[str, dict[int, tuple[int, float]]]:
        return {lab: h for (k, lab, col), h in self.found.items() if k == kind and col == 0}

    def count(self, kind: str) -> int:
        return sum(n for h in self.labels(kind).values() for n, _ in h.values())

    def total(self, kind: str) -> float:
        return sum(t for h in self.labels(kind).values() for _, t in h.values())

    def histogram(self, kind: str, col: int) -> dict[int, tuple[int, float]]:
        return {b: v for b, v in self.found.get((kind, "", col), {}).items() if v[0]}


def period_totals(store: Store, period: fig.Period, zone: tzinfo) -> Totals:
    conn = store.conn
    start, end = bound(period.start), bound(period.end)
    rows = kpi_days.totals(conn, FIGURE_KINDS, split(period, zone))
    rows += kpi_days.repeats(conn, start, end) + kpi_days.reopened_after(conn, start, end)
    return Totals(rows)


def values(totals: Totals, period: fig.Period, costs: fig.Costs, measured: bool) -> dict:
    """Every figure of FIGURES for the period, as figures.figures gives them."""
    found: dict[str, float | None] = {}
    created, solved = totals.count("created"), totals.count("solve")
    found.update(
        created=created,
        solved=solved,
        resolution_rate=ratio(solved, created),
        one_touch_rate=ratio(totals.count("solve_one"), solved),
        first_contact_rate=ratio(totals.count("solve_first"), solved),
        reopen_rate=ratio(totals.count("solve_reopened"), solved),
    )
    for key, kind in DURATIONS.items():
        for suffix, col in (("", 0), ("_business", 1)):
            middle, p90 = buckets.median_p90(totals.histogram(kind, col))
            found[f"{key}{suffix}_median"], found[f"{key}{suffix}_p90"] = middle, p90
    per_solved = buckets.median_p90(totals.histogram("solve_handle", 0))
    found.update(
        handle_time_total=totals.total("handled") if measured else None,
        handle_time_median=per_solved[0] if measured else None,
        handle_time_p90=per_solved[1] if measured else None,
    )
    clocks = totals.labels("clock")
    for clock in fig.CLOCKS:
        outcomes = clocks.get(clock, {})
        ended = sum(n for n, _ in outcomes.values())
        found[f"sla_{clock}"] = ratio(outcomes.get(1, (0, 0))[0], ended)
    ratings = totals.labels("rating")
    for survey in ("csat", "ces"):
        scores = ratings.get(survey, {})
        count = sum(n for n, _ in scores.values())
        mean = sum(t for _, t in scores.values()) / count if count else None
        found[f"{survey}_mean"], found[f"{survey}_count"] = mean, count
        if survey == "csat":
            satisfied = sum(n for score, (n, _) in scores.items() if score >= fig.SATISFIED)
            found["csat"] = ratio(satisfied, count)
    fig.cost(period, costs, found)
    return {figure.key: found[figure.key] for figure in fig.FIGURES}


@contextmanager
def prepared(
    store: Store, period: fig.Period, settings: SlaSettings, now: datetime, zone: tzinfo
) -> Iterator[bool]:
    """Inside: every ticket is cached for `now`, in a write transaction (so no change slips in
    while the totals are read); yields whether any handle time was ever recorded."""
    cache.refresh(store, None, settings, now, zone)
    with store.tx():
        cache.refresh(store, None, settings, now, zone)
        yield reads.handle_measured(store.conn)


def chart_days(store: Store, period: fig.Period, zone: tzinfo) -> tuple:
    """Each local day's figures for the charts, and the tickets created by hour and weekday."""
    conn = store.conn
    cut, daily = split(period, zone), split(period, zone, months=False)
    created = {day: n for day, n, _ in kpi_days.totals(conn, ("created",), daily, ("day",))}
    hours = Counter(
        {hour: n for hour, n, _ in kpi_days.totals(conn, ("created",), cut, ("bucket",))}
    )
    clocks: dict[str, dict[int, int]] = defaultdict(dict)
    for day, met, n, _ in kpi_days.totals(conn, ("clock",), daily, ("day", "bucket")):
        clocks[day][met] = n
    replies: dict[str, dict[int, tuple[int, float]]] = defaultdict(dict)
    for day, number, n, total in kpi_days.totals(
        conn, ("first_reply",), daily, ("day", "bucket"), col=0
    ):
        replies[day][number] = (n, total)
    weekdays: Counter[int] = Counter()
    result = []
    for day in local_days(period, zone):
        text = day.isoformat()
        weekdays[day.weekday()] += created.get(text, 0)
        outcomes = clocks.get(text, {})
        median = buckets.median_p90(replies.get(text, {}))[0]
        met = ratio(outcomes.get(1, 0), sum(outcomes.values()))
        result.append(Day(day, created.get(text, 0), median, met))
    return tuple(result), clock_faces(hours, weekdays)


def volume(store: Store, period: fig.Period, zone: tzinfo) -> dict[str, dict[str, int]]:
    """Tickets created in the period by channel, tag and intent, most first (ties by name)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, lab, n, _ in kpi_days.totals(
        store.conn, VOLUME_KINDS, split(period, zone), ("kind", "lab")
    ):
        counts[kind][lab] += n
    names = (("channel", "created"), ("tag", "created_tag"), ("intent", "created_intent"))
    return {name: most_first(counts[kind]) for name, kind in names}


def build(
    store: Store,
    period: fig.Period,
    settings: SlaSettings,
    now: datetime,
    costs: fig.Costs,
    zone: tzinfo,
) -> Report:
    """The same Report as report.build over report.collect (no slices), read from the totals."""
    before = period.previous()
    with prepared(store, period, settings, now, zone) as measured:
        current = values(period_totals(store, period, zone), period, costs, measured)
        previous = values(period_totals(store, before, zone), before, costs, measured)
        backlog = [(s, from_iso(c)) for s, c in kpi_days.backlog(store.conn, bound(period.end))]
        days, faces = chart_days(store, period, zone)
        volume_ = volume(store, period, zone)
        handled = Totals(kpi_days.totals(store.conn, ("handled",), split(period, zone))).labels(
            "handled"
        )
    statuses, ages = tally(backlog, period.end)
    return Report(
        period=period,
        previous=before,
        zone=str(zone),
        groups=(Group("all", "all", current, previous),),
        backlog=statuses,
        ages=ages,
        volume={**volume_, **faces},
        handle_by_agent={
            agent: int(sum(t for _, t in h.values())) for agent, h in sorted(handled.items())
        },
        days=days,
        currency=costs.currency,
    )


def _close(fast: float | None, exact: float | None, relative: float) -> bool:
    if fast is None or exact is None:
        return fast is exact
    return abs(fast - exact) <= relative * abs(exact) + 1e-9


def differences(fast: Report, exact: Report) -> list[str]:
    """Where a report read from the totals is not the exact one (report.build): a median or p90
    of durations further than buckets.BOUND from the exact one, or any other value not equal."""
    found: list[str] = []
    timed = {f.key for f in fig.FIGURES if f.key.endswith(("_median", "_p90"))}
    if [(g.dimension, g.value) for g in fast.groups] != [
        (g.dimension, g.value) for g in exact.groups
    ]:
        found.append("groups differ")
    for mine, theirs in zip(fast.groups, exact.groups, strict=False):
        for side in ("current", "previous"):
            for key, value in getattr(mine, side).items():
                expected = getattr(theirs, side)[key]
                if not _close(value, expected, buckets.BOUND if key in timed else 0):
                    found.append(f"{mine.value} {side} {key}: {value} vs {expected}")
    for day, other in zip(fast.days, exact.days, strict=False):
        median_ok = _close(day.first_reply_median, other.first_reply_median, buckets.BOUND)
        if (day.day, day.created, day.sla_met) != (other.day, other.created, other.sla_met):
            found.append(f"day {day.day}: {day} vs {other}")
        elif not median_ok:
            found.append(f"day {day.day} first reply median: {day} vs {other}")
    for field in ("period", "previous", "zone", "backlog", "ages", "volume", "handle_by_agent"):
        if getattr(fast, field) != getattr(exact, field):
            found.append(f"{field}: {getattr(fast, field)} vs {getattr(exact, field)}")
    if len(fast.days) != len(exact.days):
        found.append("days differ in number")
    return found
