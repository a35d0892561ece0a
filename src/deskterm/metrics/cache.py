"""The per-ticket cache the reports and the dashboard sum over (tables kpi_tickets, kpi_spans).

A ticket's facts (facts.py: its SLA history, business hours, clocks) are computed in Python once
and stored as rows; the store's triggers drop them when the ticket changes, and `refresh` computes
again only those, and those whose SLA clock outcomes may differ at the report's `now`.

The rows of kpi_spans, by kind (`at` is the moment each counts at; value, business, label):

- first_reply, next_reply: a wait, at the reply that ended it; calendar and business seconds,
  the agent credited with the reply.
- solve: at the solve; calendar and business seconds since the ticket was created, the first
  reopen after it.
- reopen: at the reopen. status: each status change in order; label the status.
- clock: an SLA clock's end (facts.ClockEnd); value 1 met, 0 breached; label the clock's kind.
- handled: handle time recorded; the seconds, label the agent.
- rating: a survey answer; the score, label the survey (csat, ces).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from deskterm.domain import to_iso
from deskterm.metrics.facts import TicketFacts, ticket_facts
from deskterm.sla import rules
from deskterm.sla.settings import SlaSettings
from deskterm.store import Store, kpi_cache
from deskterm.store import metrics as reads

# Changes whenever what the rows hold changes, so that rows of an older form are computed again.
FORM = "2"
# Tickets computed per write transaction: writers wait for one batch at most.
BATCH = 500


def fingerprint(settings: SlaSettings) -> str:
    return f"{FORM}:{settings.fingerprint}"


def ceil_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def _after(solve: datetime, fact: TicketFacts) -> str | None:
    """The first reopen after a solve, as store text; None when it was not reopened."""
    reopen = next((r for r in fact.reopens if r > solve), None)
    return to_iso(reopen) if reopen is not None else None


def rows(fact: TicketFacts) -> tuple[tuple, list[tuple]]:
    """The ticket's kpi_tickets row and its kpi_spans rows (kpi_cache's columns)."""
    spans: list[tuple] = []

    def add(kind: str, items: Sequence[tuple]) -> None:
        for seq, (at, value, business, label) in enumerate(items):
            spans.append((fact.id, kind, seq, to_iso(at), value, business, label))

    waits = ((fact.first_reply,) if fact.first_reply else ()), fact.next_replies
    for kind, found in zip(("first_reply", "next_reply"), waits, strict=True):
        add(
            kind,
            [
                (w.end, w.calendar.total_seconds(), w.business.total_seconds(), w.agent)
                for w in found
            ],
        )
    created = fact.created
    between = fact.calendar.between
    add(
        "solve",
        [
            (s, (s - created).total_seconds(), between(created, s).total_seconds(), _after(s, fact))
            for s in fact.solves
        ],
    )
    add("reopen", [(r, None, None, None) for r in fact.reopens])
    add("status", [(at, None, None, status) for at, status in fact.history.statuses])
    add("clock", [(e.at, 1 if e.met else 0, None, e.kind) for e in fact.clock_ends])
    add("handled", [(h.at, h.seconds, None, h.agent) for h in fact.handling])
    add("rating", [(r.at, r.score, None, r.survey) for r in fact.ratings])
    statuses = fact.history.statuses
    done = statuses and statuses[-1][1] in rules.DONE_STATUSES
    since, until = fact.steady
    ticket = (
        fact.id,
        to_iso(created),
        fact.replies,
        len(fact.handling),
        to_iso(statuses[-1][0]) if done else None,
        to_iso(ceil_second(since)) if since is not None else "",
        to_iso(until) if until is not None else None,
    )
    return ticket, spans


def _batches(items: list[int]) -> Iterator[list[int]]:
    for first in range(0, len(items), BATCH):
        yield items[first : first + BATCH]


def refresh(store: Store, ids: list[int], settings: SlaSettings, now: datetime) -> int:
    """Bring the cached rows of `ids` up to date for a report as of `now`; returns how many
    tickets were computed. A batch is read and computed outside any transaction (writers are not
    held up), then read again inside one: a ticket whose rows changed meanwhile is left for the
    next report, the others are written."""
    with store.tx() as conn:
        kpi_cache.keep_if_computed_with(conn, fingerprint(settings))
    conn = store.conn
    todo = kpi_cache.stale(conn, ids, to_iso(now))
    for batch in _batches(todo):
        computed = {
            found.ticket[0]: (found, rows(ticket_facts(found, settings, now)))
            for found in reads.ticket_rows(conn, batch)
        }
        with store.tx():
            still = [
                done
                for found in reads.ticket_rows(conn, list(computed))
                if (done := computed[found.ticket[0]])[0] == found
            ]
            kpi_cache.write(
                conn, (t for _, (t, _) in still), (s for _, (_, spans) in still for s in spans)
            )
    return len(todo)
