"""Keeps each ticket's stored SLA deadline in step with its events, so the queue sorts by an index.

This is the glue between the store and the pure rules in deskterm.sla.rules: read one ticket's messages
and events, run the rules, write tickets.next_deadline / warn_at / sla_state / sla_recheck_at and
record each breach once. It runs inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from deskterm.domain import canonical_json, from_iso, to_iso
from deskterm.sla import rules
from deskterm.sla.history import history_from_rows
from deskterm.sla.settings import SlaSettings, from_shared, load_sla
from deskterm.store import Store
from deskterm.store import clocks as sla_rows
from deskterm.sync import pools

# Policies are read from the config file once, not on every refresh; use_policies() replaces them.
_settings: SlaSettings | None = None


def use_policies(settings: SlaSettings | None) -> None:
    """Use these SLA settings from now on; None means load them from the config file when needed."""
    global _settings
    _settings = settings


def current_policies() -> SlaSettings:
    """The SLA settings in use, loaded from the config file on first use."""
    global _settings
    if _settings is None:
        _settings = load_sla()
    return _settings


# The settings of the last team whose replica asked (policies_for), parsed once per change.
_team_settings: SlaSettings | None = None


def policies_for(conn: sqlite3.Connection, local: SlaSettings | None = None) -> SlaSettings:
    """The SLA settings in force for this store: in a team replica, the team's (every replica
    computes the same deadlines, whatever each machine's file says); else `local`, by default
    current_policies()."""
    global _team_settings
    fingerprint = sla_rows.team_fingerprint(conn)
    if fingerprint is None:
        return local or current_policies()
    if _team_settings is None or _team_settings.fingerprint != fingerprint:
        _team_settings = from_shared(sla_rows.team_policy(conn)["toml"])  # type: ignore[index]
    return _team_settings


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One ticket's SLA as of `now`: the policy that applies, its clocks and the stored summary."""

    ticket_id: int
    policy: rules.Policy | None
    clocks: list[rules.Clock]
    summary: rules.Summary
    # (clock kind, started) of the breaches the store already holds an event for.
    recorded: frozenset[tuple[str, str]] = frozenset()


def evaluate(
    ticket: Sequence,
    tags: frozenset[str],
    messages: Iterable[Sequence],
    events: Iterable[Sequence],
    settings: SlaSettings,
    now: datetime,
    *,
    explain: bool = True,
) -> Evaluation:
    """Choose the policy and run the clocks for one ticket's rows; no I/O."""
    ticket_id, _, priority, channel, account, snoozed_until = ticket[:6]
    policy = rules.choose_policy(settings.policies, channel, priority, tags, account)
    if policy is None:
        return Evaluation(ticket_id, None, [], rules.Summary(None, None, "", None))
    events = list(events)
    history = history_from_rows(ticket, messages, events)
    clocks = rules.compute_clocks(history, policy, priority, now, explain=explain)
    snoozed = from_iso(snoozed_until) if snoozed_until else None
    recorded = frozenset(
        (data["clock"], data["started"])
        for data in (json.loads(e[5]) for e in events if e[4] == "sla_breach")
    )
    return Evaluation(ticket_id, policy, clocks, rules.summarize(clocks, snoozed, now), recorded)


def evaluate_ticket(
    conn: sqlite3.Connection, ticket_id: int, now: datetime, settings: SlaSettings | None = None
) -> Evaluation | None:
    """Read one ticket and evaluate it; None when there is no such ticket."""
    settings = settings or policies_for(conn)
    row = sla_rows.ticket(conn, ticket_id)
    if row is None:
        return None
    messages = sla_rows.messages(conn, ticket_id)
    events = sla_rows.clock_events(conn, ticket_id)
    tags = sla_rows.tags(conn, ticket_id) if settings.uses_tags else frozenset()
    return evaluate(row, tags, messages, events, settings, now)


