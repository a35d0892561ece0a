"""KPIs pinned on hand-built histories; every expected value is worked out in the test by hand.

The default SLA settings apply: email is counted in the business calendar (Mon-Fri 09:00-17:00,
Europe/London, which is UTC in November).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskterm import actions
from deskterm.domain import Identity
from deskterm.metrics import daily, report, summed
from deskterm.metrics.figures import Costs, Period
from deskterm.sla import clocks
from deskterm.sla.settings import parse_sla

AGENT = "agent:anna"
WED_10 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
H = 3600
NO_COSTS = Costs()
PERIOD = Period(datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))


@pytest.fixture(autouse=True)
def default_policies():
    clocks.use_policies(parse_sla(None))
    yield
    clocks.use_policies(None)


def build(store, period=PERIOD, costs=NO_COSTS, by=None):
    """The report computed from the tickets' facts; summed over the cache, it must be the same
    (without `by`, read from the per-day totals: medians and p90s within their bound)."""
    zone = ZoneInfo("Europe/London")
    facts, opened, measured = report.collect(store, period, parse_sla(None), period.end)
    built = report.build(facts, opened, period, costs, zone, by, measured=measured)
    fast = summed.build(store, period, parse_sla(None), period.end, costs, zone, by)
    if by is None:
        assert daily.differences(fast, built) == []
    else:
        assert fast == built
    return built


def kpis(store, period=PERIOD, costs=NO_COSTS):
    return build(store, period, costs).groups[0].current


@pytest.fixture
def write(make_message, deliver):
    """A customer message at `at` (a new ticket unless `reply_to` names the message it answers)."""

    def send(at, sender="anna@example.com", **fields):
        msg = make_message(sent_at=at, sender=Identity("email", sender), **fields)
        deliver(msg, at=at)
        return msg

    return send


def test_first_reply_time_counts_calendar_and_business_hours(store, write):
    friday_16 = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    write(friday_16)
    actions.reply(store, 1, "On its way.", actor=AGENT, at=friday_16 + timedelta(hours=66))
    values = kpis(store)
    # Friday 16:00 to Monday 10:00: 66 hours; open hours Friday 16-17 and Monday 9-10.
    assert values["first_reply_median"] == 66 * H
    assert values["first_reply_business_median"] == 2 * H


def test_a_rule_auto_reply_is_not_the_first_reply(store, write):
    write(WED_10)
    actions.reply(store, 1, "We got it.", actor="rule:autoack", at=WED_10 + timedelta(minutes=1))
    actions.reply(store, 1, "Here it is.", actor=AGENT, at=WED_10 + timedelta(hours=3))
    assert kpis(store)["first_reply_median"] == 3 * H


def test_a_reopened_ticket_counts_first_and_full_resolution_and_a_reopen(store, write):
    first = write(WED_10)
    actions.reply(store, 1, "Sent.", actor=AGENT, at=WED_10 + timedelta(hours=1))
    actions.resolve(store, 1, actor=AGENT, at=WED_10 + timedelta(hours=2))
    thursday = datetime(2026, 11, 19, 9, 30, tzinfo=UTC)
    write(thursday, in_reply_to=first.message_id)  # reopens the ticket
    actions.reply(store, 1, "Again.", actor=AGENT, at=thursday + timedelta(minutes=30))
    actions.resolve(store, 1, actor=AGENT, at=thursday + timedelta(minutes=90))
    values = kpis(store)
    assert values["solved"] == 1 and values["created"] == 1
    assert values["first_resolution_median"] == 2 * H
    # Wednesday 10:00 to Thursday 11:00: 25 hours, of which Wed 10-17 and Thu 9-11 are open.
    assert values["full_resolution_median"] == 25 * H
    assert values["full_resolution_business_median"] == 9 * H
    assert values["next_reply_median"] == 30 * 60
    assert values["reopen_rate"] == 1.0
    assert values["one_touch_rate"] == 0.0  # two replies


def test_a_merged_ticket_counts_once_with_its_messages(store, write):
    write(WED_10)
    write(WED_10 + timedelta(minutes=30), subject="Also: invoice")
    assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 2
    actions.merge(store, 2, 1, actor=AGENT, at=WED_10 + timedelta(minutes=45))
    actions.reply(store, 1, "Both answered.", actor=AGENT, at=WED_10 + timedelta(hours=1))
    values = kpis(store)
    assert values["created"] == 1
    assert values["first_reply_median"] == H


def test_one_touch_and_first_contact_resolution(store, write):
    write(WED_10)
    write(WED_10, sender="bob@example.com")
    for ticket in (1, 2):
        actions.reply(store, ticket, "Done.", actor=AGENT, at=WED_10 + timedelta(hours=1))
        actions.resolve(store, ticket, actor=AGENT, at=WED_10 + timedelta(hours=2))
    # Anna comes back on email the next day with a new ticket: her first one was no first contact.
    write(WED_10 + timedelta(days=1), subject="Still nothing")
    values = kpis(store)
    assert values["solved"] == 2 and values["created"] == 3
    assert values["one_touch_rate"] == 1.0
    assert values["first_contact_rate"] == 0.5
    assert values["resolution_rate"] == pytest.approx(2 / 3)


def test_handle_time_by_agent_and_cost_per_resolution(store, write):
    write(WED_10)
    actions.reply(store, 1, "Done.", actor=AGENT, at=WED_10 + timedelta(hours=1))
    actions.record_handling(store, 1, 300, 120, actor=AGENT, at=WED_10 + timedelta(hours=1))
    actions.record_handling(store, 1, 200, 0, actor="agent:bob", at=WED_10 + timedelta(hours=2))
    actions.resolve(store, 1, actor=AGENT, at=WED_10 + timedelta(hours=2))
    built = build(store, costs=Costs(hourly=36.0))
    values = built.groups[0].current
    assert built.handle_by_agent == {"anna": 300, "bob": 200}
    assert values["handle_time_total"] == 500
    assert values["handle_time_median"] == 500
    assert values["cost_per_resolution"] == pytest.approx(36 * 500 / 3600)
    monthly = kpis(store, costs=Costs(monthly=3000.0))["cost_per_resolution"]
    assert monthly == pytest.approx(3000 * 14 / (365.2425 / 12))


def test_no_measured_handle_time_is_no_figure_rather_than_zero(store, write):
    write(WED_10)
    values = kpis(store)
    assert values["handle_time_total"] is None and values["handle_time_median"] is None


def test_a_rating_after_the_ticket_was_solved_counts_and_changes_nothing(store, write):
    write(WED_10)
    actions.reply(store, 1, "Done.", actor=AGENT, at=WED_10 + timedelta(hours=1))
    actions.resolve(store, 1, actor=AGENT, at=WED_10 + timedelta(hours=2))
    with store.tx() as conn:
        message = conn.execute("SELECT MIN(id) FROM messages").fetchone()[0]
        actions.record_rating(
            conn, 1, "csat", 4, "", message, actor="sync:mail", at=WED_10 + timedelta(days=2)
        )
        actions.record_rating(
            conn, 1, "ces", 6, "", message, actor="sync:mail", at=WED_10 + timedelta(days=2)
        )
    values = kpis(store)
    assert (values["csat"], values["csat_mean"], values["csat_count"]) == (1.0, 4.0, 1)
    assert (values["ces_mean"], values["ces_count"]) == (6.0, 1)
    assert store.conn.execute("SELECT status FROM tickets").fetchone()[0] == "solved"


def test_sla_attainment_per_target(store, write):
    write(WED_10)
    write(WED_10, sender="bob@example.com")
    actions.reply(store, 1, "In time.", actor=AGENT, at=WED_10 + timedelta(hours=1))
    actions.reply(store, 2, "Late.", actor=AGENT, at=WED_10 + timedelta(hours=3))
    values = kpis(store)
    assert values["sla_first_reply"] == 0.5  # the 2-hour target: one met, one breached
    # Both still open at the period's end: 24 business hours from Wednesday 10:00 ran out on
    # Monday 23rd at 10:00, so both resolution clocks breached.
    assert values["sla_resolution"] == 0.0


def test_each_figure_sits_beside_the_previous_period(store, write):
    write(WED_10 - timedelta(days=7))  # in the previous fortnight
    write(WED_10, sender="bob@example.com")
    write(WED_10, sender="cleo@example.com")
    group = build(store).groups[0]
    assert (group.current["created"], group.previous["created"]) == (2, 1)


def test_backlog_by_status_and_age_at_the_period_end(store, write):
    write(WED_10)
    write(datetime(2026, 11, 29, 12, 0, tzinfo=UTC), sender="bob@example.com")
    actions.set_status(store, 1, "pending", actor=AGENT, at=WED_10 + timedelta(hours=1))
    built = build(store)
    assert built.backlog == {"new": 1, "pending": 1}
    assert built.ages == {"under 1 day": 1, "1-3 days": 0, "3-7 days": 0, "over 7 days": 1}


def test_volume_by_channel_tag_hour_and_weekday(store, write):
    write(WED_10)
    actions.tag(store, 1, "wismo", actor=AGENT, at=WED_10)
    volume = build(store).volume
    assert volume["channel"] == {"email": 1}
    assert volume["tag"] == {"wismo": 1}
    assert volume["hour"]["10"] == 1 and sum(volume["hour"].values()) == 1
    assert volume["weekday"]["Wed"] == 1


def test_by_channel_gives_each_channel_its_figures(store, write, make_message, deliver):
    write(WED_10)
    deliver(
        make_message(channel="ebay", account="ebay", sent_at=WED_10, conversation_id="c1"),
        at=WED_10,
    )
    groups = build(store, by="channel").groups
    assert [(g.value, g.current["created"]) for g in groups] == [
        ("all", 2),
        ("ebay", 1),
        ("email", 1),
    ]


def test_by_intent_slices_by_what_triage_read(store, write):
    write(WED_10)
    write(WED_10, sender="bob@example.com")
    store.conn.execute("UPDATE tickets SET intent = 'refund' WHERE id = 1")
    store.conn.execute("UPDATE tickets SET intent = NULL WHERE id = 2")
    built = build(store, by="intent")
    assert [(g.value, g.current["created"]) for g in built.groups] == [
        ("all", 2),
        ("refund", 1),
        ("unknown", 1),
    ]
    assert built.volume["intent"] == {"refund": 1, "unknown": 1}


def test_undo_passes_handle_time_by(store, write):
    write(WED_10)
    actions.reply(store, 1, "Sent.", actor=AGENT, at=WED_10)
    actions.record_handling(store, 1, 60, 30, actor=AGENT, at=WED_10)
    actions.undo(store, actor=AGENT, at=WED_10)
    kinds = store.conn.execute("SELECT kind FROM events WHERE undone_by IS NOT NULL").fetchall()
    assert kinds == [("reply",)]
