"""What rules read and remember: one row of facts per ticket, and which time rule fired where."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from deskterm.domain import from_iso, to_iso
from deskterm.store import meta

# Everything a condition can test, one row per ticket; moments stay ISO text for the caller.
_FACTS = """
SELECT t.id, t.channel, t.account, t.subject, t.status, t.priority, t.assignee, t.sla_state,
  t.created_at,
  (SELECT group_concat(g.tag, ' ') FROM ticket_tags g WHERE g.ticket_id = t.id),
  m.author_addr, m.text, m.automatic, m.sent_at,
  (SELECT max(r.sent_at) FROM messages r WHERE r.ticket_id = t.id AND r.direction = 'out'),
  (SELECT max(e.at) FROM events e WHERE e.ticket_id = t.id AND e.kind = 'status'),
  o.total, o.currency, o.status, o.financial_status, o.fulfillment_status, o.placed_at,
  (SELECT max(json_extract(f.value, '$.delivered_at')) FROM json_each(o.fulfillments) f),
  (SELECT count(*) FROM orders c WHERE c.customer_id = t.customer_id),
  (SELECT total(CAST(c.total AS REAL)) FROM orders c WHERE c.customer_id = t.customer_id),
  t.lang, t.intent, t.mood, m.intent
FROM tickets t
LEFT JOIN messages m ON m.id = (
  SELECT x.id FROM messages x WHERE x.ticket_id = t.id AND x.direction = 'in'
  ORDER BY x.sent_at DESC, x.id DESC LIMIT 1)
LEFT JOIN orders o ON o.id = t.order_id
"""

FACT_COLUMNS = (
    "id",
    "channel",
    "account",
    "subject",
    "status",
    "priority",
    "assignee",
    "sla_state",
    "created_at",
    "tags",
    "sender",
    "body",
    "automatic",
    "customer_message_at",
    "reply_at",
    "status_changed_at",
    "order_total",
    "order_currency",
    "order_status",
    "order_financial_status",
    "order_fulfillment_status",
    "order_placed_at",
    "delivered_at",
    "customer_orders",
    "customer_spend",
    "lang",
    "intent",
    "mood",
    "message_intent",
)


def fact_rows(conn: sqlite3.Connection, ticket_ids: Sequence[int]) -> list[tuple]:
    """The facts of the given tickets, in FACT_COLUMNS order."""
    return conn.execute(
        _FACTS + " WHERE t.id IN (SELECT value FROM json_each(?))", (json.dumps(list(ticket_ids)),)
    ).fetchall()


def fired(conn: sqlite3.Connection, rule: str) -> dict[int, int]:
    """Tickets `rule` fired on and are not re-armed yet: ticket id -> the last event it saw."""
    return dict(
        conn.execute(
            "SELECT f.ticket_id, f.event_id FROM rule_firings f WHERE f.rule = ? AND NOT EXISTS"
            " (SELECT 1 FROM events e WHERE e.ticket_id = f.ticket_id AND e.id > f.event_id"
            " AND e.actor NOT LIKE 'rule:%' AND e.kind NOT IN ('handled', 'rating'))",
            (rule,),
        ).fetchall()
    )


def record_firing(conn: sqlite3.Connection, rule: str, ticket_id: int, at: datetime) -> None:
    """Remember that `rule` fired on the ticket; a later change by a person or a sync re-arms it
    (records, handle time and ratings, change nothing and re-arm nothing)."""
    conn.execute(
        "INSERT INTO rule_firings (rule, ticket_id, event_id, fired_at) VALUES (?, ?,"
        " (SELECT COALESCE(max(id), 0) FROM events WHERE ticket_id = ?), ?)"
        " ON CONFLICT (rule, ticket_id) DO UPDATE SET event_id = excluded.event_id,"
        " fired_at = excluded.fired_at",
        (rule, ticket_id, ticket_id, to_iso(at)),
    )


def firings(conn: sqlite3.Connection, ticket_id: int) -> dict[str, str]:
    """When each time rule last fired on the ticket."""
    return dict(
        conn.execute(
            "SELECT rule, fired_at FROM rule_firings WHERE ticket_id = ?", (ticket_id,)
        ).fetchall()
    )


def record_skips(
    conn: sqlite3.Connection,
    rule: str,
    ticket_id: int,
    skips: Sequence[tuple[str, str]],
    at: datetime,
) -> None:
    """Why the rule's actions (kind, reason) did nothing on the ticket as it fired at `at`."""
    conn.executemany(
        "INSERT INTO rule_skips (ticket_id, rule, action, reason, at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (ticket_id, rule, action) DO UPDATE"
        " SET reason = excluded.reason, at = excluded.at",
        [(ticket_id, rule, kind, reason, to_iso(at)) for kind, reason in skips],
    )


