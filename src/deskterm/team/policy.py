"""The team's SLA policy (docs/team.md, "The SLA policy"): one shared record that every replica
computes its deadlines with, whatever each machine's own settings file says.

`team init` publishes the initiating machine's [sla] settings; `deskterm team policy --publish`
makes another machine's the team's. A replica of a team that has none yet (a team made before
the policy was shared) publishes its own at its first pull, so every team ends up with exactly
one; when two do so at once, the server's last write wins and both adopt it. A replica that
stores a new policy works every open ticket out again with it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from deskterm.domain import to_iso, utcnow
from deskterm.sla import clocks
from deskterm.sla.settings import SlaSettings, as_shared
from deskterm.store import Store
from deskterm.store import clocks as sla_rows
from deskterm.store import team as rows
from deskterm.store import team_records as local

KIND, KEY = local.POLICY, "sla"
AGENT = "team.agent"


def publish(store: Store, settings: SlaSettings, at: datetime | None = None) -> None:
    """Make `settings` the team's: in force here at once, on the server with the next push."""
    moment = at or utcnow()
    with store.tx() as conn:
        record = {
            "toml": as_shared(settings),
            "fingerprint": settings.fingerprint,
            "by": rows.meta_get(conn, AGENT) or "",
            "at": to_iso(moment),
        }
        sla_rows.save_team_policy(conn, record)
        local.note(conn, KIND, KEY)
    clocks.recompute_if_changed(store, moment)


def store_pulled(conn: sqlite3.Connection, record: dict) -> None:
    """Keep the team's policy as pulled (the caller works the tickets out again: changed())."""
    sla_rows.save_team_policy(conn, record)
    local.forget(conn, [(KIND, KEY)])


def outgoing(conn: sqlite3.Connection) -> dict | None:
    return sla_rows.team_policy(conn)


def missing(store: Store) -> bool:
    """Whether this replica holds no team policy: its team has none yet."""
    return sla_rows.team_fingerprint(store.conn) is None


def describe(store: Store, mine: SlaSettings) -> str | None:
    """Which SLA policy is in force in this replica, and how this machine's settings (`mine`)
    stand to it, in a line; None outside a team or before the team's policy reached it."""
    shared = sla_rows.team_policy(store.conn)
    if shared is None:
        return None
    whose = f"the team's SLA policy is in force (published by {shared['by'] or 'unknown'}"
    whose += f" at {shared['at']}, fingerprint {shared['fingerprint']})"
    source = str(mine.path) if mine.path else "the shipped defaults"
    if mine.fingerprint == shared["fingerprint"]:
        return f"{whose}; this machine's settings ({source}) are the same"
    return (
        f"{whose}; this machine's settings ({source}) differ and are not in force: "
        "deskterm team policy --publish makes them the team's"
    )
