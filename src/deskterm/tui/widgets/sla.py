"""How an SLA deadline looks on screen: the live countdown text and its colour by state."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from deskterm.domain import from_iso
from deskterm.sla import rules

STYLES = {
    rules.RUNNING: "green",
    rules.WARNING: "bold yellow",
    rules.BREACHED: "bold red",
    rules.PAUSED: "dim",
    rules.MET: "dim green",
}


def live_state(stored: str, deadline: str | None, now: datetime) -> str:
    """The stored state, except that a running clock past its deadline is breached already

    (as in the SLA engine: at the deadline itself the target is still met).
    """
    if deadline and stored in (rules.RUNNING, rules.WARNING) and from_iso(deadline) < now:
        return rules.BREACHED
    return stored


# Warning and breach are marked by a symbol as well as by colour.
SYMBOLS = {rules.WARNING: "▲ ", rules.BREACHED: "■ "}


def sla_label(stored: str, deadline: str | None, now: datetime) -> tuple[str, str]:
    """The countdown and its state: '1h 12m' running, '▲ 12m' warning, '■ overdue 5m' breached,
    'paused', '' when there is no clock."""
    state = live_state(stored, deadline, now)
    if deadline:
        label = SYMBOLS.get(state, "") + rules.countdown(from_iso(deadline), now)
    elif state == rules.PAUSED:
        label = "paused"
    else:
        label = ""
    return label, state


def sla_text(stored: str, deadline: str | None, now: datetime) -> Text:
    label, state = sla_label(stored, deadline, now)
    return Text(label, style=STYLES.get(state, ""))
