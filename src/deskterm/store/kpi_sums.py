"""The KPIs summed in SQL over the per-ticket cache (kpi_tickets, kpi_spans; metrics.cache says
what each row holds). The tickets of a report are put in a scope first: the temporary table
kpi_scope holds (dimension, value, ticket) for each group a ticket is in, "all" for every one.
In an agent's group (dimension "agent") the waits and handle time are only that agent's.

Every function takes a period as two moments in store text, [start, end), and returns its sums
per group, keyed by (dimension, value). Medians and p90 are computed as deskterm.metrics.stats
does: the middle value or the mean of the two, and the nearest rank.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence

Group = tuple[str, str]
# (count, sum, median, p90) of a list of values; median and p90 None when it is empty.
Summary = tuple[int, float, float | None, float | None]

# Statements one at a time: executescript would end the caller's transaction.
SCOPE = (
    "CREATE TEMP TABLE IF NOT EXISTS kpi_scope (ticket_id INTEGER NOT NULL, dim TEXT NOT NULL,"
    " grp TEXT NOT NULL, PRIMARY KEY (ticket_id, dim, grp)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS temp.kpi_scope_group ON kpi_scope(dim, grp, ticket_id)",
    "CREATE TEMP TABLE IF NOT EXISTS kpi_slices (start TEXT PRIMARY KEY, till TEXT NOT NULL,"
    " day TEXT NOT NULL, hour INTEGER NOT NULL, weekday INTEGER NOT NULL) WITHOUT ROWID",
)


def _temporary(conn: sqlite3.Connection) -> None:
    for statement in SCOPE:
        conn.execute(statement)


# (ticket, group) for each ticket of the scope's "all" in each dimension's groups.
_ALL = " FROM kpi_scope a JOIN tickets t ON t.id = a.ticket_id WHERE a.dim = 'all'"
_MEMBERS = {
    "channel": "SELECT a.ticket_id, t.channel" + _ALL,
    "account": "SELECT a.ticket_id, t.account" + _ALL,
    "intent": "SELECT a.ticket_id, COALESCE(t.intent, 'unknown')" + _ALL,
    "tag": "SELECT a.ticket_id, COALESCE(x.tag, 'untagged') FROM kpi_scope a"
    " LEFT JOIN ticket_tags x ON x.ticket_id = a.ticket_id WHERE a.dim = 'all'",
    # The agents credited with a reply or handle time on the ticket, and its assignee.
    "agent": "SELECT a.ticket_id, s.label FROM kpi_scope a JOIN kpi_spans s"
    " ON s.ticket_id = a.ticket_id AND s.kind IN ('first_reply', 'next_reply', 'handled')"
    " WHERE a.dim = 'all' AND s.label IS NOT NULL"
    " UNION SELECT a.ticket_id, t.assignee" + _ALL + " AND t.assignee IS NOT NULL",
}
# Spans of an agent's group are only the agent's own (the label names them).
CREDITED = "(g.dim <> 'agent' OR s.label = g.grp)"


def scope(conn: sqlite3.Connection, ids: Sequence[int], dimension: str | None) -> None:
    """Put `ids` in the scope, in "all" and in the groups of `dimension` (if any)."""
    _temporary(conn)
    conn.execute("DELETE FROM kpi_scope")
    conn.execute(
        "INSERT INTO kpi_scope SELECT value, 'all', 'all' FROM json_each(?)", (json.dumps(ids),)
    )
    if dimension is None:
        return
    members = conn.execute(_MEMBERS[dimension]).fetchall()
    conn.executemany(
        "INSERT OR IGNORE INTO kpi_scope VALUES (?, ?, ?)",
        [(ticket, dimension, grp) for ticket, grp in members],
    )
    if dimension == "agent":
        conn.execute(
            "INSERT INTO kpi_scope SELECT a.ticket_id, 'agent', 'unassigned' FROM kpi_scope a"
            " WHERE a.dim = 'all' AND NOT EXISTS (SELECT 1 FROM kpi_scope b"
            " WHERE b.ticket_id = a.ticket_id AND b.dim = 'agent')"
        )


def values(conn: sqlite3.Connection, dimension: str) -> list[str]:
    """The groups of `dimension` in the scope, in order."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT grp FROM kpi_scope WHERE dim = ? ORDER BY grp", (dimension,)
        )
    ]


