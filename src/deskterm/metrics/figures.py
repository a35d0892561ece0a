"""The KPIs of one period over a set of tickets' facts. Pure; docs/kpis.md says the same in words.

A period is [start, end). What "in the period" means for each figure:

- created: tickets created in it. solved: tickets whose first solve in the period falls in it
  (a ticket solved, reopened and solved again in one period counts once).
- resolution rate: solved ÷ created.
- first reply time: first reply waits that ended (a person replied) in the period; next reply
  time the same for next reply waits. Calendar and business time (facts.py).
- first resolution time: created → first solve, for tickets first solved in the period; full
  resolution time: created → last solve, for tickets solved in the period that are still solved
  or closed at its end.
- handle time: the seconds agents had tickets open in the TUI in the period (total, and per
  agent), and per ticket solved in the period its whole handle time (median and p90).
- one-touch resolution: of the tickets solved in the period, the share solved with exactly one
  person's reply. First-contact resolution: one-touch and no re-contact by the same customer on
  that channel within three days after the solve (a reopen, or a new ticket of theirs). A solve
  less than three days before the report's end counts with what is known so far.
- reopen rate: of the tickets solved in the period, the share reopened after that solve.
- SLA attainment per target: of the clocks whose outcome was settled in the period (met when
  stopped in time, breached at the deadline), the share met.
- CSAT: ratings (1-5) given in the period: the share of 4 and 5, and the mean. CES (1-7): mean.
- cost per resolution: the period's cost ÷ tickets solved; the cost is the configured monthly
  cost prorated to the period's length, else the hourly rate × handle time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskterm.metrics.facts import TicketFacts, Wait
from deskterm.metrics.stats import ratio, spread

RECONTACT = timedelta(days=3)
# The days of a month, on average, for prorating a monthly cost.
MONTH_DAYS = 365.2425 / 12
CLOCKS = ("first_reply", "next_reply", "resolution")
SATISFIED = 4


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Costs:
    """What support costs: per month, or per hour of handle time (the monthly cost wins)."""

    monthly: float | None = None
    hourly: float | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True)
class Figure:
    """One KPI: `kind` says how to read its value (count, seconds, share 0-1, score, money)."""

    key: str
    label: str
    kind: str


def _figures() -> tuple[Figure, ...]:
    rows = [
        Figure("created", "Tickets created", "count"),
        Figure("solved", "Tickets solved", "count"),
        Figure("resolution_rate", "Resolution rate (solved ÷ created)", "share"),
    ]
    for key, label in (
        ("first_reply", "First reply time"),
        ("next_reply", "Next reply time"),
        ("first_resolution", "First resolution time"),
        ("full_resolution", "Full resolution time"),
    ):
        for stat in ("median", "p90"):
            rows.append(Figure(f"{key}_{stat}", f"{label}, {stat}", "seconds"))
            rows.append(Figure(f"{key}_business_{stat}", f"{label}, {stat} (business)", "seconds"))
    rows += [
        Figure("handle_time_total", "Handle time, total", "seconds"),
        Figure("handle_time_median", "Handle time per solved ticket, median", "seconds"),
        Figure("handle_time_p90", "Handle time per solved ticket, p90", "seconds"),
        Figure("one_touch_rate", "One-touch resolution", "share"),
        Figure("first_contact_rate", "First-contact resolution", "share"),
        Figure("reopen_rate", "Reopen rate", "share"),
        *(
            Figure(f"sla_{clock}", f"SLA attained, {clock.replace('_', ' ')}", "share")
            for clock in CLOCKS
        ),
        Figure("csat", "CSAT (share rating 4 or 5)", "share"),
        Figure("csat_mean", "CSAT, mean of 1-5", "score"),
        Figure("csat_count", "CSAT ratings", "count"),
        Figure("ces_mean", "CES, mean of 1-7", "score"),
        Figure("ces_count", "CES ratings", "count"),
        Figure("cost_per_resolution", "Cost per resolution", "money"),
    ]
    return tuple(rows)


FIGURES = _figures()


def _waits(facts: Iterable[TicketFacts], pick: Callable[[TicketFacts], Sequence[Wait]]) -> list:
    return [w for f in facts for w in pick(f)]


def _durations(values: dict[str, float | None], key: str, calendar: list, business: list) -> None:
    for suffix, found in (("", calendar), ("_business", business)):
        summary = spread(found)
        values[f"{key}{suffix}_median"] = summary.median
        values[f"{key}{suffix}_p90"] = summary.p90


def _reply_times(facts: list[TicketFacts], period: Period, values: dict) -> None:
    for key, pick in (
        ("first_reply", lambda f: (f.first_reply,) if f.first_reply else ()),
        ("next_reply", lambda f: f.next_replies),
    ):
        ended = [w for w in _waits(facts, pick) if period.holds(w.end)]
        _durations(
            values,
            key,
            [w.calendar.total_seconds() for w in ended],
            [w.business.total_seconds() for w in ended],
        )


def _resolution_times(facts: list[TicketFacts], period: Period, values: dict) -> None:
    first = [(f, f.solves[0]) for f in facts if f.solves and period.holds(f.solves[0])]
    full = [(f, s) for f in facts if (s := still_solved(f, period.end)) and period.holds(s)]
    for key, found in (("first_resolution", first), ("full_resolution", full)):
        _durations(
            values,
            key,
            [(solve - f.created).total_seconds() for f, solve in found],
            [f.calendar.between(f.created, solve).total_seconds() for f, solve in found],
        )


def still_solved(fact: TicketFacts, end: datetime) -> datetime | None:
    """The ticket's last solve before `end` when it was not reopened before `end` since."""
    last = next((s for s in reversed(fact.solves) if s < end), None)
    if last is None or any(last < r < end for r in fact.reopens):
        return None
    return last


