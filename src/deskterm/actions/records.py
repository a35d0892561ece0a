"""Records that change nothing on the ticket: the time an agent had it open in the TUI, and a
customer's survey rating. Events all the same (KPIs read only events), but no SLA clock moves,
the ticket's update time stays, undo passes them by and they re-arm no time rule."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from deskterm.actions.common import ActionError, Done, check_actor, ticket_row, write_event
from deskterm.domain import utcnow
from deskterm.store import Store

SCALES = {"csat": 5, "ces": 7}


def record_handling(
    store: Store,
    ticket_id: int,
    seconds: int,
    composing: int,
    *,
    actor: str,
    at: datetime | None = None,
) -> Done:
    """Record `seconds` of handle time on the ticket (`composing` of them in the composer)."""
    check_actor(actor)
    if seconds <= 0 or not 0 <= composing <= seconds:
        raise ActionError(f"handle time of {seconds}s ({composing}s composing) makes no sense")
    with store.tx() as conn:
        ticket_row(conn, ticket_id)
        event = write_event(
            conn,
            ticket_id,
            "handled",
            actor,
            at or utcnow(),
            {"seconds": seconds, "composing": composing},
        )
    return Done(event)


def record_rating(
    conn: sqlite3.Connection,
    ticket_id: int,
    survey: str,
    score: int,
    comment: str,
    message: int,
    *,
    actor: str,
    at: datetime,
) -> int:
    """Record a survey answer that arrived as `message`, inside the caller's transaction."""
    if survey not in SCALES or not 1 <= score <= SCALES[survey]:
        raise ActionError(f"{survey} rating {score} is outside its scale")
    return write_event(
        conn,
        ticket_id,
        "rating",
        actor,
        at,
        {"survey": survey, "score": score, "comment": comment, "message": message},
    )