def rule_skips(conn: sqlite3.Connection, ticket_id: int) -> dict[str, list[tuple[str, str, str]]]:
    """By rule: the actions it last skipped on the ticket, with why and when."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for rule, action, reason, at in conn.execute(
        "SELECT rule, action, reason, at FROM rule_skips WHERE ticket_id = ? ORDER BY at, action",
        (ticket_id,),
    ):
        found.setdefault(rule, []).append((action, reason, at))
    return found


def rule_events(conn: sqlite3.Connection, ticket_id: int) -> list[tuple[int, str, str, str]]:
    """The events rules caused on the ticket: id, moment, actor, kind."""
    return conn.execute(
        "SELECT id, at, actor, kind FROM events WHERE ticket_id = ? AND actor LIKE 'rule:%'"
        " ORDER BY id",
        (ticket_id,),
    ).fetchall()


def auto_replies(
    conn: sqlite3.Connection, ticket_id: int, sender: str, since: datetime
) -> tuple[int, int]:
    """Rule replies so far on this ticket, and to this sender since `since` on any ticket."""
    on_ticket = conn.execute(
        "SELECT count(*) FROM events WHERE ticket_id = ? AND kind = 'reply'"
        " AND actor LIKE 'rule:%' AND undone_by IS NULL",
        (ticket_id,),
    ).fetchone()[0]
    to_sender = conn.execute(
        "SELECT count(*) FROM outbox o JOIN events e ON e.kind = 'reply' AND e.ticket_id = o.ticket_id"
        " AND json_extract(e.data, '$.outbox') = o.id WHERE e.actor LIKE 'rule:%'"
        " AND o.created_at >= ? AND lower(json_extract(o.payload, '$.to.value')) = ?",
        (to_iso(since), sender.lower()),
    ).fetchone()[0]
    return on_ticket, to_sender


def open_load(conn: sqlite3.Connection, agents: Sequence[str]) -> dict[str, int]:
    """How many active tickets each of `agents` holds."""
    counts = dict.fromkeys(agents, 0)
    for name, count in conn.execute(
        "SELECT assignee, count(*) FROM tickets WHERE status NOT IN ('solved', 'closed')"
        " AND assignee IN (SELECT value FROM json_each(?)) GROUP BY assignee",
        (json.dumps(list(agents)),),
    ):
        counts[name] = count
    return counts


def last_assigned(conn: sqlite3.Connection, rule: str) -> str | None:
    """Whom `rule` assigned a ticket to last, for round-robin."""
    row = conn.execute(
        "SELECT json_extract(data, '$.after') FROM events WHERE actor = ? AND kind = 'assign'"
        " ORDER BY id DESC LIMIT 1",
        (f"rule:{rule}",),
    ).fetchone()
    return row[0] if row else None


# Conditions a ticket's own columns answer, as SQL over `tickets t`: the time pass asks the
# database for the few tickets that can match instead of building every ticket's facts.
_COLUMNS = {
    "status": "t.status",
    "priority": "t.priority",
    "sla_state": "t.sla_state",
    "channel": "t.channel",
    "account": "t.account",
    "assignee": "COALESCE(t.assignee, '')",
    "language": "COALESCE(t.lang, '')",
    "intent": "COALESCE(t.intent, '')",
    "sentiment": "COALESCE(t.mood, '')",
}
_SINCE = {
    "hours_since_created": "t.created_at",
    "hours_since_status_change": "COALESCE((SELECT max(e.at) FROM events e"
    " WHERE e.ticket_id = t.id AND e.kind = 'status'), t.created_at)",
}
_ORDER_FIELDS = ("order_", "business_days_since_order", "days_since_delivered")


def _values(value: object) -> list[str]:
    return [str(v).lower() for v in (value if isinstance(value, list | tuple) else [value])]


def narrowing(field: str, op: str, value: object, now: datetime) -> tuple[str, list] | None:
    """The SQL test over `tickets t` that every ticket passing `field op value` passes (it may
    let more through), or None when the columns cannot tell."""
    if field in _COLUMNS and op in ("is", "in", "is_not", "not_in"):
        values = _values(value)
        marks = ", ".join("?" * len(values))
        negate = "NOT " if op in ("is_not", "not_in") else ""
        return f"lower({_COLUMNS[field]}) {negate}IN ({marks})", values
    if field == "tags" and op in ("has", "lacks"):
        values = _values(value)
        marks = ", ".join("?" * len(values))
        exists = "EXISTS" if op == "has" else "NOT EXISTS"
        sql = f"{exists} (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag IN ({marks}))"
        return sql, values
    if field in _SINCE and op in ("gt", "gte") and isinstance(value, int | float):
        return f"{_SINCE[field]} <= ?", [to_iso(now - timedelta(hours=value))]
    if field.startswith(_ORDER_FIELDS) and op not in ("is_not", "not_in", "lacks"):
        return "t.order_id IS NOT NULL", []
    return None


def candidates(conn: sqlite3.Connection, tests: Sequence[tuple[str, list]]) -> list[int]:
    """Tickets a time rule may act on (not closed, not merged) that pass every SQL test."""
    sql = "SELECT t.id FROM tickets t WHERE t.status != 'closed' AND t.merged_into IS NULL"
    params: list = []
    for test, args in tests:
        sql += f" AND {test}"
        params.extend(args)
    return [row[0] for row in conn.execute(sql + " ORDER BY t.id", params)]


# The order's facts a fresh ticket starts with, by their column in `orders` (facts add "order_").
ORDER_FACTS = ("total", "currency", "status", "financial_status", "fulfillment_status", "placed_at")


def opening_account(conn: sqlite3.Connection, open_on: str) -> tuple[str, str] | None:
    """The enabled account `open_on` names, else the first enabled one of the channel it names:
    (name, channel), or None."""
    row = conn.execute(
        "SELECT name, channel FROM accounts WHERE enabled = 1 AND (name = ? OR channel = ?)"
        " ORDER BY name != ?, name LIMIT 1",
        (open_on, open_on, open_on),
    ).fetchone()
    return (row[0], row[1]) if row else None


def orders_without_ticket(conn: sqlite3.Connection, now: datetime, days: int) -> list[dict]:
    """Orders placed in the last `days` days, of a known buyer, that no ticket is linked to,
    with what rules test of them."""
    cursor = conn.execute(
        f"SELECT o.id, o.number, {', '.join('o.' + c for c in ORDER_FACTS)},"
        " (SELECT max(json_extract(f.value, '$.delivered_at')) FROM json_each(o.fulfillments) f),"
        " (SELECT count(*) FROM orders c WHERE c.customer_id = o.customer_id),"
        " (SELECT total(CAST(c.total AS REAL)) FROM orders c WHERE c.customer_id = o.customer_id)"
        " FROM orders o WHERE o.customer_id IS NOT NULL AND o.placed_at >= ?"
        " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = o.id) ORDER BY o.id",
        (to_iso(now - timedelta(days=days)),),
    )
    names = ("id", "number", *ORDER_FACTS, "delivered_at", "customer_orders", "customer_spend")
    return [dict(zip(names, row, strict=True)) for row in cursor]


LAST_PASS = "rules_time_pass"


def note_time_pass(conn: sqlite3.Connection, at: datetime) -> None:
    """Remember when the time pass last ran on this database (rules explain says it)."""
    meta.put(conn, LAST_PASS, to_iso(at))


def last_time_pass(conn: sqlite3.Connection) -> datetime | None:
    found = meta.get(conn, LAST_PASS)
    return from_iso(found) if found is not None else None


def created_since(conn: sqlite3.Connection, start: datetime) -> list[int]:
    """Tickets opened at or after `start` (merged ones left out), oldest first."""
    rows = conn.execute(
        "SELECT id FROM tickets WHERE created_at >= ? AND merged_into IS NULL ORDER BY id",
        (to_iso(start),),
    )
    return [row[0] for row in rows]
