"""The KPI cache: a report summed over it is the report computed from the tickets' facts, on
generated histories, at several moments (a cached clock that would breach later is computed
again), and a change to a ticket drops that ticket's cached rows and no other's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm import actions, macros
from deskterm.config import Config
from deskterm.domain import Identity, to_iso
from deskterm.metrics import cache, daily, report, summed
from deskterm.metrics.figures import Costs, Period
from deskterm.sla.settings import parse_sla
from deskterm.store import open_store

SLA = parse_sla(None)
ZONE = ZoneInfo("Europe/London")
COSTS = Costs(hourly=20.0)
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
# (minutes later, what happens): a customer's message, a reply by a person, a macro they applied
# or a rule, a status change, handle time, a rating, a tag.
STEPS = (
    "in",
    "reply:agent:anna",
    "reply:agent:bob",
    "reply:macro:thanks",
    "reply:rule:ack",
    "solved",
    "open",
    "pending",
    "handled:anna",
    "handled:bob",
    "rating",
    "tag",
)
CHANNELS = ("email", "ebay")


def insert(conn, ticket: int, channel: str, steps: list[tuple[int, str]]) -> None:
    """One ticket whose customer writes first, then each step, as the store holds it."""
    at = START + timedelta(hours=5 * ticket)
    events, status, message = [], "new", ticket * 100

    def event(actor: str, kind: str, data: dict) -> None:
        events.append((ticket, to_iso(at), actor, kind, json.dumps(data)))

    def write(direction: str) -> int:
        nonlocal message
        message += 1
        conn.execute(
            "INSERT INTO messages (id, ticket_id, account, external_id, direction, sent_at,"
            " created_at) VALUES (?, ?, 'shop', ?, ?, ?, ?)",
            (message, ticket, f"m{message}", direction, to_iso(at), to_iso(at)),
        )
        return message

    conn.execute(
        "INSERT INTO tickets (id, customer_id, account, channel, status, created_at, updated_at,"
        " last_message_at) VALUES (?, ?, 'shop', ?, 'new', ?, ?, ?)",
        (ticket, ticket % 2 + 1, channel, to_iso(at), to_iso(at), to_iso(at)),
    )
    event("sync:shop", "created", {"message": write("in")})
    for minutes, step in steps:
        at += timedelta(minutes=minutes)
        kind, _, who = step.partition(":")
        if kind == "in":
            event("sync:shop", "message_in", {"message": write("in")})
        elif kind == "reply":
            data = {"message": write("out")}
            if who.startswith("macro:"):
                data["agent"] = "carol"
            event(who, "reply", data)
        elif kind in ("solved", "open", "pending") and kind != status:
            event("agent:anna", "status", {"before": status, "after": kind})
            status = kind
        elif kind == "handled":
            event(f"agent:{who}", "handled", {"seconds": minutes * 7})
        elif kind == "rating":
            event("sync:shop", "rating", {"survey": "csat", "score": minutes % 5 + 1, "message": 0})
        elif kind == "tag":
            conn.execute("INSERT OR IGNORE INTO ticket_tags VALUES (?, 'wismo')", (ticket,))
    conn.executemany(
        "INSERT INTO events (ticket_id, at, actor, kind, data) VALUES (?, ?, ?, ?, ?)", events
    )
    conn.execute(
        "UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?", (status, to_iso(at), ticket)
    )


def uncached(store, period, now, by):
    facts, opened, measured = report.collect(store, period, SLA, now)
    return report.build(facts, opened, period, COSTS, ZONE, by, measured=measured)


histories = st.lists(
    st.tuples(
        st.sampled_from(CHANNELS),
        st.lists(st.tuples(st.integers(1, 2000), st.sampled_from(STEPS)), max_size=10),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(histories, st.sampled_from((None, "agent", "tag", "channel")), st.integers(0, 30))
def test_the_cached_report_is_the_computed_one(generated, by, hours_later):
    store = open_store(memory=True)
    with store.tx() as conn:
        conn.executemany(
            "INSERT INTO customers (id, name, created_at) VALUES (?, 'c', ?)",
            [(1, to_iso(START)), (2, to_iso(START))],
        )
        for n, (channel, steps) in enumerate(generated, start=1):
            insert(conn, n, channel, steps)
    # The first report fills the cache; the later ones, at later moments, reuse what still holds.
    for now in (
        START + timedelta(days=4),
        START + timedelta(days=4, hours=hours_later),
        START + timedelta(days=12, hours=hours_later),
    ):
        period = Period(now - timedelta(days=3), now)
        fast, exact = (
            summed.build(store, period, SLA, now, COSTS, ZONE, by),
            uncached(store, period, now, by),
        )
        if by is None:
            assert daily.differences(fast, exact) == []
        else:
            assert fast == exact
    store.close()


def test_a_change_drops_that_tickets_cached_rows_only(store, make_message, deliver):
    at = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    for sender in ("a@example.com", "b@example.com"):
        deliver(make_message(sent_at=at, sender=Identity("email", sender)), at=at)
    period = Period(at - timedelta(days=1), at + timedelta(days=1))
    summed.build(store, period, SLA, period.end, COSTS, ZONE)
    cached = "SELECT ticket_id FROM kpi_tickets ORDER BY 1"
    assert [r[0] for r in store.conn.execute(cached)] == [1, 2]

    actions.reply(store, 2, "On its way.", actor="agent:anna", at=at + timedelta(hours=1))

    assert [r[0] for r in store.conn.execute(cached)] == [1]
    built = summed.build(store, period, SLA, period.end, COSTS, ZONE, "agent")
    assert built == uncached(store, period, period.end, "agent")
    assert built.groups[0].current["first_reply_median"] == 3600
    assert [(g.value, g.current["first_reply_median"]) for g in built.groups[1:]] == [
        ("anna", 3600),
        ("unassigned", None),
    ]
    assert [r[0] for r in store.conn.execute(cached)] == [1, 2]


def test_a_macros_reply_is_credited_to_the_agent_who_applied_it(
    store, make_message, deliver, tmp_path
):
    at = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    deliver(make_message(sent_at=at), at=at)
    (tmp_path / "on-its-way.toml").write_text('reply = "It is on its way."\n', encoding="utf-8")
    item = macros.load_macros(tmp_path).get("on-its-way")
    macros.apply(item, store, 1, "bob", config=Config(agent="bob"), at=at + timedelta(hours=2))
    data = store.conn.execute("SELECT actor, data FROM events WHERE kind = 'reply'").fetchone()
    assert (data[0], json.loads(data[1])["agent"]) == ("macro:on-its-way", "bob")

    period = Period(at - timedelta(days=1), at + timedelta(days=1))
    built = summed.build(store, period, SLA, period.end, COSTS, ZONE, "agent")
    assert built == uncached(store, period, period.end, "agent")
    assert [(g.value, g.current["first_reply_median"]) for g in built.groups[1:]] == [("bob", 7200)]


def test_a_ticket_changed_while_its_figures_were_computed_is_not_cached(
    store, make_message, deliver, monkeypatch
):
    at = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    for sender in ("a@example.com", "b@example.com"):
        deliver(make_message(sent_at=at, sender=Identity("email", sender)), at=at)
    computing = cache.ticket_facts

    def meanwhile(rows, *args):
        if rows.ticket[0] == 2:
            actions.reply(store, 2, "On its way.", actor="agent:anna", at=at + timedelta(hours=1))
        return computing(rows, *args)

    monkeypatch.setattr(cache, "ticket_facts", meanwhile)
    assert cache.refresh(store, [1, 2], SLA, at + timedelta(days=1), ZONE) == 2
    cached = [r[0] for r in store.conn.execute("SELECT ticket_id FROM kpi_tickets")]
    assert cached == [1]
