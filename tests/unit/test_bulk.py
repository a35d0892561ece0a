"""A bulk change: one action per ticket, refusals skipped with their reason, one undo for all."""

from __future__ import annotations

import pytest

from deskterm import actions
from deskterm.actions import bulk
from deskterm.domain import Identity
from deskterm.store import Store

AGENT = "agent:bob"


@pytest.fixture
def tickets(store: Store, make_message, deliver) -> list[int]:
    deliver(
        *(
            make_message(subject=f"Parcel {n}", sender=Identity("email", f"b{n}@example.com"))
            for n in range(4)
        )
    )
    return [r[0] for r in store.conn.execute("SELECT id FROM tickets ORDER BY id")]


def statuses(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT status FROM tickets ORDER BY id")]


def test_a_bulk_resolve_skips_refusals_and_one_undo_takes_back_the_whole_batch(
    store: Store, tickets: list[int], now
) -> None:
    actions.resolve(store, tickets[1], actor=AGENT, at=now)
    seen: list[tuple[int, int]] = []

    result = bulk.run(
        store,
        tickets,
        lambda s, t: actions.resolve(s, t, actor=AGENT, at=now),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert statuses(store) == ["solved"] * 4
    assert result.changed == [tickets[0], tickets[2], tickets[3]]
    assert [t for t, _ in result.skipped] == [tickets[1]]
    assert result.summary("Resolved").startswith(
        f"Resolved 3 tickets; 1 skipped: ticket #{tickets[1]} "
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]

    actions.undo(store, actor=AGENT, at=now)
    assert statuses(store) == ["new", "solved", "new", "new"]
    # The resolve made before the batch is the next step back.
    actions.undo(store, actor=AGENT, at=now)
    assert statuses(store) == ["new"] * 4


def test_undo_batch_names_how_many_tickets_and_refuses_a_second_time(
    store: Store, tickets: list[int], now
) -> None:
    result = bulk.run(store, tickets, lambda s, t: actions.tag(s, t, "wismo", actor=AGENT, at=now))
    assert actions.undo_batch(store, result.batch, actor=AGENT, at=now) == 4
    assert store.conn.execute("SELECT COUNT(*) FROM ticket_tags").fetchone() == (0,)
    with pytest.raises(actions.ActionError, match="already been undone"):
        actions.undo_batch(store, result.batch, actor=AGENT, at=now)


def test_a_summary_names_three_skips_and_counts_the_rest() -> None:
    result = bulk.BulkResult("b", changed=[1], skipped=[(n, "no") for n in range(2, 7)])
    assert result.summary("Tagged") == "Tagged 1 ticket; 5 skipped: #2: no; #3: no; #4: no; 2 more"


def test_undo_of_a_batch_uses_the_batch_index(store: Store) -> None:
    plan = store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM events WHERE json_extract(data, '$.batch') = 'x'"
        " AND json_extract(data, '$.batch') IS NOT NULL"
    ).fetchall()
    assert "events_batch" in " ".join(str(row) for row in plan)