def _stored(summary: rules.Summary) -> sla_rows.SlaColumns:
    """The summary as the four ticket columns hold it."""
    return (
        to_iso(summary.deadline) if summary.deadline else None,
        to_iso(summary.warn_at) if summary.warn_at else None,
        summary.state,
        to_iso(summary.recheck_at) if summary.recheck_at else None,
    )


def _breaches(evaluation: Evaluation) -> list[tuple[int, str, str]]:
    """Rows for breaches not recorded yet; the store's unique index drops a racing repeat."""
    rows = []
    for clock in evaluation.clocks:
        if clock.state != rules.BREACHED or clock.due is None:
            continue
        started = to_iso(clock.started)
        if (clock.kind, started) in evaluation.recorded:
            continue
        due = to_iso(clock.due)
        data = {
            "clock": clock.kind,
            "started": started,
            "due": due,
            "target": int(clock.target.total_seconds()),
            "policy": evaluation.policy.name if evaluation.policy else "",
        }
        rows.append((evaluation.ticket_id, due, canonical_json(data)))
    return rows


TicketRows = tuple[Sequence, frozenset[str], list[Sequence], list[Sequence]]
"""One ticket as evaluate() reads it: (ticket row, tags, message rows, event rows)."""

Outcome = tuple[sla_rows.SlaColumns, list[tuple[int, str, str]]]
"""What evaluating one ticket leaves to write: its four SLA columns and its new breach events."""


def outcome(item: TicketRows, settings: SlaSettings, now: datetime) -> Outcome:
    """Evaluate one ticket's history; no I/O."""
    ticket, tags, messages, events = item
    evaluation = evaluate(ticket, tags, messages, events, settings, now, explain=False)
    return _stored(evaluation.summary), _breaches(evaluation)


# The settings a pool worker evaluates with, kept between jobs: calendars remember the days they
# have measured, and a fresh copy per job would measure years of history again every time.
_worker_settings: SlaSettings | None = None


def outcomes(job: tuple[SlaSettings, datetime, list[TicketRows]]) -> list[Outcome]:
    """outcome() for a list of tickets: the unit of work a process pool runs (see settle)."""
    global _worker_settings
    settings, now, items = job
    if _worker_settings is None or _worker_settings.fingerprint != settings.fingerprint:
        _worker_settings = settings
    return [outcome(item, _worker_settings, now) for item in items]


def _write(conn: sqlite3.Connection, tickets: list[Sequence], results: list[Outcome]) -> None:
    updates = []
    breaches = []
    for row, (stored, new_breaches) in zip(tickets, results, strict=True):
        if tuple(row[8:12]) != stored:
            updates.append((*stored, row[0]))
        breaches.extend(new_breaches)
    if updates:
        sla_rows.write_sla_columns(conn, updates)
    if breaches:
        sla_rows.insert_breaches(conn, breaches)


def _histories(
    conn: sqlite3.Connection, tickets: list[Sequence], settings: SlaSettings
) -> list[TicketRows]:
    """(ticket row, tags, message rows, event rows) for each ticket, read in one ordered scan each."""
    ids = [t[0] for t in tickets]
    messages = sla_rows.messages_by_ticket(conn, ids)
    events = sla_rows.clock_events_by_ticket(conn, ids)
    tags = sla_rows.tags_by_ticket(conn, ids) if settings.uses_tags else {}
    return [
        (
            ticket,
            frozenset(tags.get(ticket[0], ())),
            messages.get(ticket[0], []),
            events.get(ticket[0], []),
        )
        for ticket in tickets
    ]


Mapper = Callable[[list[TicketRows], SlaSettings, datetime], Iterator[list[Outcome]]]
"""Evaluates many tickets' histories and yields the outcomes in order, a run at a time;
settle() can hand this work to other processes and write each run as it arrives."""


def evaluate_inline(
    items: list[TicketRows], settings: SlaSettings, now: datetime
) -> Iterator[list[Outcome]]:
    yield outcomes((settings, now, items))


