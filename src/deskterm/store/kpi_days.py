"""The KPIs' per-day totals (kpi_days and kpi_months, kept by the triggers of migration V27) read
for a period: the whole local months inside it from kpi_months, the other whole local days from
kpi_days, the hours at its edges from the spans themselves (kpi_parts: what each span counts
as), summed alike. Periods and moments are store
text; days are the local days the cache was computed in (kpi_spans.day).

Each row read is the columns asked for (by default kind, lab, col, bucket), the count and the sum.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

Row = tuple
COLUMNS = "day, kind, lab, col, bucket"
FIGURES = ("kind", "lab", "col", "bucket")
# The kinds a solve counts as, each under the solve's seq (metrics.cache).
SOLVE_KINDS = ("solve", "solve_one", "solve_first", "solve_reopened", "solve_handle")


@dataclass(frozen=True, slots=True)
class Cut:
    """A period cut in what is read from where: whole months [from, to) ("2026-11") from
    kpi_months, ranges of whole days [from, to) ("2026-11-20") from kpi_days, and the moments
    [start, end) at its ends (store text) from the spans."""

    months: tuple[str, str] | None
    days: Sequence[tuple[str, str]]
    edges: Sequence[tuple[str, str]]


def totals(
    conn: sqlite3.Connection,
    kinds: Sequence[str],
    cut: Cut,
    by: Sequence[str] = FIGURES,
    col: int | None = None,
) -> list[Row]:
    """Sums of `kinds` (of column `col` only, if given) over the period `cut` says: rows of the
    `by` columns (of COLUMNS; "day" is a month's "YYYY-MM" when read from kpi_months), count, sum."""
    if not set(by) <= set(COLUMNS.split(", ")):
        raise ValueError(f"not columns of kpi_days: {by}")
    among = f"kind IN ({', '.join('?' * len(kinds))})" + ("" if col is None else " AND col = ?")
    chosen = [*kinds] + ([] if col is None else [col])
    parts: list[str] = []
    params: list = []
    if cut.months is not None:
        parts.append(
            "SELECT month, kind, lab, col, bucket, n, total FROM kpi_months"
            f" WHERE month >= ? AND month < ? AND {among}"
        )
        params += [*cut.months, *chosen]
    for days in cut.days:
        parts.append(
            f"SELECT {COLUMNS}, n, total FROM kpi_days WHERE day >= ? AND day < ? AND {among}"
        )
        params += [*days, *chosen]
    for start, end in cut.edges:
        parts.append(
            f"SELECT {COLUMNS}, 1 AS n, total FROM kpi_parts WHERE {among} AND at >= ? AND at < ?"
        )
        params += [*chosen, start, end]
    if not parts:
        return []
    key = ", ".join(by)
    return conn.execute(
        f"SELECT {key}, SUM(n), SUM(total) FROM ({' UNION ALL '.join(parts)})"
        f" GROUP BY {key} HAVING SUM(n) <> 0",
        params,
    ).fetchall()


def repeats(conn: sqlite3.Connection, start: str, end: str) -> list[Row]:
    """What the solves in [start, end) that follow another solve in it count for, negated: a
    ticket solved in a period counts once, at its first solve there."""
    return conn.execute(
        "SELECT p.kind, '', 0, COALESCE(p.bucket, 0), -COUNT(*), -SUM(COALESCE(p.value, 0))"
        " FROM kpi_spans r INDEXED BY kpi_spans_resolve CROSS JOIN kpi_spans b"
        " ON b.ticket_id = r.ticket_id AND b.kind = 'solve'"
        " AND b.seq = r.seq - 1 CROSS JOIN kpi_spans p ON p.ticket_id = r.ticket_id AND p.seq = r.seq"
        f" AND p.kind IN ({', '.join('?' * len(SOLVE_KINDS))})"
        " WHERE r.kind = 'solve' AND r.seq > 0 AND r.at >= ? AND r.at < ? AND b.at >= ?"
        " GROUP BY 1, 2, 3, 4",
        (*SOLVE_KINDS, start, end, start),
    ).fetchall()


def reopened_after(conn: sqlite3.Connection, start: str, end: str) -> list[Row]:
    """The final_solve rows of the solves in [start, end) reopened only at or after `end`: still
    solved at the end, so their full resolution time counts (kpi_days has only those never
    reopened)."""
    found: list[Row] = []
    # The reopens after the end first (few), then each one's solve by its key.
    for value, business, bucket, bbucket in conn.execute(
        "SELECT s.value, s.business, s.bucket, s.bbucket FROM kpi_spans r CROSS JOIN kpi_spans s"
        " ON s.ticket_id = r.ticket_id AND s.kind = 'final_solve' AND +s.label = r.at"
        " WHERE r.kind = 'reopen' AND r.at >= ? AND +s.at >= ? AND +s.at < ?",
        (end, start, end),
    ):
        found.append(("final_solve", "", 0, bucket, 1, value))
        found.append(("final_solve", "", 1, bbucket, 1, business))
    return found


def backlog(conn: sqlite3.Connection, end: str) -> list[tuple[str, str]]:
    """(status, created) of the cached tickets created before `end` and not solved or closed
    then (the status of the last change before `end`; new before any). Every such ticket is in
    any scope (store.metrics.touched_ids), so slices read it too."""
    found = []
    # One indexed read per kind of ticket (an OR would read every cached ticket).
    for done in ("k.done_since IS NULL", "k.done_since >= ?"):
        found += conn.execute(
            "SELECT * FROM (SELECT COALESCE((SELECT s.label FROM kpi_spans s"
            " WHERE s.ticket_id = k.ticket_id AND s.kind = 'status' AND s.at < ?"
            " ORDER BY s.seq DESC LIMIT 1), 'new') AS status, k.created FROM kpi_tickets k"
            f" WHERE {done} AND +k.created < ?) WHERE status NOT IN ('solved', 'closed')",
            (end, end, end) if "?" in done else (end, end),
        ).fetchall()
    return found
