"""A report: every figure of a period beside the previous period's, overall and by a dimension,
with the backlog at the period's end, the volume by channel, tag, hour and weekday, handle time
by agent and a day-by-day series for the charts. `build` is pure; `collect` reads the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
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
    "agent": lambda f: agents(f),
    "tag": lambda f: tuple(sorted(f.tags)) or ("untagged",),
    "intent": lambda f: (f.intent or "unknown",),
}


def agents(fact: TicketFacts) -> tuple[str, ...]:
    """The agents a ticket is in the groups of: those credited with a reply (one that ended a
    wait) or handle time on it, and its assignee; "unassigned" when there is none."""
    waits = [w for w in (fact.first_reply, *fact.next_replies) if w is not None]
    found = {w.agent for w in waits if w.agent} | {h.agent for h in fact.handling}
    if fact.assignee:
        found.add(fact.assignee)
    return tuple(sorted(found)) or ("unassigned",)


def credited(fact: TicketFacts, agent: str) -> TicketFacts:
    """The ticket as an agent's group sees it: only the waits their replies ended and their own
    handle time."""
    first = fact.first_reply if fact.first_reply and fact.first_reply.agent == agent else None
    return replace(
        fact,
        first_reply=first,
        next_replies=tuple(w for w in fact.next_replies if w.agent == agent),
        handling=tuple(h for h in fact.handling if h.agent == agent),
    )


def in_group(facts: list[TicketFacts], dimension: str, value: str) -> list[TicketFacts]:
    """The tickets of one group, as it sees them (see credited)."""
    chosen = [f for f in facts if value in DIMENSIONS[dimension](f)]
    return [credited(f, value) for f in chosen] if dimension == "agent" else chosen


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
    found = []
    for fact in facts:
        status = fact.status_at(end - timedelta(microseconds=1))
        if status is not None and status not in rules.DONE_STATUSES:
            found.append((status, fact.created))
    return tally(found, end)


def tally(
    backlog: list[tuple[str, datetime]], end: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """(status, created) of the tickets to do at `end`, counted by status and by age."""
    statuses: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    for status, created in backlog:
        statuses[status] += 1
        age = end - created
        ages[next(label for label, limit in AGES if age < limit)] += 1
    return dict(sorted(statuses.items())), {label: ages[label] for label, _ in AGES}


def volume(facts: list[TicketFacts], period: fig.Period, zone: tzinfo) -> dict[str, dict[str, int]]:
    """Tickets created in the period by channel, tag, intent, hour and weekday (local to `zone`)."""
    created = [f for f in facts if period.holds(f.created)]
    channels = Counter(f.channel for f in created)
    tags = Counter(tag for f in created for tag in f.tags)
    intents = Counter(f.intent or "unknown" for f in created)
    locals_ = [f.created.astimezone(zone) for f in created]
    return {
        "channel": most_first(channels),
        "tag": most_first(tags),
        "intent": most_first(intents),
        **clock_faces(
            Counter(moment.hour for moment in locals_),
            Counter(moment.weekday() for moment in locals_),
        ),
    }


def most_first(counts: Counter[str]) -> dict[str, int]:
    """Most first; ties by name."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def clock_faces(hours: Counter[int], weekdays: Counter[int]) -> dict[str, dict[str, int]]:
    """Tickets created by local hour ("00".."23") and weekday ("Mon".."Sun"), zeros included."""
    return {
        "hour": {f"{h:02d}": hours[h] for h in range(24)},
        "weekday": {name: weekdays[n] for n, name in enumerate(WEEKDAYS)},
    }


def local_days(period: fig.Period, zone: tzinfo) -> list[date]:
    """The local days the period touches, in order."""
    day = period.start.astimezone(zone).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(zone).date()
    found = []
    while day <= last:
        found.append(day)
        day += timedelta(days=1)
    return found


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
    result = []
    for day in local_days(period, zone):
        met = clocks.get(day, [])
        result.append(
            Day(day, created[day], median(replies.get(day, [])), ratio(sum(met), len(met)))
        )
    return tuple(result)


def _groups(
    facts: list[TicketFacts],
    period: fig.Period,
    opened: dict,
    costs: fig.Costs,
    by: str | None,
    measured: bool,
) -> tuple[Group, ...]:
    before = period.previous()

    def group(dimension: str, value: str, chosen: list[TicketFacts]) -> Group:
        return Group(
            dimension,
            value,
            fig.figures(chosen, period, opened, costs, measured),
            fig.figures(chosen, before, opened, costs, measured),
        )

    result = [group("all", "all", facts)]
    if by is not None:
        values = sorted({value for fact in facts for value in DIMENSIONS[by](fact)})
        # A monthly cost is the whole team's: a slice's cost per resolution needs the hourly rate.
        costs = slice_costs(costs)
        result += [group(by, value, in_group(facts, by, value)) for value in values]
    return tuple(result)


def slice_costs(costs: fig.Costs) -> fig.Costs:
    """What a slice's cost per resolution is computed with: the hourly rate only."""
    return fig.Costs(hourly=costs.hourly, currency=costs.currency)


def build(
    facts: list[TicketFacts],
    opened: dict,
    period: fig.Period,
    costs: fig.Costs,
    zone: tzinfo,
    by: str | None = None,
    *,
    measured: bool,
) -> Report:
    """The report of `period` (and the one before) over the tickets' facts; `measured`: the TUI
    ever recorded handle time (collect gives it)."""
    statuses, ages = backlog(facts, period.end)
    return Report(
        period=period,
        previous=period.previous(),
        zone=str(zone),
        groups=_groups(facts, period, opened, costs, by, measured),
        backlog=statuses,
        ages=ages,
        volume=volume(facts, period, zone),
        handle_by_agent=fig.handle_by_agent(facts, period),
        days=days(facts, period, zone),
        currency=costs.currency,
    )


def collect(
    store: Store, period: fig.Period, settings: SlaSettings, now: datetime
) -> tuple[list[TicketFacts], dict, bool]:
    """The facts of every ticket the period or the one before touched, who opened tickets then
    (and in the re-contact window after), and whether the TUI ever recorded handle time: for
    build()."""
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
    return facts, opened, reads.handle_measured(conn)