def _update(
    conn: sqlite3.Connection,
    tickets: list[Sequence],
    settings: SlaSettings,
    now: datetime,
    mapper: Mapper = evaluate_inline,
) -> None:
    done = 0
    for results in mapper(_histories(conn, tickets, settings), settings, now):
        _write(conn, tickets[done : done + len(results)], results)
        done += len(results)
    if done != len(tickets):
        raise RuntimeError(f"SLA evaluation returned {done} outcomes for {len(tickets)} tickets")


def refresh(conn: sqlite3.Connection, ticket_ids: Iterable[int], now: datetime) -> None:
    """Recompute next_deadline and sla_state for the given tickets inside the caller's transaction."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    _update(conn, sla_rows.tickets(conn, ids), policies_for(conn), now)


def policies_changed(conn: sqlite3.Connection) -> bool:
    """True when the open tickets were last computed with other SLA settings than today's."""
    return sla_rows.settings_fingerprint(conn) != policies_for(conn).fingerprint


def recompute_if_changed(store: Store, now: datetime) -> int | None:
    """Recompute every open ticket when the SLA settings changed since the last recompute.

    Cheap when nothing changed (one read), so a process can call it once at start-up.
    Returns how many tickets were recomputed, or None when nothing had changed.
    """
    if not policies_changed(store.conn):
        return None
    return recompute_all(store, now)


def recompute_all(store: Store, now: datetime, *, chunk: int = 5000) -> int:
    """Recompute every open ticket (after the policies changed); returns how many were looked at.

    Works in chunks of ticket ids, each its own transaction, so other writers wait at most one
    chunk, and reads each chunk's messages and events in one ordered index scan. Remembers the
    settings' fingerprint once every chunk is done.
    """
    settings = policies_for(store.conn)
    done = 0
    last_id = 0
    while True:
        with store.tx() as conn:
            tickets = sla_rows.open_tickets_after(conn, last_id, chunk)
            if not tickets:
                sla_rows.remember_settings(conn, settings.fingerprint)
                return done
            _update(conn, tickets, settings, now)
        done += len(tickets)
        last_id = tickets[-1][0]


def mark_unsettled(conn: sqlite3.Connection, ticket_ids: Iterable[int]) -> None:
    """Note tickets whose SLA columns are now out of date, to be settled later in one pass.

    Bulk writers (an import, a sync pass) call this per batch instead of refresh, and settle() at
    their end; the note is in the store, so after a crash the next tick settles them.
    """
    sla_rows.mark_unsettled(conn, ticket_ids)


# Below this many unsettled tickets, starting processes costs more than evaluating inline.
PARALLEL_SETTLE = 2000
# Tickets per evaluation job in a process pool.
SETTLE_JOB = 250


def settle(
    store: Store,
    now: datetime,
    *,
    limit: int | None = None,
    chunk: int = 2000,
    processes: int = 0,
) -> int:
    """Refresh the tickets mark_unsettled() noted, `chunk` at a time, each chunk one transaction.

    Returns how many were settled; stops after `limit` when given. With `processes` > 1 and at
    least PARALLEL_SETTLE tickets waiting, the clocks are evaluated in that many processes
    (evaluation is pure; only reading and writing need this connection), and each job's outcomes
    are written while later jobs still run.
    """
    waiting = sla_rows.unsettled_count(store.conn)
    if waiting == 0:  # the usual case for a tick: no write transaction for nothing
        return 0
    if processes < 2 or waiting < PARALLEL_SETTLE:
        return _settle(store, now, limit, chunk, evaluate_inline)
    with _pool(processes) as pool:

        def in_pool(
            items: list[TicketRows], settings: SlaSettings, now: datetime
        ) -> Iterator[list[Outcome]]:
            step = SETTLE_JOB
            jobs = [(settings, now, items[i : i + step]) for i in range(0, len(items), step)]
            yield from pools.in_order(pool, outcomes, jobs, job=1, ahead=len(jobs))

        return _settle(store, now, limit, chunk, in_pool)


def _pool(workers: int) -> AbstractContextManager[ProcessPoolExecutor]:
    # Preloads this module, unless an import's parsers started the forkserver already.
    return pools.pool(workers, [__name__])