def narrow(conn: sqlite3.Connection, dimension: str, value: str) -> None:
    """Keep only the tickets of one group in the scope, in "all" and in that group."""
    conn.execute(
        "DELETE FROM kpi_scope WHERE ticket_id NOT IN"
        " (SELECT ticket_id FROM kpi_scope WHERE dim = ? AND grp = ?)"
        " OR (dim <> 'all' AND NOT (dim = ? AND grp = ?))",
        (dimension, value, dimension, value),
    )


_MIDDLE = "AVG({0}) FILTER (WHERE n{0} IN ((c + 1) / 2, c / 2 + 1))"
_P90 = (
    "MAX({0}) FILTER (WHERE n{0} = CAST(0.9 * c AS INTEGER) + (0.9 * c > CAST(0.9 * c AS INTEGER)))"
)


def summaries(
    conn: sqlite3.Connection, values: str, params: Sequence, columns: int = 1
) -> list[dict[Group, Summary]]:
    """Count, sum, median and p90 per group of each value column of `values`, a query of
    (dim, grp, x) or (dim, grp, x, y) rows (`columns` says which): a dict per column."""
    names = ("x", "y")[:columns]
    ranks = "".join(
        f", ROW_NUMBER() OVER (PARTITION BY dim, grp ORDER BY {n}) AS n{n}" for n in names
    )
    figures = "".join(f", SUM({n}), {_MIDDLE.format(n)}, {_P90.format(n)}" for n in names)
    found = conn.execute(
        f"WITH v(dim, grp, {', '.join(names)}) AS ({values}), r AS (SELECT *{ranks},"
        f" COUNT(*) OVER (PARTITION BY dim, grp) AS c FROM v)"
        f" SELECT dim, grp, MAX(c){figures} FROM r GROUP BY dim, grp",
        params,
    ).fetchall()
    return [
        {(d, g): (c, *rest[3 * n : 3 * n + 3]) for d, g, c, *rest in found} for n in range(columns)
    ]


def spans(kind: str, columns: str, credited: bool = False) -> str:
    """(dim, grp, columns...) of the spans of `kind` in the period (parameters start, end)."""
    return (
        f"SELECT g.dim, g.grp, {columns} FROM kpi_spans s JOIN kpi_scope g"
        f" ON g.ticket_id = s.ticket_id WHERE s.kind = '{kind}' AND s.at >= ? AND s.at < ?"
        + (f" AND {CREDITED}" if credited else "")
    )


def waits(conn: sqlite3.Connection, kind: str, start: str, end: str) -> dict:
    """Calendar ("value") and business seconds of the `kind` waits (first_reply, next_reply)
    ended in the period: summaries per group."""
    both = summaries(conn, spans(kind, "s.value, s.business", credited=True), (start, end), 2)
    return dict(zip(("value", "business"), both, strict=True))


def resolutions(conn: sqlite3.Connection, start: str, end: str) -> dict:
    """First resolution (to the first solve, when in the period) and full resolution (to the
    last solve before the end, when in the period and not reopened before the end) times, each
    in calendar ("value") and business seconds. A solve's label is the next reopen after it."""
    select = (
        "SELECT g.dim, g.grp, s.value, s.business FROM kpi_spans s JOIN kpi_scope g"
        " ON g.ticket_id = s.ticket_id WHERE s.kind = 'solve' AND s.at >= ? AND s.at < ?"
    )
    full = (
        f"{select} AND (s.label IS NULL OR s.label >= ?) AND NOT EXISTS (SELECT 1"
        " FROM kpi_spans n WHERE n.ticket_id = s.ticket_id AND n.kind = 'solve'"
        " AND n.seq = s.seq + 1 AND n.at < ?)"
    )
    first = summaries(conn, f"{select} AND s.seq = 0", (start, end), 2)
    last = summaries(conn, full, (start, end, end, end), 2)
    return {
        "first_resolution": dict(zip(("value", "business"), first, strict=True)),
        "full_resolution": dict(zip(("value", "business"), last, strict=True)),
    }


