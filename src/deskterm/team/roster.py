"""Who may be given a ticket: the configured groups, who is online, who is under their cap, and
the choice among them (round-robin or least-loaded).

[team]
cap = 8                                         # most open tickets an agent is given
groups = { billing = ["anna", "ben"], returns = ["cleo", "dev"] }

Online means a workstation of the agent announced itself to the team server lately (presence);
this replica keeps the list its own workstation last heard (store.team), so a rule deciding
inside a write transaction never waits on the network. Outside team mode there is no such list
and everyone in the group counts as online.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from deskterm import actions
from deskterm.config import Config, ConfigError, Section
from deskterm.domain import from_iso, to_iso
from deskterm.store import Store
from deskterm.store import automation as loads
from deskterm.store import team as rows

HOW = ("round_robin", "least_loaded")
# A list of who is online older than this is not trusted: nothing here is listening.
FRESH = timedelta(minutes=3)
# Who is online is written into the replica when it changes, and at least this often (seconds).
REMEMBER = 60.0


@dataclass(frozen=True, slots=True)
class TeamSettings:
    cap: int | None = None
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _names(value: Any, where: str, config: Config) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(config.path, where, 'must be a list of agent names, like ["anna"]')
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(config.path, where, "must hold agent names (text)")
    return tuple(v.strip() for v in value)


def parse_team(raw: Any, config: Config) -> TeamSettings:
    if raw is None:
        return TeamSettings()
    if not isinstance(raw, dict):
        raise ConfigError(config.path, "team", "must be a table, like [team]")
    unknown = sorted(set(raw) - {"cap", "groups"})
    if unknown:
        raise ConfigError(config.path, f"team.{unknown[0]}", "unknown setting; known: cap, groups")
    cap = raw.get("cap")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise ConfigError(config.path, "team.cap", "must be a whole number, 1 or more")
    groups = raw.get("groups", {})
    if not isinstance(groups, dict):
        raise ConfigError(
            config.path, "team.groups", 'must be a table, like { billing = ["anna"] }'
        )
    return TeamSettings(
        cap, {name: _names(v, f"team.groups.{name}", config) for name, v in groups.items()}
    )


TEAM = Section("team", parse_team)


def choose(
    agents: Sequence[str],
    how: str,
    *,
    load: Mapping[str, int],
    last: str | None = None,
    online: set[str] | None = None,
    cap: int | None = None,
) -> str | None:
    """The agent of `agents` to give the next ticket: among those online (None: all) and under
    `cap` open tickets, the next after `last` in the list (round_robin) or the one holding the
    fewest, first listed on a tie (least_loaded); None when nobody qualifies."""
    eligible = [
        a
        for a in agents
        if (online is None or a in online) and (cap is None or load.get(a, 0) < cap)
    ]
    if not eligible:
        return None
    if how == "least_loaded":
        return min(eligible, key=lambda a: (load.get(a, 0), agents.index(a)))
    start = agents.index(last) + 1 if last in agents else 0
    ring = [*agents[start:], *agents[:start]]
    return next(a for a in ring if a in eligible)


def online(store: Store, now: datetime) -> set[str] | None:
    """Who is online as this replica last heard it; None outside team mode.

    Raises ActionError when this is a team replica but no workstation here heard lately."""
    if rows.meta_get(store.conn, rows.TEAM_URL) is None:
        return None
    heard = rows.online_roster(store.conn)
    if heard is None or now - from_iso(heard[1]) > FRESH:
        raise actions.ActionError(
            "who is online is not known here: no workstation of this replica has heard from "
            f"the team server in the last {int(FRESH.total_seconds() // 60)} minutes"
        )
    return set(heard[0])


def remember_online(store: Store, agents: Sequence[str], now: datetime) -> None:
    """Keep who is online, as the team server just said, for the rules of this replica."""
    with store.tx() as conn:
        rows.set_online_roster(conn, sorted(agents), to_iso(now))


class OnlineKeeper:
    """Writes who is online into the replica, for its rules, when it changed and again every
    `every` seconds so that they know it is current (each write wakes the screens, so not more
    often). The workstation's beacon keeps it, and so does a headless worker."""

    def __init__(self, every: float = REMEMBER) -> None:
        self.every = every
        self._agents: list[str] | None = None
        self._kept = 0.0

    def heard(self, store: Store, agents: list[str], now: datetime) -> None:
        moment = time.monotonic()
        if agents == self._agents and moment < self._kept + self.every:
            return
        remember_online(store, agents, now)
        self._agents, self._kept = agents, moment


def take_next_here(store: Store, agent: str, now: datetime, cap: int | None = None) -> int | None:
    """Outside team mode: give `agent` the first open ticket nobody has, in queue order, unless
    they hold `cap` open ones already; None when every open ticket has someone. Two agents
    asking at once are served one after the other by the write lock, so never the same one."""
    with store.tx() as conn:
        held = loads.open_load(conn, [agent])[agent]
        if cap is not None and held >= cap:
            raise actions.ActionError(f"{agent} already has {held} open tickets, the cap")
        ticket_id = rows.next_unassigned(conn, to_iso(now))
        if ticket_id is None:
            return None
        actions.assign(store, ticket_id, agent, actor=f"agent:{agent}", at=now)
    return ticket_id