def _unsettled(conn: sqlite3.Connection, size: int) -> tuple[list[int], list[Sequence]]:
    """The first `size` unsettled ticket ids and the rows of those that exist."""
    ids = sla_rows.unsettled(conn, size)
    return ids, sla_rows.tickets(conn, ids)


def _settle(store: Store, now: datetime, limit: int | None, chunk: int, mapper: Mapper) -> int:
    settings = policies_for(store.conn)
    done = 0
    while limit is None or done < limit:
        size = chunk if limit is None else min(chunk, limit - done)
        with store.tx() as conn:
            ids, tickets = _unsettled(conn, size)
            if not ids:
                break
            if tickets:
                _update(conn, tickets, settings, now, mapper)
            sla_rows.mark_settled(conn, ids)
        done += len(ids)
    return done


class Settler:
    """Settles tickets while a sync pass is still ingesting, in one background process.

    Call step() after each stored batch: once SETTLER_STEP tickets wait, it reads their histories
    and hands them to the process; a later step() writes the outcomes, but only for tickets whose
    newest event is still the one it read (a ticket that changed meanwhile stays unsettled).
    finish() settles whatever is left. On a busy writer this takes the evaluation off its core.
    """

    def __init__(self, store: Store, now: datetime) -> None:
        self.store = store
        self.now = now
        self.settings = policies_for(store.conn)
        self._pool: ProcessPoolExecutor | None = None
        self._job: tuple[list[Sequence], dict[int, int], Future[list[Outcome]]] | None = None

    def step(self) -> None:
        if self._job is not None and self._job[2].done():
            self._write_job()
        if self._job is None:
            self._start_job()

    def finish(self) -> int:
        """Write the job in flight, then settle the rest here; returns how many were settled."""
        try:
            if self._job is not None:
                self._write_job()
            return settle(self.store, self.now)
        finally:
            if self._pool is not None:
                pools.stop(self._pool)

    def _start_job(self) -> None:
        conn = self.store.conn
        if sla_rows.unsettled_count(conn) < SETTLER_STEP:
            return
        with self.store.tx():  # one snapshot for the rows and their stamps
            ids, tickets = _unsettled(conn, SETTLER_STEP)
            items = _histories(conn, tickets, self.settings)
            # Every change to a ticket writes an event: an unchanged stamp, an unchanged ticket.
            stamps = sla_rows.newest_events(conn, ids)
        if self._pool is None:
            self._pool = pools.start(1, [__name__])
        job = self._pool.submit(outcomes, (self.settings, self.now, items))
        self._job = (tickets, stamps, job)

    def _write_job(self) -> None:
        assert self._job is not None
        tickets, stamps, job = self._job
        self._job = None
        results = job.result()
        with self.store.tx() as conn:
            now_stamps = sla_rows.newest_events(conn, [t[0] for t in tickets])
            kept = [
                (ticket, result)
                for ticket, result in zip(tickets, results, strict=True)
                if now_stamps.get(ticket[0]) == stamps.get(ticket[0])
            ]
            if not kept:
                return
            _write(conn, [k[0] for k in kept], [k[1] for k in kept])
            sla_rows.mark_settled(conn, [k[0][0] for k in kept])


# Tickets a Settler evaluates per background job.
SETTLER_STEP = 1000


# A tick is meant to be quick (the TUI runs one every second); a crashed import's backlog is
# worked off a slice per tick.
TICK_SETTLE_LIMIT = 2000


def tick(store: Store, now: datetime) -> list[int]:
    """Refresh the tickets whose state changes with time alone (warning, breach, snooze ends).

    Meant for a periodic caller (the TUI's clock, `sync --watch`); an index scan finds them.
    First it settles up to TICK_SETTLE_LIMIT tickets a bulk writer left unsettled (after a crash).
    """
    settle(store, now, limit=TICK_SETTLE_LIMIT)
    with store.tx() as conn:
        ids = sla_rows.due_for_recheck(conn, to_iso(now))
        if ids:
            refresh(conn, ids, now)
    return ids
