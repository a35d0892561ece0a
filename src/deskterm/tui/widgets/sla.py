"""How an SLA deadline looks on screen: the live countdown text and its colour by state."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from deskterm import sla
from deskterm.domain import from_iso

STYLES = {
    sla.RUNNING: "green",
    sla.WARNING: "bold yellow",
    sla.BREACHED: "bold red",
    sla.PAUSED: "dim",
    sla.MET: "dim green",
}


def live_state(stored: str, deadline: str | None, now: datetime) -> str:
    """The stored state, except that a running clock past its deadline is breached already

    (as in the SLA engine: at the deadline itself the target is still met).
    """
    if deadline and stored in (sla.RUNNING, sla.WARNING) and from_iso(deadline) < now:
        return sla.BREACHED
    return stored


def sla_text(stored: str, deadline: str | None, now: datetime) -> Text:
    """'1h 12m' in green, 'overdue 5m' in red, 'paused' dimmed; '' when no clock runs."""
    state = live_state(stored, deadline, now)
    if deadline:
        label = sla.countdown(from_iso(deadline), now)
    elif state == sla.PAUSED:
        label = "paused"
    else:
        label = ""
    return Text(label, style=STYLES.get(state, ""))
