"""What one ticket's history says for the KPIs: its waits for a reply, solves and reopens, the
time agents spent on it, its ratings and how its SLA clocks ended. Pure: rows in, facts out.

The definitions (docs/kpis.md says the same in words):

- A *customer message* is an inbound message that is not automatic and is not a survey rating;
  a *person's reply* is an outbound message that is not automatic and was not sent by a rule
  (rule auto-replies, including macros a rule applied, are left out). Notes are neither.
  These are the SLA clocks' own definitions (deskterm.sla.history.history_from_rows).
- The *first reply wait* runs from the first customer message to the first person's reply after
  it; a *next reply wait* from the first customer message after a reply to the reply after it.
  A solve does not end a wait: a customer whose ticket was solved unanswered and who wrote
  again waited from their first message until the reply.
- A *solve* is a move into solved or closed from a working status; a *reopen* a move back out.
- Business time is counted in the calendar of the SLA policy that applies to the ticket (always
  open when none does); it is wall time between the two moments, not SLA clock time (pending
  and snoozed stretches count, as the customer waited through them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskterm.domain import from_iso
from deskterm.sla import rules
from deskterm.sla.history import history_from_rows
from deskterm.sla.settings import SlaSettings
from deskterm.store.metrics import TicketRows

ALWAYS_OPEN = rules.Calendar("24/7", always_open=True)
HANDLED = "handled"
RATING = "rating"


@dataclass(frozen=True, slots=True)
class Wait:
    """A customer waiting for a person's reply: from `start` to the reply at `end`, which
    `agent` sent (None when no event names who did)."""

    start: datetime
    end: datetime
    business: timedelta
    agent: str | None = None

    @property
    def calendar(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Handling:
    """Time an agent had the ticket open in the TUI (`seconds`), part of it in the composer."""

    at: datetime
    agent: str
    seconds: int
    composing: int


@dataclass(frozen=True, slots=True)
class Rating:
    """A survey answer: `survey` is "csat" (1-5) or "ces" (1-7)."""

    at: datetime
    survey: str
    score: int


@dataclass(frozen=True, slots=True)
class ClockEnd:
    """How an SLA clock ended: met (at its stop) or breached (at its deadline)."""

    kind: str
    met: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class TicketFacts:
    id: int
    customer_id: int
    channel: str
    account: str
    assignee: str | None
    # What the customer wants, as triage read it (deskterm.triage); None when it could not tell.
    intent: str | None
    tags: frozenset[str]
    created: datetime
    calendar: rules.Calendar
    history: rules.History
    first_reply: Wait | None
    next_replies: tuple[Wait, ...]
    replies: int
    solves: tuple[datetime, ...]
    reopens: tuple[datetime, ...]
    handling: tuple[Handling, ...]
    ratings: tuple[Rating, ...]
    clock_ends: tuple[ClockEnd, ...]
    # The moments between which (exclusive) `clock_ends` would be the same for any `now`; None:
    # unbounded (a ticket no SLA policy applies to has no clocks at any moment).
    steady: tuple[datetime | None, datetime | None] = (None, None)

    def status_at(self, moment: datetime) -> str | None:
        """The ticket's status at `moment`; None before it was created."""
        if moment < self.created:
            return None
        status = "new"
        for at, after in self.history.statuses:
            if at > moment:
                break
            status = after
        return status

    def solved_in(self, start: datetime, end: datetime) -> datetime | None:
        """The first solve in [start, end), if any."""
        return next((s for s in self.solves if start <= s < end), None)


def waits(
    history: rules.History, calendar: rules.Calendar, repliers: dict[datetime, str] | None = None
) -> list[Wait]:
    """The first reply wait, then each next reply wait, in order (see the module's definitions);
    `repliers` names the agent of the reply at each moment."""
    repliers = repliers or {}
    found: list[Wait] = []
    replies = history.agent_replies
    customers = history.customer_messages
    cursor: datetime | None = None
    while True:
        start = next((c for c in customers if cursor is None or c > cursor), None)
        if start is None:
            return found
        reply = next((r for r in replies if r >= start), None)
        if reply is None:
            return found
        found.append(Wait(start, reply, calendar.between(start, reply), repliers.get(reply)))
        cursor = reply