_SOLVED = (
    "WITH solved AS (SELECT ticket_id, MIN(at) AS at, label AS reopened FROM kpi_spans"
    " WHERE kind = 'solve' AND at >= ? AND at < ? GROUP BY ticket_id)"
)


def solved(conn: sqlite3.Connection, start: str, end: str, recontact: str) -> dict[Group, tuple]:
    """Per group: tickets solved in the period, of them one-touch, first-contact (no reopen and
    no new ticket of the customer's on the channel within `recontact`, an SQLite modifier such as
    '+259200 seconds', of the solve) and reopened after the solve."""
    limit = f"strftime('%Y-%m-%dT%H:%M:%SZ', s.at, '{recontact}')"
    rows = conn.execute(
        f"{_SOLVED}, marks AS (SELECT s.ticket_id, k.replies = 1 AS one,"
        f" s.reopened IS NOT NULL AS reopened, COALESCE(s.reopened <= {limit}, 0)"
        " OR EXISTS (SELECT 1 FROM tickets o WHERE o.customer_id = t.customer_id"
        f" AND o.channel = t.channel AND o.created_at > s.at AND o.created_at <= {limit})"
        " AS back FROM solved s JOIN kpi_tickets k ON k.ticket_id = s.ticket_id"
        " JOIN tickets t ON t.id = s.ticket_id)"
        " SELECT g.dim, g.grp, COUNT(*), SUM(m.one), SUM(m.one AND NOT m.back), SUM(m.reopened)"
        " FROM marks m JOIN kpi_scope g ON g.ticket_id = m.ticket_id GROUP BY g.dim, g.grp",
        (start, end),
    )
    return {(d, g): tuple(rest) for d, g, *rest in rows}


def handle_per_solved(conn: sqlite3.Connection, start: str, end: str) -> dict[Group, Summary]:
    """The whole handle time of each ticket solved in the period (0 when none)."""
    return summaries(
        conn,
        f"{_SOLVED} SELECT g.dim, g.grp, COALESCE((SELECT SUM(s.value) FROM kpi_spans s"
        f" WHERE s.ticket_id = v.ticket_id AND s.kind = 'handled' AND {CREDITED}), 0)"
        " FROM solved v JOIN kpi_scope g ON g.ticket_id = v.ticket_id",
        (start, end),
    )[0]


def counts(conn: sqlite3.Connection, start: str, end: str) -> dict[Group, int]:
    """Per group: tickets created in the period."""
    rows = conn.execute(
        "SELECT g.dim, g.grp, SUM(k.created >= ? AND k.created < ?) FROM kpi_scope g"
        " JOIN kpi_tickets k ON k.ticket_id = g.ticket_id GROUP BY g.dim, g.grp",
        (start, end),
    )
    return {(d, g): created for d, g, created in rows}


def labelled(conn: sqlite3.Connection, kind: str, start: str, end: str) -> dict:
    """Per group and label: how many spans of `kind` in the period, and their values' sum and
    how many are at least 4 (clock: met; rating: satisfied)."""
    found: dict[Group, dict[str, tuple[int, float, int]]] = defaultdict(dict)
    for dim, grp, label, count, total, high in conn.execute(
        "SELECT g.dim, g.grp, s.label, COUNT(*), SUM(s.value), SUM(s.value >= 4)"
        " FROM kpi_spans s JOIN kpi_scope g ON g.ticket_id = s.ticket_id"
        " WHERE s.kind = ? AND s.at >= ? AND s.at < ? GROUP BY g.dim, g.grp, s.label",
        (kind, start, end),
    ):
        found[(dim, grp)][label] = (count, total, high)
    return found


