"""A report: every figure of a period beside the previous period's, overall and by a dimension,
with the backlog at the period's end, the volume by channel, tag, hour and weekday, handle time
by agent and a day-by-day series for the charts. `build` is pure; `collect` reads the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from deskterm.domain import from_iso, to_iso
from deskterm.metrics import figures as fig
from deskterm.metrics.facts import TicketFacts, ticket_facts
from deskterm.metrics.stats import median, ratio
from deskterm.sla import rules
from deskterm.sla.settings import SlaSettings
from deskterm.store import Store
from deskterm.store import metrics as reads

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
AGES = (
    ("under 1 day", timedelta(days=1)),
    ("1-3 days", timedelta(days=3)),
    ("3-7 days", timedelta(days=7)),
    ("over 7 days", timedelta.max),
)
# What --by groups tickets by; a ticket with several tags is in each tag's group.
DIMENSIONS: dict[str, Callable[[TicketFacts], tuple[str, ...]]] = {
    "channel": lambda f: (f.channel,),
    "account": lambda f: (f.account,),
    "agent": lambda f: (f.assignee or "unassigned",),
    "tag": lambda f: tuple(sorted(f.tags)) or ("untagged",),
    "intent": lambda f: (f.intent or "unknown",),
}


@dataclass(frozen=True, slots=True)
class Group:
    """The figures of one slice of the tickets (`value` of `dimension`; "all" for every ticket)."""

    dimension: str
    value: str
    current: dict[str, float | None]
    previous: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Day:
    """One local day of the period, for the charts."""

    day: date
    created: int
    first_reply_median: float | None
    sla_met: float | None


@dataclass(frozen=True, slots=True)
class Report:
    period: fig.Period
    previous: fig.Period
    zone: str
    groups: tuple[Group, ...]
    backlog: dict[str, int]
    ages: dict[str, int]
    volume: dict[str, dict[str, int]]
    handle_by_agent: dict[str, int]
    days: tuple[Day, ...]
    currency: str


def backlog(facts: list[TicketFacts], end: datetime) -> tuple[dict[str, int], dict[str, int]]:
    """Tickets still to do at `end`, by status and by age (since created)."""
    statuses: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    for fact in facts:
        status = fact.status_at(end - timedelta(microseconds=1))
        if status is None or status in rules.DONE_STATUSES:
            continue
        statuses[status] += 1
        age = end - fact.created
        ages[next(label for label, limit in AGES if age < limit)] += 1
    return dict(sorted(statuses.items())), {label: ages[label] for label, _ in AGES}


def volume(facts: list[TicketFacts], period: fig.Period, zone: tzinfo) -> dict[str, dict[str, int]]:
    """Tickets created in the period by channel, tag, intent, hour and weekday (local to `zone`)."""
    created = [f for f in facts if period.holds(f.created)]
    channels = Counter(f.channel for f in created)
    tags = Counter(tag for f in created for tag in f.tags)
    intents = Counter(f.intent or "unknown" for f in created)
    locals_ = [f.created.astimezone(zone) for f in created]
    hours = Counter(moment.hour for moment in locals_)
    weekdays = Counter(moment.weekday() for moment in locals_)
    return {
        "channel": dict(channels.most_common()),
        "tag": dict(tags.most_common()),
        "intent": dict(intents.most_common()),
        "hour": {f"{h:02d}": hours[h] for h in range(24)},
        "weekday": {name: weekdays[n] for n, name in enumerate(WEEKDAYS)},
    }


def days(facts: list[TicketFacts], period: fig.Period, zone: tzinfo) -> tuple[Day, ...]:
    """Per local day: tickets created, the median first reply time, the SLA share met."""

    def local(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    created: Counter[date] = Counter(local(f.created) for f in facts if period.holds(f.created))
    replies: dict[date, list[float]] = {}
    clocks: dict[date, list[bool]] = {}
    for fact in facts:
        wait = fact.first_reply
        if wait is not None and period.holds(wait.end):
            replies.setdefault(local(wait.end), []).append(wait.calendar.total_seconds())
        for end in fact.clock_ends:
            if period.holds(end.at):
                clocks.setdefault(local(end.at), []).append(end.met)
    first, last = local(period.start), local(period.end - timedelta(microseconds=1))
    result = []
    day = first
    while day <= last:
        met = clocks.get(day, [])
        result.append(
            Day(day, created[day], median(replies.get(day, [])), ratio(sum(met), len(met)))
        )
        day += timedelta(days=1)
    return tuple(result)


def _groups(
    facts: list[TicketFacts], period: fig.Period, opened: dict, costs: fig.Costs, by: str | None
) -> tuple[Group, ...]:
    before = period.previous()

    def group(dimension: str, value: str, chosen: list[TicketFacts]) -> Group:
        return Group(
            dimension,
            value,
            fig.figures(chosen, period, opened, costs),
            fig.figures(chosen, before, opened, costs),
        )

    result = [group("all", "all", facts)]
    if by is not None:
        slices: dict[str, list[TicketFacts]] = {}
        for fact in facts:
            for value in DIMENSIONS[by](fact):
                slices.setdefault(value, []).append(fact)
        # A monthly cost is the whole team's: a slice's cost per resolution needs the hourly rate.
        costs = fig.Costs(hourly=costs.hourly, currency=costs.currency)
        result += [group(by, value, chosen) for value, chosen in sorted(slices.items())]
    return tuple(result)


def build(
    facts: list[TicketFacts],
    opened: dict,
    period: fig.Period,
    costs: fig.Costs,
    zone: tzinfo,
    by: str | None = None,
) -> Report:
    """The report of `period` (and the one before) over the tickets' facts."""
    statuses, ages = backlog(facts, period.end)
    return Report(
        period=period,
        previous=period.previous(),
        zone=str(zone),
        groups=_groups(facts, period, opened, costs, by),
        backlog=statuses,
        ages=ages,
        volume=volume(facts, period, zone),
        handle_by_agent=fig.handle_by_agent(facts, period),
        days=days(facts, period, zone),
        currency=costs.currency,
    )


def collect(
    store: Store, period: fig.Period, settings: SlaSettings, now: datetime
) -> tuple[list[TicketFacts], dict]:
    """The facts of every ticket the period or the one before touched, and who opened tickets
    then (and in the re-contact window after), for build()."""
    earliest = period.previous().start
    conn = store.conn
    ids = reads.touched_ids(conn, to_iso(earliest), to_iso(period.end))
    facts = [ticket_facts(rows, settings, now) for rows in reads.ticket_rows(conn, ids)]
    opened = fig.opened_by_customer(
        (customer, channel, from_iso(at))
        for customer, channel, at in reads.opened(
            conn, to_iso(earliest), to_iso(period.end + fig.RECONTACT)
        )
    )
    return facts, opened
