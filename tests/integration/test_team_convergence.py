"""Several replicas working at once, some offline for a while, against one real PostgreSQL: at
the end every replica equals every other, and the server holds each event exactly once."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from deskterm import actions
from deskterm.domain import TRANSITIONS, Priority, Status
from deskterm.store import Store
from deskterm.team import replica

from .postgres import Postgres
from .teams import Team, state

pytestmark = pytest.mark.integration

AGENTS = ("ben", "cleo", "dan")
TAGS = ("vip", "refund", "late", "damaged")


def _act(rng: random.Random, store: Store, agent: str) -> bool:
    """One random action of `agent` on a random ticket; False when it was refused."""
    tickets = [t for (t,) in store.conn.execute("SELECT id FROM tickets ORDER BY id")]
    ticket = rng.choice(tickets)
    actor = f"agent:{agent}"
    status = Status(
        store.conn.execute("SELECT status FROM tickets WHERE id = ?", (ticket,)).fetchone()[0]
    )
    choices: list[Callable[[], object]] = [
        lambda: actions.set_priority(store, ticket, rng.choice(list(Priority)), actor=actor),
        lambda: actions.assign(store, ticket, rng.choice([*AGENTS, None]), actor=actor),
        lambda: actions.tag(store, ticket, rng.choice(TAGS), actor=actor),
        lambda: actions.untag(store, ticket, rng.choice(TAGS), actor=actor),
        lambda: actions.note(store, ticket, f"{agent} looked at it", actor=actor),
    ]
    if TRANSITIONS[status]:
        target = rng.choice(sorted(TRANSITIONS[status]))
        choices.append(lambda: actions.set_status(store, ticket, target, actor=actor))
    try:
        rng.choice(choices)()
    except actions.ActionError:
        return False
    return True


def test_replicas_working_offline_and_online_converge_with_every_event_once(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    deliver: Callable,
    make_message: Callable,
) -> None:
    rng = random.Random(21)
    for n in range(6):
        deliver(make_message(subject=f"Order {n}"))
    team = Team(postgres, tmp_path, AGENTS)
    replica.init(store, team.url("anna"), "anna")
    replicas = {"anna": store, **{agent: team.join(agent) for agent in AGENTS}}
    written = len(team.server_uids())
    for _ in range(8):
        offline = set(rng.sample(sorted(replicas), 2))
        for name, replica_store in replicas.items():
            written += sum(_act(rng, replica_store, name) for _ in range(rng.randint(1, 4)))
        for name in rng.sample(sorted(replicas), len(replicas)):
            if name not in offline:
                team.sync(replicas[name])
    for _ in range(2):  # everyone back online: push, then pull what the last pushes brought
        for replica_store in replicas.values():
            team.sync(replica_store)

    uids = team.server_uids()
    assert len(uids) == len(set(uids)) == written
    first = state(store)
    for name, replica_store in replicas.items():
        assert state(replica_store) == first, name
    local = store.conn.execute(
        "SELECT COUNT(*) FROM events WHERE kind != 'sla_breach' AND seq IS NULL"
    ).fetchone()[0]
    assert local == 0
    for replica_store in replicas.values():
        if replica_store is not store:
            replica_store.close()
