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
- created (label the channel, bucket the local hour), created_tag (a tag), created_intent (the
  intent or "unknown"): at the ticket's creation.
- first_solve (the first solve), final_solve (each solve, label the next reopen), solve_handle
  (each solve; the ticket's whole handle time), solve_one (each solve of a ticket with one
  person's reply), solve_first (of those, each with no re-contact), solve_reopened (each solve
  reopened after): the solves again, by what they count for, under the solve's seq.

Every row also has its local `day` (in the zone the cache was computed for) and the `bucket` (and
`bbucket` for business seconds) the per-day totals count it in: deskterm.metrics.daily reads
those totals (kpi_days; the triggers of migration V27, store.migrations.latest, keep them).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, tzinfo

from deskterm.domain import from_iso, to_iso
from deskterm.metrics import figures as fig
from deskterm.metrics.buckets import bucket
from deskterm.metrics.facts import TicketFacts, ticket_facts
from deskterm.metrics.figures import recontacted
from deskterm.sla import rules
from deskterm.sla.settings import SlaSettings
from deskterm.store import Store, kpi_cache
from deskterm.store import metrics as reads

# Changes whenever what the rows hold changes, so that rows of an older form are computed again.
FORM = "3"
# Spans whose value is what the per-day totals count by (bucket): a clock's 0/1, a score.
COUNTED_BY_VALUE = ("clock", "rating")
# Tickets computed per write transaction: writers wait for one batch at most.
BATCH = 500


def fingerprint(settings: SlaSettings, zone: tzinfo) -> str:
    return f"{FORM}:{zone}:{settings.fingerprint}"


def ceil_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def bound(moment: datetime) -> str:
    """A period's bound as store text: the stored moments (whole seconds) at or after `moment`
    are exactly those at or after this text."""
    return to_iso(ceil_second(moment))


def _after(solve: datetime, fact: TicketFacts) -> str | None:
    """The first reopen after a solve, as store text; None when it was not reopened."""
    reopen = next((r for r in fact.reopens if r > solve), None)
    return to_iso(reopen) if reopen is not None else None


class _Spans:
    """The kpi_spans rows of one ticket (kpi_cache.SPAN_COLUMNS), each with its local day and,
    where the per-day totals keep one, the bucket of its value (and of its business seconds)."""

    def __init__(self, ticket: int, zone: tzinfo) -> None:
        self.ticket, self.zone = ticket, zone
        self.rows: list[tuple] = []

    def add(self, kind: str, items: Sequence[tuple], timed: bool = False, seqs=None) -> None:
        """Items (at, value, business, label); `timed`: bucket the value and business seconds."""
        for index, (at, value, business, label) in enumerate(items):
            seq = seqs[index] if seqs is not None else index
            buckets: tuple[int | None, int | None] = (None, None)
            if timed:
                buckets = (bucket(value), None if business is None else bucket(business))
            elif kind in COUNTED_BY_VALUE:
                buckets = (value, None)
            day = at.astimezone(self.zone).date().isoformat()
            self.rows.append(
                (self.ticket, kind, seq, to_iso(at), value, business, label, day, *buckets)
            )


def _waits(spans: _Spans, fact: TicketFacts) -> None:
    waits = ((fact.first_reply,) if fact.first_reply else ()), fact.next_replies
    for kind, found in zip(("first_reply", "next_reply"), waits, strict=True):
        spans.add(
            kind,
            [
                (w.end, w.calendar.total_seconds(), w.business.total_seconds(), w.agent)
                for w in found
            ],
            timed=True,
        )


def _created(spans: _Spans, fact: TicketFacts) -> None:
    """The ticket's creation: its channel (bucket: its local hour), tags and intent."""
    created = fact.created
    local = created.astimezone(spans.zone)
    spans.rows.append(
        (
            fact.id,
            "created",
            0,
            to_iso(created),
            None,
            None,
            fact.channel,
            local.date().isoformat(),
            local.hour,
            None,
        )
    )
    spans.add("created_tag", [(created, None, None, tag) for tag in sorted(fact.tags)])
    spans.add("created_intent", [(created, None, None, fact.intent or "unknown")])


