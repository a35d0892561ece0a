"""Stored SLA state follows the ticket's events: deadlines, pauses, undo, breaches once, ticks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from deskterm import actions
from deskterm.domain import Identity
from deskterm.sla import clocks
from deskterm.sla.settings import parse_sla
from deskterm.store import open_store

# Wednesday 18 November 2026, 10:00 London (GMT): inside the default business hours.
WED_10 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
AGENT = "agent:anna"


@pytest.fixture(autouse=True)
def default_policies():
    clocks.use_policies(parse_sla(None))
    yield
    clocks.use_policies(None)


def row(store, ticket_id=1):
    return store.conn.execute(
        "SELECT status, next_deadline, warn_at, sla_state, sla_recheck_at FROM tickets"
        " WHERE id = ?",
        (ticket_id,),
    ).fetchone()


def breaches(store):
    return [
        json.loads(r[0])
        for r in store.conn.execute("SELECT data FROM events WHERE kind = 'sla_breach'")
    ]


@pytest.fixture
def ticket(make_message, deliver):
    """One email ticket: the customer wrote at Wednesday 10:00, received at once."""
    deliver(make_message(sent_at=WED_10), at=WED_10)
    return 1


def test_a_new_email_gets_a_two_business_hour_first_reply_deadline(store, ticket):
    assert row(store) == (
        "new",
        "2026-11-18T12:00:00Z",
        "2026-11-18T11:30:00Z",
        "running",
        "2026-11-18T11:30:00Z",
    )


def test_an_amazon_message_on_saturday_night_is_due_24_hours_later(store, make_message, deliver):
    saturday = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    deliver(make_message(channel="amazon", account="amazon", sent_at=saturday), at=saturday)
    assert row(store)[1] == "2026-11-22T22:00:00Z"


def test_a_sender_clock_in_the_future_cannot_push_the_deadline_out(store, make_message, deliver):
    deliver(make_message(sent_at=WED_10 + timedelta(days=30)), at=WED_10)
    assert row(store)[1] == "2026-11-18T12:00:00Z"


def test_notes_and_auto_replies_do_not_stop_the_first_reply_clock(store, ticket):
    actions.note(store, ticket, "checking with the warehouse", actor=AGENT, at=WED_10)
    actions.reply(store, ticket, "We got your message.", actor="rule:autoack", at=WED_10)
    assert row(store)[1:4] == ("2026-11-18T12:00:00Z", "2026-11-18T11:30:00Z", "running")


def test_an_automatic_customer_message_starts_no_reply_clock(store, make_message, deliver):
    deliver(make_message(sent_at=WED_10, automatic=True), at=WED_10)
    evaluation = clocks.evaluate_ticket(store.conn, 1, WED_10)
    assert [c.kind for c in evaluation.clocks] == ["resolution"]


def test_a_public_reply_moves_the_deadline_to_resolution(store, ticket):
    actions.reply(store, ticket, "It ships today.", actor=AGENT, at=WED_10 + timedelta(hours=1))
    # 24 business hours from Wednesday 10:00: Monday 10:00.
    assert row(store)[1:4] == ("2026-11-23T10:00:00Z", "2026-11-20T12:00:00Z", "running")


def test_pending_pauses_the_queue_deadline_and_undo_brings_it_back(store, ticket):
    later = WED_10 + timedelta(minutes=30)
    actions.set_status(store, ticket, "pending", actor=AGENT, at=later)
    assert row(store)[1:5] == (None, None, "paused", None)
    actions.undo(store, actor=AGENT, at=later + timedelta(minutes=5))
    # The undone pause never happened, so the original deadline stands.
    assert row(store)[1:4] == ("2026-11-18T12:00:00Z", "2026-11-18T11:30:00Z", "running")


def test_a_customer_answer_to_a_pending_ticket_resumes_with_the_time_left(
    store, ticket, make_message, deliver
):
    actions.reply(store, ticket, "Which size?", actor=AGENT, at=WED_10 + timedelta(minutes=10))
    actions.set_status(store, ticket, "pending", actor=AGENT, at=WED_10 + timedelta(minutes=10))
    answer = WED_10 + timedelta(hours=2)
    deliver(make_message(sent_at=answer, in_reply_to="<m1@example.com>"), at=answer)
    assert row(store)[0] == "open"
    # Next reply: 4 business hours from 12:00.
    assert row(store)[1] == "2026-11-18T16:00:00Z"


def test_a_snoozed_ticket_wakes_up_on_the_tick(store, ticket):
    until = WED_10 + timedelta(hours=3)
    actions.snooze(store, ticket, until, actor=AGENT, at=WED_10 + timedelta(hours=1))
    assert row(store)[3:5] == ("paused", "2026-11-18T13:00:00Z")
    assert clocks.tick(store, until - timedelta(seconds=1)) == []
    assert clocks.tick(store, until) == [ticket]
    # One hour used before the snooze, one left after it.
    assert row(store)[1:4] == ("2026-11-18T14:00:00Z", "2026-11-18T13:30:00Z", "running")


def test_the_tick_turns_a_row_to_warning_then_breached(store, ticket):
    clocks.tick(store, WED_10 + timedelta(minutes=90))
    assert row(store)[3:5] == ("warning", "2026-11-18T12:00:00Z")
    clocks.tick(store, WED_10 + timedelta(hours=2, seconds=1))
    # Still rechecked: the resolution clock turns to warning on Friday at 12:00.
    assert row(store)[3:5] == ("breached", "2026-11-20T12:00:00Z")
    assert breaches(store) == [
        {
            "clock": "first_reply",
            "due": "2026-11-18T12:00:00Z",
            "policy": "email",
            "started": "2026-11-18T10:00:00Z",
            "target": 7200,
        }
    ]


def test_a_later_clock_gets_its_breach_while_an_earlier_one_is_overdue(store, ticket):
    for hours in (2, 48, 24 * 5, 24 * 6):
        clocks.tick(store, WED_10 + timedelta(hours=hours, seconds=1))
    assert [b["clock"] for b in breaches(store)] == ["first_reply", "resolution"]
    assert row(store)[3:5] == ("breached", None)


def test_a_breach_is_recorded_once_even_when_two_processes_see_it(store, db_path, ticket):
    other = open_store(db_path)
    try:
        late = WED_10 + timedelta(hours=3)
        for each in (store, other, store):
            with each.tx() as conn:
                clocks.refresh(conn, [ticket], late)
        actions.reply(store, ticket, "Sorry for the wait", actor=AGENT, at=late)
    finally:
        other.close()
    assert [b["clock"] for b in breaches(store)] == ["first_reply"]
    event = store.conn.execute("SELECT at, actor FROM events WHERE kind = 'sla_breach'").fetchone()
    assert event == ("2026-11-18T12:00:00Z", "system:sla")


def test_each_late_exchange_is_its_own_breach(store, ticket, make_message, deliver):
    actions.reply(store, ticket, "Hi", actor=AGENT, at=WED_10 + timedelta(hours=3))
    asked = WED_10 + timedelta(hours=4)
    deliver(make_message(sent_at=asked, in_reply_to="<m1@example.com>"), at=asked)
    actions.reply(
        store, ticket, "Hi again", actor=AGENT, at=datetime(2026, 11, 19, 15, 0, tzinfo=UTC)
    )
    assert [b["clock"] for b in breaches(store)] == ["first_reply", "next_reply"]


def test_urgent_tickets_get_half_the_time(store, ticket):
    actions.set_priority(store, ticket, "urgent", actor=AGENT, at=WED_10)
    assert row(store)[1] == "2026-11-18T11:00:00Z"


def test_changing_policies_recomputes_every_open_ticket(store, make_message, deliver):
    for n in range(3):
        deliver(
            make_message(
                sender=Identity("email", f"customer{n}@example.com"),
                sent_at=WED_10,
                subject=f"q{n}",
            ),
            at=WED_10,
        )
    actions.resolve(store, 3, actor=AGENT, at=WED_10)
    clocks.use_policies(
        parse_sla({"policies": [{"name": "fast", "calendar": "24/7", "first_reply": "15m"}]})
    )
    assert clocks.recompute_all(store, WED_10, chunk=1) == 2
    deadlines = [r[0] for r in store.conn.execute("SELECT next_deadline FROM tickets ORDER BY id")]
    assert deadlines == ["2026-11-18T10:15:00Z", "2026-11-18T10:15:00Z", None]


def test_tags_can_choose_the_policy(store, ticket):
    clocks.use_policies(
        parse_sla(
            {
                "policies": [
                    {"name": "vip", "tags": ["vip"], "calendar": "24/7", "first_reply": "10m"},
                    {"name": "rest", "calendar": "24/7", "first_reply": "1h"},
                ]
            }
        )
    )
    actions.tag(store, ticket, "vip", actor=AGENT, at=WED_10)
    assert row(store)[1] == "2026-11-18T10:10:00Z"
    actions.untag(store, ticket, "vip", actor=AGENT, at=WED_10)
    assert row(store)[1] == "2026-11-18T11:00:00Z"


def test_a_merged_ticket_stops_its_clocks_and_the_target_takes_the_messages(
    store, make_message, deliver
):
    deliver(make_message(sent_at=WED_10, subject="one"), at=WED_10)
    later = WED_10 + timedelta(minutes=30)
    deliver(make_message(sent_at=later, subject="two", message_id="<x@y>"), at=later)
    actions.merge(store, 2, 1, actor=AGENT, at=later)
    assert row(store, 2)[3] in ("met", "breached")
    assert row(store, 2)[1] is None
    assert row(store, 1)[1] == "2026-11-18T12:00:00Z"


def test_edited_policies_are_applied_once_at_the_next_start(store, ticket):
    assert clocks.recompute_if_changed(store, WED_10) == 1
    assert clocks.recompute_if_changed(store, WED_10) is None
    clocks.use_policies(
        parse_sla({"policies": [{"name": "fast", "calendar": "24/7", "first_reply": "15m"}]})
    )
    assert clocks.recompute_if_changed(store, WED_10) == 1
    assert row(store)[1] == "2026-11-18T10:15:00Z"
