"""The KPIs' per-ticket cache (schema V21, V27): which tickets of a report need their facts computed
again, and writing the computed rows. The triggers of V21 drop a ticket's rows when anything they
were computed from changes; a change of the SLA settings (or of what the cache holds) drops all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from deskterm.store import meta

# meta key: what the cached rows were computed with (the cache's form and the SLA settings).
FINGERPRINT_KEY = "kpi_cache"
# meta key: the highest ticket id a report has put in kpi_dirty (tickets above it are new).
SEEN_KEY = "kpi_cache_seen"
TICKET_COLUMNS = "ticket_id, created, replies, handled, done_since, valid_from, valid_until"
SPAN_COLUMNS = "ticket_id, kind, seq, at, value, business, label, day, bucket, bbucket"


def keep_if_computed_with(conn: sqlite3.Connection, fingerprint: str) -> None:
    """Drop every cached row unless they were computed with `fingerprint`; remember it."""
    if meta.get(conn, FINGERPRINT_KEY) == fingerprint:
        return
    conn.execute("DELETE FROM kpi_spans")
    conn.execute("DELETE FROM kpi_tickets")
    conn.execute("DELETE FROM kpi_days")
    conn.execute("DELETE FROM kpi_months")
    meta.put(conn, FINGERPRINT_KEY, fingerprint)


def stale(conn: sqlite3.Connection, ids: Sequence[int], now: str) -> list[int]:
    """Those of `ids` with no cached rows, or whose clock outcomes do not hold at `now` (text)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT s.value FROM json_each(?) s LEFT JOIN kpi_tickets k ON k.ticket_id = s.value"
            " WHERE k.ticket_id IS NULL OR NOT (k.valid_from < ?"
            " AND (k.valid_until IS NULL OR ? < k.valid_until)) ORDER BY s.value",
            (json.dumps(list(ids)), now, now),
        )
    ]


def stale_all(conn: sqlite3.Connection, now: str) -> list[int]:
    """The tickets with no cached rows (kpi_dirty: their spans, if any, are from before a
    change), and the cached ones whose clock outcomes do not hold at `now`."""
    found = {
        row[0]
        for row in conn.execute(
            "SELECT d.ticket_id FROM kpi_dirty d CROSS JOIN tickets t ON t.id = d.ticket_id"
            " WHERE t.merged_into IS NULL"
        )
    }
    # One indexed read per bound (an OR of the two would scan every cached ticket).
    for bound in ("valid_from >= ?", "valid_until <= ?"):
        found.update(
            r[0] for r in conn.execute(f"SELECT ticket_id FROM kpi_tickets WHERE {bound}", (now,))
        )
    return sorted(found)


def recontacted(conn: sqlite3.Connection, ids: Sequence[int]) -> list[int]:
    """The cached tickets a ticket of `ids` re-contacts: of the same customer on the same channel,
    with a one-touch solve in the three days before it was created (their first-contact
    resolution no longer holds)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT s.ticket_id FROM json_each(?) d CROSS JOIN tickets n ON n.id = d.value"
            " CROSS JOIN tickets t ON t.customer_id = n.customer_id AND +t.channel = n.channel"
            " AND t.id <> n.id CROSS JOIN kpi_spans s ON s.ticket_id = t.id"
            " AND s.kind = 'solve_one' AND +s.at < n.created_at"
            " AND +s.at >= strftime('%Y-%m-%dT%H:%M:%SZ', n.created_at, '-3 days')",
            (json.dumps(list(ids)),),
        )
    ]


def note_new(conn: sqlite3.Connection) -> None:
    """Put the tickets written since the last look (ids above SEEN_KEY) that are not cached in
    kpi_dirty. The mark follows the highest id down when that ticket is deleted, as SQLite gives
    its id again."""
    seen = int(meta.get(conn, SEEN_KEY) or 0)
    conn.execute(
        "INSERT OR IGNORE INTO kpi_dirty SELECT id FROM tickets t WHERE id > ?"
        " AND NOT EXISTS (SELECT 1 FROM kpi_tickets k WHERE k.ticket_id = t.id)",
        (seen,),
    )
    last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM tickets").fetchone()[0]
    meta.put(conn, SEEN_KEY, str(last))


def forget_gone(conn: sqlite3.Connection) -> None:
    """Take the tickets deleted or merged away out of kpi_dirty, and their spans out of the
    totals: they are in no figure."""
    gone = conn.execute(
        "SELECT d.ticket_id FROM kpi_dirty d LEFT JOIN tickets t ON t.id = d.ticket_id"
        " WHERE t.merged_into IS NOT NULL OR t.id IS NULL"
    ).fetchall()
    conn.executemany("DELETE FROM kpi_spans WHERE ticket_id = ?", gone)
    conn.executemany("DELETE FROM kpi_dirty WHERE ticket_id = ?", gone)


def write(conn: sqlite3.Connection, tickets: Iterable[Sequence], spans: Iterable[Sequence]) -> None:
    """Replace the cached rows of the tickets in `tickets` (TICKET_COLUMNS) with these."""
    tickets = list(tickets)
    ids = [(t[0],) for t in tickets]
    conn.executemany("DELETE FROM kpi_tickets WHERE ticket_id = ?", ids)
    conn.executemany("DELETE FROM kpi_spans WHERE ticket_id = ?", ids)
    conn.executemany(
        f"INSERT INTO kpi_tickets ({TICKET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", tickets
    )
    conn.executemany(
        f"INSERT INTO kpi_spans ({SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", spans
    )
    conn.executemany("DELETE FROM kpi_dirty WHERE ticket_id = ?", ids)
