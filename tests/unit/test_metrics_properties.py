"""Properties of the KPIs over generated histories: business time never exceeds calendar time,
one-touch tickets are solved tickets, first-contact ones are one-touch ones, shares stay in 0-1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.domain import to_iso
from deskterm.metrics import figures
from deskterm.metrics.facts import ticket_facts
from deskterm.sla.settings import parse_sla
from deskterm.store.metrics import TicketRows

SLA = parse_sla(None)
START = datetime(2026, 11, 2, tzinfo=UTC)
PERIOD = figures.Period(START, START + timedelta(days=14))
STEPS = ("in", "out", "solved", "open", "pending")


def rows(ticket_id: int, steps: list[tuple[int, str]]) -> TicketRows:
    """A ticket whose customer writes first, then each (minutes later, what happens) step."""
    at = START + timedelta(hours=ticket_id)
    messages = [(ticket_id, ticket_id * 100, "in", 0, to_iso(at), to_iso(at))]
    events = [(ticket_id, ticket_id * 100, to_iso(at), "sync:mail", "created", "{}", None)]
    status = "new"
    for n, (minutes, step) in enumerate(steps, start=1):
        at += timedelta(minutes=minutes)
        stamp, row_id = to_iso(at), ticket_id * 100 + n
        if step in ("in", "out"):
            messages.append((ticket_id, row_id, step, 0, stamp, stamp))
        elif step != status:
            data = json.dumps({"before": status, "after": step})
            events.append((ticket_id, row_id, stamp, "agent:anna", "status", data, None))
            status = step
    ticket = (ticket_id, status, "normal", "email", "mail", None, messages[0][4], to_iso(at))
    return TicketRows((*ticket, ticket_id % 3, None, None), frozenset(), messages, events)


histories = st.lists(
    st.lists(st.tuples(st.integers(1, 3000), st.sampled_from(STEPS)), max_size=8),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(histories)
def test_business_time_never_exceeds_calendar_time(generated):
    for n, steps in enumerate(generated, start=1):
        facts = ticket_facts(rows(n, steps), SLA, PERIOD.end)
        for wait in (facts.first_reply, *facts.next_replies):
            if wait is not None:
                assert timedelta(0) <= wait.business <= wait.calendar


@settings(max_examples=150, deadline=None)
@given(histories)
def test_one_touch_is_a_part_of_solved_and_first_contact_of_one_touch(generated):
    facts = [ticket_facts(rows(n, steps), SLA, PERIOD.end) for n, steps in enumerate(generated, 1)]
    opened = figures.opened_by_customer((f.customer_id, f.channel, f.created) for f in facts)
    values = figures.figures(facts, PERIOD, opened, figures.Costs(), any(f.handling for f in facts))
    solved = values["solved"]
    one_touch = (values["one_touch_rate"] or 0) * (solved or 0)
    first_contact = (values["first_contact_rate"] or 0) * (solved or 0)
    assert first_contact <= one_touch + 1e-9 <= (solved or 0) + 2e-9
    for key, figure in ((f.key, f) for f in figures.FIGURES):
        if figure.kind == "share" and values[key] is not None:
            assert 0.0 <= values[key] <= 1.0
