"""Every term of the search language finds its tickets through an index or a full-text index.

A term that made SQLite read the whole tickets table (or every customer) would be a slow user at
100,000 tickets; here it is a failing test. The plans come from EXPLAIN QUERY PLAN of the very
statement `deskterm list` and the queue run.
"""

from __future__ import annotations

import re

import pytest

from deskterm.store import Store, queries
from deskterm.store.filters import parse
from tests.conftest import NOW

# A full-text match shows as a scan of the virtual table with a MATCH constraint (":M").
MATCHES = "VIRTUAL TABLE INDEX 0:M"
# query -> what its plan must use: an index, or the full-text tables
SHAPES: dict[str, tuple[str, ...] | str] = {
    "is:active": "tickets_queue",
    "status:open": "tickets_status",
    "channel:ebay": "tickets_channel",
    "account:shop-mail": "tickets_account",
    "tag:wismo": "ticket_tags_tag",
    "tag:wismo tag:vip": "ticket_tags_tag",
    "from:anna": (f"SCAN customers_fts {MATCHES}", f"SCAN f {MATCHES}", "SEARCH i USING INTEGER"),
    "from:anna@example": (f"SCAN customers_fts {MATCHES}", f"SCAN f {MATCHES}"),
    # The sender's tickets first, then their messages among the matching rowids (not each
    # matching message's row).
    "from:anna refund": (
        f"SCAN customers_fts {MATCHES}",
        "SEARCH t USING INDEX tickets_customer",
        "SEARCH m USING COVERING INDEX messages_ticket",
        f"SCAN messages_fts {MATCHES}",
    ),
    "refund damaged": (f"SCAN f {MATCHES}", "SEARCH m USING INTEGER PRIMARY KEY"),
    "assignee:zoe": "tickets_assignee",
    "assignee:none": "tickets_assignee",
    "is:mine": "tickets_assignee",
    "is:unassigned": "tickets_assignee",
    "priority:urgent,high": "tickets_priority",
    "is:breached": "tickets_sla_state",
    "is:escalated": "tickets_escalated",
    "is:snoozed": "tickets_snoozed",
    "is:merged": "tickets_merged",
    "older:2h": "tickets_created",
    "newer:1d": "tickets_created",
    "idle:3d": "tickets_last_message",
    "id:42": "INTEGER PRIMARY KEY",
    "order:#1042": "tickets_order",
}


def plan_rows(store: Store, query: str, *, active_only: bool) -> list[tuple[int, int, str]]:
    """(id, parent id, step) of the queue's plan for `query`, a page of 100."""
    flt = parse(query, me="zoe", active_only=active_only)
    sql, params = queries.queue_sql(flt, NOW, queries.Sort.DEADLINE, None)
    rows = store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", [*params, 100, 0])
    return [(row[0], row[1], row[3]) for row in rows]


def plan(store: Store, query: str, *, active_only: bool) -> list[str]:
    return [step for _, _, step in plan_rows(store, query, active_only=active_only)]


@pytest.mark.parametrize("query", list(SHAPES))
def test_each_term_reads_through_its_index(store: Store, query: str) -> None:
    steps = plan(store, query, active_only=False)
    wanted = SHAPES[query]
    for part in (wanted,) if isinstance(wanted, str) else wanted:
        assert any(part in step for step in steps), (part, steps)
    # No table read from end to end: tickets, customers, identities, tags, messages, orders.
    assert not [step for step in steps if re.fullmatch(r"SCAN [tcigmo]", step)], steps


def test_the_queue_pages_in_index_order_without_sorting(store: Store) -> None:
    rows = plan_rows(store, "", active_only=True)
    # The page's tickets are picked walking the index in order (only the 100 picked are sorted
    # again once their columns are read).
    picking = next(node for node, _, step in rows if step == "MATERIALIZE p")
    inner = [step for _, parent, step in rows if parent == picking]
    assert inner == ["SCAN t USING INDEX tickets_queue"], rows


def test_a_text_search_in_the_queue_walks_the_queue_index(store: Store) -> None:
    rows = plan_rows(store, "refund lamp", active_only=True)
    picking = next(node for node, _, step in rows if step == "MATERIALIZE p")
    inner = [step for _, parent, step in rows if parent == picking]
    assert inner[0] == "SCAN t USING INDEX tickets_queue", rows
    assert "USE TEMP B-TREE FOR ORDER BY" not in inner, rows


@pytest.mark.parametrize(
    ("query", "active_only"), [("from:anna refund", False), ("refund lamp", True)]
)
def test_a_sender_or_a_queue_page_with_words_reads_no_matching_message_row(
    store: Store, query: str, active_only: bool
) -> None:
    """Each matching message's row is a page read: at 100,000 messages, 250 ms for `refund`."""
    steps = plan(store, query, active_only=active_only)
    assert not [step for step in steps if step.startswith("SEARCH m USING INTEGER")], steps
    assert "SEARCH m USING COVERING INDEX messages_ticket (ticket_id=?)" in steps, steps