def _moves(history: rules.History) -> tuple[list[datetime], list[datetime]]:
    """(solves, reopens): moves into solved or closed, and moves back out."""
    solves, reopens, previous = [], [], "new"
    for at, status in history.statuses:
        done_before = previous in rules.DONE_STATUSES
        done_now = status in rules.DONE_STATUSES
        if done_now and not done_before:
            solves.append(at)
        elif done_before and not done_now:
            reopens.append(at)
        previous = status
    return solves, reopens


def replier(actor: str, data: dict) -> str | None:
    """The agent a reply is credited to: the agent who sent it, or who applied the macro that
    did (the macro's events name them); None for a rule's reply."""
    kind, _, name = actor.partition(":")
    if kind == "agent":
        return name
    return data.get("agent") if kind == "macro" else None


def _repliers(messages: Iterable[Sequence], events: Iterable[Sequence]) -> dict[datetime, str]:
    """The agent of each reply, by the moment its message counts from (as the SLA history)."""
    sent = {row[1]: min(row[4], row[5]) for row in messages if row[2] == "out"}
    found: dict[datetime, str] = {}
    for _tid, _id, _at, actor, kind, data, undone_by in events:
        if kind != "reply" or undone_by is not None:
            continue
        values = json.loads(data)
        agent = replier(actor, values)
        moment = sent.get(values.get("message"))
        if agent is not None and moment is not None:
            found.setdefault(from_iso(moment), agent)
    return found


def _records(events: Iterable[Sequence]) -> tuple[list[Handling], list[Rating]]:
    handling, ratings = [], []
    for _tid, _id, at, actor, kind, data, undone_by in events:
        if undone_by is not None:
            continue
        if kind == HANDLED:
            values = json.loads(data)
            handling.append(
                Handling(
                    from_iso(at),
                    actor.partition(":")[2],
                    int(values["seconds"]),
                    int(values.get("composing", 0)),
                )
            )
        elif kind == RATING:
            values = json.loads(data)
            ratings.append(Rating(from_iso(at), values["survey"], int(values["score"])))
    return handling, ratings


def _clock_ends(clock_list: list[rules.Clock]) -> list[ClockEnd]:
    ends = []
    for clock in clock_list:
        if clock.state == rules.MET and clock.stopped is not None:
            ends.append(ClockEnd(clock.kind, True, clock.stopped))
        elif clock.state == rules.BREACHED and clock.due is not None:
            ends.append(ClockEnd(clock.kind, False, clock.due))
    return ends


def _steady(
    history: rules.History, clock_list: list[rules.Clock], now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The moments around `now` between which the clocks end as they do at `now`: the history's
    moments (a clock counts only what happened up to `now`), and each counting clock's deadline
    (it is breached once `now` is past it)."""
    moments = [
        history.created,
        *history.customer_messages,
        *history.agent_replies,
        *(at for at, _ in history.statuses),
        *(m for at, until in history.snoozes for m in (at, until) if m is not None),
    ]
    dues = [c.due for c in clock_list if c.counting and c.due is not None]
    before = [m for m in moments if m <= now] + [d for d in dues if d < now]
    after = [m for m in moments if m > now] + [d for d in dues if d >= now]
    return max(before, default=None), min(after, default=None)


def ticket_facts(rows: TicketRows, settings: SlaSettings, now: datetime) -> TicketFacts:
    """Facts of one ticket from its rows (deskterm.store.metrics), as of `now`."""
    ticket, tags, messages, events = rows.ticket, rows.tags, rows.messages, rows.events
    ticket_id, _, priority, channel, account = ticket[:5]
    history = history_from_rows(ticket, messages, events)
    policy = rules.choose_policy(settings.policies, channel, priority, tags, account)
    calendar = policy.calendar if policy else ALWAYS_OPEN
    found = waits(history, calendar, _repliers(messages, events))
    solves, reopens = _moves(history)
    handling, ratings = _records(events)
    clock_list = (
        rules.compute_clocks(history, policy, priority, now, explain=False) if policy else []
    )
    return TicketFacts(
        id=ticket_id,
        customer_id=ticket[8],
        channel=channel,
        account=account,
        assignee=ticket[9],
        intent=ticket[10],
        tags=tags,
        created=history.created,
        calendar=calendar,
        history=history,
        first_reply=found[0] if found else None,
        next_replies=tuple(found[1:]),
        replies=len(history.agent_replies),
        solves=tuple(solves),
        reopens=tuple(reopens),
        handling=tuple(handling),
        ratings=tuple(ratings),
        clock_ends=tuple(_clock_ends(clock_list)),
        steady=_steady(history, clock_list, now) if policy else (None, None),
    )