def recontacted(fact: TicketFacts, solve: datetime, opened: dict) -> bool:
    """The customer came back on the ticket's channel within RECONTACT of `solve`."""
    limit = solve + RECONTACT
    if any(solve < reopen <= limit for reopen in fact.reopens):
        return True
    return any(solve < at <= limit for at in opened.get((fact.customer_id, fact.channel), ()))


def _resolutions(
    facts: list[TicketFacts], period: Period, opened: dict, values: dict
) -> list[TicketFacts]:
    """Counts and rates around the tickets solved in the period; returns those tickets."""
    solved = [(f, s) for f in facts if (s := f.solved_in(period.start, period.end))]
    created = sum(1 for f in facts if period.holds(f.created))
    one_touch = [(f, s) for f, s in solved if f.replies == 1]
    values["created"] = created
    values["solved"] = len(solved)
    values["resolution_rate"] = ratio(len(solved), created)
    values["one_touch_rate"] = ratio(len(one_touch), len(solved))
    values["first_contact_rate"] = ratio(
        sum(1 for f, s in one_touch if not recontacted(f, s, opened)), len(solved)
    )
    values["reopen_rate"] = ratio(
        sum(1 for f, s in solved if any(r > s for r in f.reopens)), len(solved)
    )
    return [f for f, _ in solved]


def handle_by_agent(facts: Iterable[TicketFacts], period: Period) -> dict[str, int]:
    """Seconds each agent had tickets open in the TUI during the period."""
    totals: dict[str, int] = {}
    for fact in facts:
        for handled in fact.handling:
            if period.holds(handled.at):
                totals[handled.agent] = totals.get(handled.agent, 0) + handled.seconds
    return dict(sorted(totals.items()))


def _handling(
    facts: list[TicketFacts],
    solved: list[TicketFacts],
    period: Period,
    values: dict,
    measured: bool,
) -> None:
    """Handle time; None throughout when the TUI never measured any (`measured`: it recorded
    handle time on some ticket, whenever)."""
    if not measured:
        values.update(handle_time_total=None, handle_time_median=None, handle_time_p90=None)
        return
    values["handle_time_total"] = sum(handle_by_agent(facts, period).values())
    per_ticket = spread([sum(h.seconds for h in f.handling) for f in solved])
    values["handle_time_median"] = per_ticket.median
    values["handle_time_p90"] = per_ticket.p90


def _sla(facts: list[TicketFacts], period: Period, values: dict) -> None:
    for clock in CLOCKS:
        ends = [e for f in facts for e in f.clock_ends if e.kind == clock and period.holds(e.at)]
        values[f"sla_{clock}"] = ratio(sum(1 for e in ends if e.met), len(ends))


def _surveys(facts: list[TicketFacts], period: Period, values: dict) -> None:
    scores: dict[str, list[int]] = {"csat": [], "ces": []}
    for fact in facts:
        for rating in fact.ratings:
            if period.holds(rating.at) and rating.survey in scores:
                scores[rating.survey].append(rating.score)
    csat, ces = scores["csat"], scores["ces"]
    values["csat"] = ratio(sum(1 for s in csat if s >= SATISFIED), len(csat))
    values["csat_mean"] = spread(csat).mean
    values["csat_count"] = len(csat)
    values["ces_mean"] = spread(ces).mean
    values["ces_count"] = len(ces)


def cost(period: Period, costs: Costs, values: dict) -> None:
    solved = values["solved"]
    if costs.monthly is not None:
        days = (period.end - period.start).total_seconds() / 86400
        spent: float | None = costs.monthly * days / MONTH_DAYS
    elif costs.hourly is not None:
        spent = costs.hourly * (values["handle_time_total"] or 0) / 3600
    else:
        spent = None
    values["cost_per_resolution"] = spent / solved if spent is not None and solved else None


def opened_by_customer(opened: Iterable[tuple[int, str, datetime]]) -> dict:
    """(customer, channel) -> the moments they opened tickets, for re-contacts."""
    found: dict[tuple[int, str], list[datetime]] = {}
    for customer, channel, at in opened:
        found.setdefault((customer, channel), []).append(at)
    return found


def figures(
    facts: list[TicketFacts], period: Period, opened: dict, costs: Costs, measured: bool
) -> dict[str, float | None]:
    """Every figure of FIGURES for the period, by key; None where there is nothing to measure
    (handle time: when `measured` is false, the TUI never recorded any)."""
    values: dict[str, float | None] = {}
    solved = _resolutions(facts, period, opened, values)
    _reply_times(facts, period, values)
    _resolution_times(facts, period, values)
    _handling(facts, solved, period, values, measured)
    _sla(facts, period, values)
    _surveys(facts, period, values)
    cost(period, costs, values)
    return {figure.key: values[figure.key] for figure in FIGURES}
