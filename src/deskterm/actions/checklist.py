"""SOP checklists: an agent ticks (or unticks) a numbered step of the SOP a ticket follows."""

from __future__ import annotations

from datetime import datetime

from deskterm.actions.common import ActionError, Done, check_actor, finish, ticket_row, write_event
from deskterm.domain import to_iso, utcnow
from deskterm.store import Store
from deskterm.store import knowledge as store_kb


def tick_step(
    store: Store,
    ticket_id: int,
    sop: str,
    step: int,
    text: str,
    *,
    actor: str,
    at: datetime | None = None,
) -> Done:
    """Tick step `step` (1-based) of SOP `sop` on the ticket; `text` is the step as it read."""
    return _change(store, ticket_id, sop, step, text, "sop_tick", actor, at)


def untick_step(
    store: Store,
    ticket_id: int,
    sop: str,
    step: int,
    text: str,
    *,
    actor: str,
    at: datetime | None = None,
) -> Done:
    """Take the tick off step `step` of SOP `sop` on the ticket."""
    return _change(store, ticket_id, sop, step, text, "sop_untick", actor, at)


def _change(
    store: Store,
    ticket_id: int,
    sop: str,
    step: int,
    text: str,
    kind: str,
    actor: str,
    at: datetime | None,
) -> Done:
    check_actor(actor)
    at = at or utcnow()
    if step < 1:
        raise ActionError(f"SOP steps are numbered from 1, not {step}")
    with store.tx() as conn:
        ticket_row(conn, ticket_id)
        if kind == "sop_tick":
            changed = store_kb.set_tick(conn, ticket_id, sop, step, to_iso(at), actor)
            refusal = "is already ticked"
        else:
            changed = store_kb.clear_tick(conn, ticket_id, sop, step)
            refusal = "is not ticked"
        if not changed:
            raise ActionError(f"step {step} of {sop} on ticket #{ticket_id} {refusal}")
        event = write_event(
            conn, ticket_id, kind, actor, at, {"sop": sop, "step": step, "text": text}
        )
        finish(conn, ticket_id, at)
    return Done(event)
