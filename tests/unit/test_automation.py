"""Rules: loaded and checked as files, run in ingest's transaction and in the time pass, explained."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import actions, automation
from deskterm.automation.conditions import holds
from deskterm.domain import Batch, Identity, OrderSnapshot
from deskterm.store import Store
from tests.unit.test_connector_calls import FakeChannel, shop  # noqa: F401 (a fixture)

MONDAY_10 = "2026-11-23T10:00:00+00:00"


def rules_of(*texts: str) -> automation.RuleSet:
    result = automation.RuleSet()
    for text in texts:
        rule = automation.parse_rule(text)
        result.rules[rule.name] = rule
    return result


def events(store: Store, ticket_id: int) -> list[tuple[str, str]]:
    return store.conn.execute(
        "SELECT actor, kind FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    ).fetchall()


def ingest(store: Store, rules: automation.RuleSet, *messages, at=None, orders=()):
    from deskterm import ingest as ingesting
    from tests.conftest import NOW

    ingesting.ingest_batch(
        store,
        messages[0].account,
        Batch(list(messages), {}, orders=list(orders)),
        now=at or NOW,
        rules=rules,
    )
    return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]


WISMO = """
name = "wismo"
when = ["ticket_created", "customer_message"]
then = [{ tag = "wismo" }, { priority = "high" }, { assign = "anna" }]
if.all = [{ field = "channel", is = "email" }]
if.any = [{ field = "subject", contains = "where is my order" }, { field = "body", matches = "tracking" }]
"""


def test_every_stock_rule_loads_clean() -> None:
    rules = automation.load_rules(Path("/nonexistent"), stock=True)
    assert not rules.problems
    assert {
        "out-of-hours",
        "pending-reminder",
        "pending-solve",
        "breach-warning",
        "delayed-order",
        "feedback-request",
        "vip-order-value",
    } <= set(rules.rules)


TAG_A = 'name = "x"\nwhen = "ticket_created"\nthen = [{ tag = "a" }]'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\nwhen = ["never"]\nthen = [{ tag = "a" }]', "when must name"),
        ('name = "x"\nwhen = ["ticket_created"]\nthen = [{ tga = "a" }]', "did you mean 'tag'"),
        ('name = "x"\nwhen = ["ticket_created"]\nthen = []', "at least one action"),
        ('name = "x"\nwhen = "ticket_created"\nthen = [{ status = "gone" }]', "unknown status"),
        (
            TAG_A + '\nif.all = [{ field = "chanel", is = "a" }]',
            "did you mean 'channel'",
        ),
        (
            TAG_A + '\nif.all = [{ field = "order_total", gte = "lots" }]',
            "needs a number",
        ),
        (
            TAG_A + '\nif.all = [{ field = "body", matches = "(" }]',
            "not a regular expression",
        ),
        ('name = "x"\nwhen = "ticket_created"\nthen = [{ snooze = "soon" }]', "snooze"),
    ],
)
def test_a_broken_rule_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(automation.RuleError, match=message):
        automation.parse_rule(text)


def test_a_rule_that_would_loop_on_itself_is_refused_at_load() -> None:
    looping = 'name = "x"\nwhen = ["ticket_updated"]\nthen = [{ tag = "seen" }]'
    with pytest.raises(automation.RuleError, match="would fire again"):
        automation.parse_rule(looping)
    timed = (
        'name = "x"\nwhen = ["schedule"]\nthen = [{ status = "solved" }]\n'
        'if.all = [{ field = "status", is = "pending" }]'
    )
    assert automation.parse_rule(timed).name == "x"


def test_bad_files_in_the_users_folder_are_reported_and_the_good_ones_load(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(WISMO)
    (tmp_path / "bad.toml").write_text("when = [")
    rules = automation.load_rules(tmp_path)
    assert list(rules.rules) == ["wismo"]
    assert "not valid TOML" in rules.problems[0].message


@pytest.mark.parametrize(
    ("op", "actual", "expected", "result"),
    [
        ("is", "email", "EMAIL", True),
        ("is", "email", ["ebay", "email"], True),
        ("is_not", None, "x", True),
        ("in", "ebay", ["ebay", "amazon"], True),
        ("not_in", "ebay", ["ebay"], False),
        ("contains", "Where is my ORDER?", ["refund", "my order"], True),
        ("matches", "order #1042", r"#\d{4}", True),
        ("has", frozenset({"vip"}), "vip", True),
        ("lacks", frozenset({"vip"}), "vip", False),
        ("gte", 500.0, 500, True),
        ("lt", 3, 2, False),
        ("gt", None, 1, False),
        ("is", False, False, True),
        ("is", True, False, False),
    ],
)
def test_each_operator(op: str, actual, expected, result: bool) -> None:
    assert holds(op, actual, expected) is result


def test_an_event_rule_acts_in_ingest_with_its_name_on_every_event(
    store: Store, make_message
) -> None:
    ticket = ingest(store, rules_of(WISMO), make_message())
    assert events(store, ticket) == [
        ("sync:mail", "created"),
        ("rule:wismo", "tag"),
        ("rule:wismo", "priority"),
        ("rule:wismo", "assign"),
    ]
    row = store.conn.execute("SELECT priority, assignee FROM tickets").fetchone()
    assert row == ("high", "anna")


def test_a_rule_that_does_not_match_does_nothing(store: Store, make_message) -> None:
    ticket = ingest(store, rules_of(WISMO), make_message(subject="Invoice", text="Please send it"))
    assert events(store, ticket) == [("sync:mail", "created")]


def test_order_value_and_customer_spend_route_vip(store: Store, make_message, now) -> None:
    vip = automation.load_rules(Path("/nonexistent"), stock=True).get("vip-order-value")
    order = OrderSnapshot(
        account="shop",
        external_id="o-1",
        number="#1042",
        total="650.00",
        customer=Identity("email", "anna@example.com"),
        status="paid",
        placed_at=now,
    )
    rules = automation.RuleSet({"vip-order-value": vip})
    ticket = ingest(store, rules, make_message(order_numbers=("#1042",)), orders=[order])
    assert ("rule:vip-order-value", "tag") in events(store, ticket)
    small = ingest(store, rules, make_message(sender=Identity("email", "bo@example.com")))
    assert ("rule:vip-order-value", "tag") not in events(store, small)


def test_two_rules_undoing_each_other_stop_at_depth_ten(store: Store, make_message) -> None:
    start = 'name = "start"\nwhen = "ticket_created"\nthen = [{ tag = "ping" }]'
    ping = """name = "ping"\nwhen = "ticket_updated"\nthen = [{ untag = "ping" }, { tag = "pong" }]
