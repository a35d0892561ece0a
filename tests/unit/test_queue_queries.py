"""The search language and keyset-paged queue reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskterm import actions
from deskterm.domain import Identity
from deskterm.store import Store, fulltext, queries
from deskterm.store.filters import FilterError, fts_query, parse

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def filled(store: Store, make_message, deliver) -> Store:
    deliver(make_message(subject="Parcel damaged", text="The box was crushed"))
    deliver(
        make_message(
            account="ebay",
            channel="ebay",
            sender=Identity("ebay", "bob_buyer"),
            sender_name="Bob Brown",
            subject="Where is it",
            text="Tracking has not moved",
        )
    )
    deliver(make_message(sender=Identity("email", "cat@example.com"), subject="Refund please"))
    actions.tag(store, 1, "damaged", actor="agent:anna", at=NOW)
    actions.assign(store, 2, "anna", actor="agent:anna", at=NOW)
    actions.resolve(store, 3, actor="agent:anna", at=NOW)
    return store


def ids(store: Store, query: str, **kwargs) -> list[int]:
    flt = parse(query, me="anna", **kwargs)
    return sorted(r.id for r in queries.queue_page(store, flt, NOW, limit=100))


def test_queue_shows_only_active_tickets_unless_a_status_is_named(filled: Store) -> None:
    assert ids(filled, "") == [1, 2]
    assert ids(filled, "status:solved") == [3]
    assert ids(filled, "", active_only=False) == [1, 2, 3]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel:ebay", [2]),
        ("tag:damaged", [1]),
        ("-tag:damaged", [2]),
        ("from:bob", [2]),
        ("from:anna@", [1]),
        ("is:mine", [2]),
        ("is:unassigned", [1]),
        ("assignee:none", [1]),
        ("crushed", [1]),
        ("track", [2]),
        ("older:1d", []),
        ("newer:1d", [1, 2]),
        ("id:2", [2]),
        ("channel:EBay", [2]),
        ("Channel:ebay", [2]),
        ("tag:damaged,wismo", [1]),
        ("tag:damaged tag:wismo", []),
        ("is:mine,unassigned", [1, 2]),
        ("is:mine is:unassigned", []),
        ("crushed OR moved", [1, 2]),
        ("crushed moved", []),
        ("from:anna crushed", [1]),
        ("from:bob crushed", []),
        ("from:anna,bob crushed OR track", [1, 2]),
        ("-from:bob crushed", [1]),
    ],
)
def test_search_terms_narrow_the_queue(filled: Store, query: str, expected: list[int]) -> None:
    assert ids(filled, query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status:done", "status:done is unknown"),
        ("colour:red", "colour: is not a search key"),
        ("older:soon", "is not a duration"),
        ("is:happy", "is:happy is unknown"),
        ('"unclosed', "cannot read the query"),
        ("tag:", "needs a value"),
    ],
)
def test_bad_queries_name_the_problem(query: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse(query)


def test_free_text_cannot_inject_fts_syntax() -> None:
    assert fts_query(('NEAR("a"', "OR")) == '"NEAR(""a"""* "OR"*'
    assert fts_query(("OR", "a", "OR", "OR", "b")) == '"OR"* "a"* OR "OR"* "b"*'


def test_keyset_pages_walk_every_ticket_once_in_deadline_order(
    store: Store, make_message, deliver
) -> None:
    for n in range(25):
        deliver(
            make_message(
                sender=Identity("email", f"c{n}@example.com"),
                sent_at=NOW - timedelta(hours=n % 7, minutes=n),
            )
        )
    flt = parse("")
    seen, after = [], None
    while True:
        page = queries.queue_page(store, flt, NOW, limit=4, after=after)
        if not page:
            break
        seen.extend(page)
        after = page[-1].key
    assert len({r.id for r in seen}) == 25 == queries.queue_count(store, flt, NOW)
    keys = [r.key for r in seen]
    assert keys == sorted(keys)


def test_queue_rows_carry_what_the_queue_shows(filled: Store) -> None:
    row = queries.queue_page(filled, parse("id:1"), NOW)[0]
    assert row.customer == "Anna Adams"
    assert row.tag_list == ["damaged"]
    assert row.status == "new"


def test_full_text_search_finds_solved_tickets_too(filled: Store) -> None:
    hits = fulltext.search(filled, ("refund",))
    assert [h["id"] for h in hits] == [3]
    assert "«Refund»" in hits[0]["snippet"]


def test_the_queue_query_uses_the_queue_index(filled: Store) -> None:
    where, params = parse("").where(NOW)
    plan = filled.conn.execute(
        "EXPLAIN QUERY PLAN SELECT t.id FROM tickets t WHERE "
        + where
        + " ORDER BY COALESCE(t.next_deadline, '9999'), t.created_at, t.id LIMIT 50",
        params,
    ).fetchall()
    assert any("tickets_queue" in row[-1] for row in plan), plan
