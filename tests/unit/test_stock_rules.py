"""The stock rules do what the support playbooks ask: follow-ups, escalations, order messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deskterm import actions, automation, ingest
from deskterm.demo_shop import SCENARIOS
from deskterm.domain import Batch, Fulfillment, Identity, OrderSnapshot
from deskterm.store import Store

ANNA = Identity("email", "anna@example.com")


@pytest.fixture
def engine(store: Store) -> automation.Engine:
    return automation.Engine(store, automation.load_rules(Path("/nonexistent"), stock=True))


def replies(store: Store) -> list[str]:
    return [json.loads(p)["body"] for (p,) in store.conn.execute("SELECT payload FROM outbox")]


def fired(engine: automation.Engine, now: datetime) -> list[tuple[str, int]]:
    # A week-old ticket has breached its SLA too; breach-warning has its own test.
    return [(f.rule, f.ticket_id) for f in engine.on_schedule(now) if f.rule != "breach-warning"]


def order_ticket(store: Store, make_message, now: datetime, **order_fields) -> int:
    order = OrderSnapshot(
        account="shop",
        external_id="o-1",
        number="#1042",
        customer=ANNA,
        status="paid",
        **order_fields,
    )
    msg = make_message(order_numbers=("#1042",), sent_at=now - timedelta(days=7))
    batch = Batch([msg], {}, orders=[order])
    ingest.ingest_batch(
        store, "mail", batch, now=now - timedelta(days=7), rules=automation.RuleSet()
    )
    return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]


def test_an_order_not_shipped_in_three_business_days_gets_one_apology(
    store: Store, engine, make_message, now
) -> None:
    monday = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    order_ticket(store, make_message, now, placed_at=monday)
    assert fired(engine, datetime(2026, 11, 18, 12, 0, tzinfo=UTC)) == []  # Wednesday: 2 days
    assert fired(engine, now) == [("delayed-order", 1)]  # Friday: 4 business days
    assert "your order #1042 has not left our warehouse" in replies(store)[0]
    assert fired(engine, now + timedelta(hours=1)) == []


def test_a_shipped_order_gets_no_apology(store: Store, engine, make_message, now) -> None:
    monday = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    order_ticket(store, make_message, now, placed_at=monday, fulfillment_status="fulfilled")
    assert fired(engine, now) == []


def test_a_delivered_order_on_a_solved_ticket_gets_a_feedback_request_after_five_days(
    store: Store, engine, make_message, now
) -> None:
    delivered = Fulfillment("f-1", delivery="delivered", delivered_at=now - timedelta(days=6))
    ticket = order_ticket(
        store,
        make_message,
        now,
        placed_at=now - timedelta(days=9),
        fulfillment_status="fulfilled",
        fulfillments=(delivered,),
    )
    assert fired(engine, now) == []
    actions.set_status(store, ticket, "solved", actor="agent:sam", at=now)
    assert fired(engine, now + timedelta(minutes=5)) == [("feedback-request", ticket)]
    assert "How did it go?" in replies(store)[0]


def test_pending_three_days_reminds_then_seven_days_solves(
    store: Store, engine, make_message, deliver, now
) -> None:
    deliver(make_message(), at=now)
    actions.set_status(store, 1, "pending", actor="agent:sam", at=now)
    assert fired(engine, now + timedelta(hours=71)) == []
    assert fired(engine, now + timedelta(hours=73)) == [("pending-reminder", 1)]
    assert "we are waiting for your answer" in replies(store)[0]
    assert fired(engine, now + timedelta(hours=100)) == []
    assert fired(engine, now + timedelta(hours=169)) == [("pending-solve", 1)]
    assert store.conn.execute("SELECT status FROM tickets").fetchone() == ("solved",)


def test_a_breach_warning_raises_priority_and_escalates(
    store: Store, engine, make_message, deliver, now
) -> None:
    deliver(make_message(), at=now)
    store.conn.execute("UPDATE tickets SET sla_state = 'warning'")
    assert [(f.rule, f.ticket_id) for f in engine.on_schedule(now)] == [("breach-warning", 1)]
    row = store.conn.execute("SELECT priority, escalation FROM tickets").fetchone()
    assert row == ("urgent", 1)
    kinds = store.conn.execute(
        "SELECT kind FROM events WHERE actor = 'rule:breach-warning' ORDER BY id"
    ).fetchall()
    assert kinds == [("priority",), ("escalate",)]


def test_the_time_pass_runs_at_most_once_a_minute(store: Store, monkeypatch, tmp_path, now):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "solve.toml").write_text(
        'name = "solve"\nwhen = "schedule"\nthen = [{ status = "solved" }]\n'
        'if.all = [{ field = "status", is = "new" }]'
    )
    monkeypatch.setenv("DESKTERM_RULES", str(folder))
    assert automation.tick(store, now) == []
    ingest.ingest_batch(store, "mail", Batch([_message()], {}), now=now, rules=automation.RuleSet())
    assert automation.tick(store, now + timedelta(seconds=30)) == []
    assert [f.rule for f in automation.tick(store, now + timedelta(seconds=61))] == ["solve"]


def _message():
    from deskterm.domain import InboundMessage

    return InboundMessage(
        account="mail",
        external_id="x-1",
        channel="email",
        sender=ANNA,
        sender_name="Anna",
        sent_at=datetime(2026, 11, 20, 11, 0, tzinfo=UTC),
        subject="Hello",
        text="Hi",
    )


def test_the_demo_builds_the_same_whatever_rules_the_user_has(
    store: Store, monkeypatch, tmp_path, now
) -> None:
    from deskterm.demo import build_demo

    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mine.toml").write_text(
        'name = "mine"\nwhen = ["ticket_created", "ticket_updated", "reply_sent"]\n'
        'then = [{ tag = "mine" }]\nif.all = [{ field = "tags", lacks = "mine" }]\n'
    )
    monkeypatch.setenv("DESKTERM_RULES", str(folder))
    build_demo(store, seed=3, now=now, tickets=60)
    by_rules = dict(
        store.conn.execute(
            "SELECT actor, count(*) FROM events WHERE actor LIKE 'rule:%' GROUP BY actor"
        ).fetchall()
    )
    assert "rule:mine" not in by_rules
    assert by_rules["rule:wismo-keywords"] > 0
    untagged = store.conn.execute(
        "SELECT count(*) FROM tickets t WHERE NOT EXISTS"
        " (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id)"
    ).fetchone()
    assert untagged == (0,)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.tag)
def test_the_stock_keyword_rules_tag_and_raise_each_kind_of_demo_message(
    store: Store, deliver, make_message, scenario, now
) -> None:
    from deskterm.demo import demo_rules

    engine = automation.Engine(store, demo_rules())
    tickets = []
    for n, template in enumerate(scenario.opening):
        # As an Amazon relay hands it over: a subject of no help, only the words count.
        subject = "Inquiry from Amazon customer Anna (Order: 123-4567890-1234567)"
        text = template.format(
            order="#1042", item="Down vest", placed="01 November", tracking="1Z999", carrier="UPS"
        )
        sender = Identity("email", f"buyer{n}@example.com")
        deliver(make_message(subject=subject, text=text, sender=sender), at=now)
        tickets.append(store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0])
    engine.on_event("ticket_created", tickets, now)

    for ticket in tickets:
        tags = {
            t
            for (t,) in store.conn.execute(
                "SELECT tag FROM ticket_tags WHERE ticket_id = ?", (ticket,)
            )
        }
        priority = store.conn.execute(
            "SELECT priority FROM tickets WHERE id = ?", (ticket,)
        ).fetchone()[0]
        assert (tags, priority) == ({scenario.tag}, scenario.priority.value)


def test_the_stock_out_of_hours_answer_names_an_order_that_has_no_tracking_link_yet(
    store: Store, make_message, now
) -> None:
    closed = automation.RuleSet({"out-of-hours": automation.load_stock_rules().get("out-of-hours")})
    saturday = now + timedelta(days=1)
    order = OrderSnapshot(
        account="shop",
        external_id="o-1",
        number="#1042",
        customer=ANNA,
        status="processing",
        placed_at=now - timedelta(days=2),
    )
    msg = make_message(order_numbers=("#1042",), sent_at=saturday)
    ingest.ingest_batch(store, "mail", Batch([msg], {}, orders=[order]), now=saturday, rules=closed)

    [body] = replies(store)
    assert "We are closed right now and back on Monday 09:00." in body
    assert "Your order #1042 is processing." in body