def handle_by_agent(conn: sqlite3.Connection, start: str, end: str, group: Group) -> dict:
    """Seconds of handle time each agent recorded in the period, in one group."""
    return dict(
        conn.execute(
            "SELECT s.label, SUM(s.value) FROM kpi_spans s JOIN kpi_scope g"
            " ON g.ticket_id = s.ticket_id AND g.dim = ? AND g.grp = ?"
            " WHERE s.kind = 'handled' AND s.at >= ? AND s.at < ? GROUP BY s.label ORDER BY s.label",
            (*group, start, end),
        )
    )


def slices(conn: sqlite3.Connection, rows: Iterable[Sequence]) -> None:
    """Set the local hours the period is cut in: (start, end, local day, hour, weekday)."""
    _temporary(conn)
    conn.execute("DELETE FROM kpi_slices")
    conn.executemany("INSERT INTO kpi_slices VALUES (?, ?, ?, ?, ?)", rows)


def created_by_hour(conn: sqlite3.Connection, group: Group) -> list[tuple[str, int, int, int]]:
    """(day, hour, weekday, tickets created) per slice, for one group."""
    return conn.execute(
        "SELECT h.day, h.hour, h.weekday, COUNT(*) FROM kpi_slices h CROSS JOIN kpi_tickets k"
        " CROSS JOIN kpi_scope g ON g.ticket_id = k.ticket_id AND g.dim = ? AND g.grp = ?"
        " WHERE k.created >= h.start AND k.created < h.till GROUP BY h.start",
        group,
    ).fetchall()


def by_day(conn: sqlite3.Connection, group: Group) -> tuple[dict, dict]:
    """Per local day of the slices, in one group: the first reply waits' median (calendar), and
    (clocks ended, of them met)."""
    join = (
        " FROM (SELECT day, MIN(start) AS start, MAX(till) AS till FROM kpi_slices GROUP BY day) h"
        " CROSS JOIN kpi_spans s CROSS JOIN kpi_scope g ON g.ticket_id = s.ticket_id AND g.dim = ?"
        " AND g.grp = ? WHERE s.kind = ? AND s.at >= h.start AND s.at < h.till"
    )
    replies = summaries(
        conn, f"SELECT g.dim, h.day, s.value{join} AND {CREDITED}", (*group, "first_reply")
    )[0]
    clocks = conn.execute(
        f"SELECT h.day, COUNT(*), SUM(s.value){join} GROUP BY h.day", (*group, "clock")
    )
    return {day: found[2] for (_, day), found in replies.items()}, {
        day: (count, met) for day, count, met in clocks
    }


def volume(conn: sqlite3.Connection, start: str, end: str) -> dict[str, list[tuple[str, int]]]:
    """Tickets of the scope created in the period by channel, tag and intent, most first (ties:
    by name)."""
    base = (
        " FROM kpi_scope g JOIN kpi_tickets k ON k.ticket_id = g.ticket_id"
        " JOIN tickets t ON t.id = g.ticket_id{} WHERE g.dim = 'all'"
        " AND k.created >= ? AND k.created < ? GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    queries = {
        "channel": "SELECT t.channel, COUNT(*)" + base.format(""),
        "tag": "SELECT x.tag, COUNT(*)"
        + base.format(" JOIN ticket_tags x ON x.ticket_id = g.ticket_id"),
        "intent": "SELECT COALESCE(t.intent, 'unknown'), COUNT(*)" + base.format(""),
    }
    return {name: conn.execute(sql, (start, end)).fetchall() for name, sql in queries.items()}