def _solves(spans: _Spans, fact: TicketFacts, opened: dict) -> None:
    """Each solve, and what it counts for: first and final resolution times, one-touch,
    first-contact, reopened after, and the ticket's whole handle time."""
    created, between = fact.created, fact.calendar.between
    solves = [
        (s, (s - created).total_seconds(), between(created, s).total_seconds(), _after(s, fact))
        for s in fact.solves
    ]
    spans.add("solve", solves)
    spans.add("first_solve", solves[:1], timed=True)
    spans.add("final_solve", solves, timed=True)
    handle = sum(h.seconds for h in fact.handling)
    spans.add("solve_handle", [(s, handle, None, None) for s, *_ in solves], timed=True)
    for kind, keep in (
        ("solve_one", lambda s, label: fact.replies == 1),
        ("solve_first", lambda s, label: fact.replies == 1 and not recontacted(fact, s, opened)),
        ("solve_reopened", lambda s, label: label is not None),
    ):
        chosen = [(seq, row) for seq, row in enumerate(solves) if keep(row[0], row[3])]
        spans.add(
            kind, [(s, None, None, None) for _, (s, *_) in chosen], seqs=[seq for seq, _ in chosen]
        )


def rows(fact: TicketFacts, zone: tzinfo, opened: dict) -> tuple[tuple, list[tuple]]:
    """The ticket's kpi_tickets row and its kpi_spans rows (kpi_cache's columns); `opened` is
    figures.opened_by_customer of the tickets of its customer (for re-contacts)."""
    spans = _Spans(fact.id, zone)
    _created(spans, fact)
    _waits(spans, fact)
    _solves(spans, fact, opened)
    spans.add("reopen", [(r, None, None, None) for r in fact.reopens])
    spans.add("status", [(at, None, None, status) for at, status in fact.history.statuses])
    spans.add("clock", [(e.at, 1 if e.met else 0, None, e.kind) for e in fact.clock_ends])
    spans.add("handled", [(h.at, h.seconds, None, h.agent) for h in fact.handling])
    spans.add("rating", [(r.at, r.score, None, r.survey) for r in fact.ratings])
    statuses = fact.history.statuses
    done = statuses and statuses[-1][1] in rules.DONE_STATUSES
    since, until = fact.steady
    ticket = (
        fact.id,
        to_iso(fact.created),
        fact.replies,
        len(fact.handling),
        to_iso(statuses[-1][0]) if done else None,
        to_iso(ceil_second(since)) if since is not None else "",
        to_iso(until) if until is not None else None,
    )
    return ticket, spans.rows


def _batches(items: list[int]) -> Iterator[list[int]]:
    for first in range(0, len(items), BATCH):
        yield items[first : first + BATCH]


def refresh(
    store: Store,
    ids: list[int] | None,
    settings: SlaSettings,
    now: datetime,
    zone: tzinfo,
) -> int:
    """Bring the cached rows of `ids` (None: of every ticket) up to date for a report as of
    `now`, days local to `zone`; returns how many tickets were computed. A
    batch is read and computed outside any transaction (writers are not held up), then read again
    inside one: a ticket whose rows changed meanwhile is left for the next report, the others are
    written."""
    with store.tx() as conn:
        kpi_cache.keep_if_computed_with(conn, fingerprint(settings, zone))
        kpi_cache.note_new(conn)
        kpi_cache.forget_gone(conn)
    conn = store.conn
    moment = to_iso(now)
    todo = kpi_cache.stale_all(conn, moment) if ids is None else kpi_cache.stale(conn, ids, moment)
    todo = sorted({*todo, *kpi_cache.recontacted(conn, todo)})
    for batch in _batches(todo):
        opened = fig.opened_by_customer(
            (customer, channel, from_iso(at))
            for customer, channel, at in reads.customers_opened(conn, batch)
        )
        computed = {
            found.ticket[0]: (found, rows(ticket_facts(found, settings, now), zone, opened))
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