if.all = [{ field = "tags", has = "ping" }]"""
    pong = """name = "pong"\nwhen = "ticket_updated"\nthen = [{ untag = "pong" }, { tag = "ping" }]
if.all = [{ field = "tags", has = "pong" }]"""
    rules = rules_of(start, ping, pong)
    engine = automation.Engine(store, rules)
    ticket = ingest(store, automation.RuleSet(), make_message())
    engine.on_event("ticket_created", [ticket], engine_now())
    assert max(f.depth for f in engine.fired) == 9
    assert engine.stopped == [ticket]


def engine_now():
    from tests.conftest import NOW

    return NOW


def test_a_refund_in_a_rule_is_proposed_not_run(
    store: Store,
    shop: FakeChannel,  # noqa: F811 (the fixture imported above)
    make_message,
) -> None:
    refund = """name = "refund-damaged"\nwhen = "ticket_created"
then = [{ propose = "fakeshop.refund", params = { params = { order = "1042" } } }]"""
    rules = rules_of(refund)
    msg = make_message(account="shop", channel="shopify")
    ticket = ingest(store, rules, msg)
    row = store.conn.execute("SELECT status, proposed_by FROM connector_calls").fetchone()
    assert row == ("proposed", "rule:refund-damaged")
    assert shop.requests == []
    assert ("rule:refund-damaged", "connector_proposed") in events(store, ticket)


AUTO = """name = "ack"\nwhen = ["ticket_created", "customer_message"]
then = [{ auto_reply = "We got it, {{ customer.first_name }}.", per_ticket = 1, per_sender_per_day = 2 }]"""


def outbox(store: Store) -> list[dict]:
    return [json.loads(p) for (p,) in store.conn.execute("SELECT payload FROM outbox ORDER BY id")]


def test_an_auto_reply_is_marked_automatic_and_sent_once_per_ticket(
    store: Store, make_message
) -> None:
    rules = rules_of(AUTO)
    first = make_message()
    ingest(store, rules, first)
    ingest(store, rules, make_message(in_reply_to=first.message_id))
    sent = outbox(store)
    assert len(sent) == 1
    assert sent[0]["automatic"] is True
    assert sent[0]["body"] == "We got it, Anna."


@pytest.mark.parametrize(
    "fields",
    [
        {"automatic": True},
        {"sender": Identity("email", "no-reply@shop.example")},
        {"sender": Identity("email", "MAILER-DAEMON@mx.example")},
    ],
)
def test_no_auto_reply_to_machines_lists_or_noreply_senders(
    store: Store, make_message, fields
) -> None:
    ingest(store, rules_of(AUTO), make_message(**fields))
    assert outbox(store) == []


def test_at_most_n_auto_replies_per_sender_per_day(store: Store, make_message) -> None:
    rules = rules_of(AUTO)
    for n in range(3):
        ingest(store, rules, make_message(subject=f"question {n}"))
    assert len(outbox(store)) == 2


def test_the_auto_reply_in_the_compose_carries_auto_submitted() -> None:
    from deskterm.connectors.email.compose import build_reply
    from deskterm.domain import Outbound

    outbound = Outbound(
        1,
        1,
        "mail",
        "email",
        Identity("email", "a@example.com"),
        "Re: x",
        "hi",
        "<k@x>",
        "k",
        automatic=True,
    )
    assert build_reply(outbound, "shop@example.com")["Auto-Submitted"] == "auto-replied"
    person = Outbound(
        1, 1, "mail", "email", Identity("email", "a@example.com"), "Re: x", "hi", "<k@x>", "k"
    )
    assert build_reply(person, "shop@example.com")["Auto-Submitted"] is None


OUT_OF_HOURS = """name = "closed"\nwhen = "ticket_created"
then = [{ auto_reply = "Closed until {{ opens_at.strftime('%A %H:%M') }}." }]
if.all = [{ field = "business_hours", is = false }]"""


def test_the_out_of_hours_answer_goes_only_while_closed_and_says_when_we_open(
    store: Store, make_message, now
) -> None:
    rules = rules_of(OUT_OF_HOURS)
    saturday = now + timedelta(days=1)
    ingest(store, rules, make_message(sent_at=saturday), at=saturday)
    assert outbox(store)[0]["body"] == "Closed until Monday 09:00."
    ingest(store, rules, make_message(sender=Identity("email", "c@example.com")), at=now)
    assert len(outbox(store)) == 1


REMIND = """name = "remind"\nwhen = "schedule"
then = [{ note = "reminder due" }, { tag = "reminded" }]
if.all = [{ field = "status", is = "pending" }, { field = "hours_since_status_change", gte = 72 },
          { field = "tags", lacks = "reminded" }]"""


def test_a_time_rule_fires_once_until_a_change_re_arms_it(store: Store, make_message, now) -> None:
    ticket = ingest(store, automation.RuleSet(), make_message())
    actions.set_status(store, ticket, "pending", actor="agent:sam", at=now)
    engine = automation.Engine(store, rules_of(REMIND))
    assert engine.on_schedule(now + timedelta(hours=71)) == []
    assert len(engine.on_schedule(now + timedelta(hours=73))) == 1
    assert engine.on_schedule(now + timedelta(hours=74)) == []
    actions.untag(store, ticket, "reminded", actor="agent:sam", at=now + timedelta(hours=75))
    assert len(engine.on_schedule(now + timedelta(hours=76))) == 1
    notes = store.conn.execute(
        "SELECT count(*) FROM events WHERE actor = 'rule:remind' AND kind = 'note'"
    ).fetchone()
    assert notes == (2,)


def test_explain_shows_each_condition_value_and_that_a_time_rule_waits(
    store: Store, make_message, now
) -> None:
    ticket = ingest(store, automation.RuleSet(), make_message())
    actions.set_status(store, ticket, "pending", actor="agent:sam", at=now)
    engine = automation.Engine(store, rules_of(REMIND, WISMO))
    engine.on_schedule(now + timedelta(hours=73))
    explained = {
        r.name: (v, note) for r, v, note in engine.explain(ticket, now + timedelta(hours=74))
    }
    verdict, note = explained["remind"]
    assert not verdict.matched and "waits for a change" in note
    assert "[no] tags lacks 'reminded'" in verdict.checks[2].describe()
    assert "hours_since_status_change gte 72 (is 74.0)" in verdict.checks[1].describe()
    assert explained["wismo"][0].matched


def test_rule_actions_in_ingest_leave_the_sla_clocks_as_a_refresh_would(
    store: Store, make_message, now
) -> None:
    from deskterm.sla import clocks

    pend = 'name = "pend"\nwhen = "ticket_created"\nthen = [{ status = "pending" }]'
    ticket = ingest(store, rules_of(pend), make_message())
    stored = store.conn.execute("SELECT status, next_deadline, sla_state FROM tickets").fetchone()
    with store.tx() as conn:
        clocks.refresh(conn, [ticket], now)
    assert stored[0] == "pending"
    assert store.conn.execute(
        "SELECT status, next_deadline, sla_state FROM tickets"
    ).fetchone() == (stored)


def test_a_time_rule_whose_status_list_includes_its_own_target_is_refused() -> None:
    text = (
        'name = "x"\nwhen = "schedule"\nthen = [{ status = "solved" }]\n'
        'if.all = [{ field = "status", in = ["pending", "solved"] }]'
    )
    with pytest.raises(automation.RuleError, match="would fire again"):
        automation.parse_rule(text)


def test_the_time_pass_asks_the_database_only_for_tickets_that_can_match(
    store: Store, make_message, now
) -> None:
    from deskterm.store import automation as reads

    for n in range(3):
        ingest(store, automation.RuleSet(), make_message(sender=Identity("email", f"{n}@x.io")))
    actions.set_status(store, 2, "pending", actor="agent:sam", at=now)
    rule = rules_of(REMIND).get("remind")
    tests = [reads.narrowing(c.field, c.op, c.value, now) for c in rule.all]
    assert all(tests)
    assert reads.candidates(store.conn, [t for t in tests if t]) == []
    later = now + timedelta(hours=73)
    tests = [reads.narrowing(c.field, c.op, c.value, later) for c in rule.all]
    assert reads.candidates(store.conn, [t for t in tests if t]) == [2]
