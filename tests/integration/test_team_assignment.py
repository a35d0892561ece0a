"""Take next: agents asking at once get different tickets, and nobody beyond their cap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.main import app
from deskterm.domain import to_iso, utcnow
from deskterm.store import Store
from deskterm.store import team as rows
from deskterm.team import assignment, presence, replica
from deskterm.team.server import TeamError

from .postgres import Postgres
from .teams import Team, ticket_of

pytestmark = pytest.mark.integration


def _take(team: Team, store: Store, cap: int | None = None) -> str | None:
    conn = replica.open_server(replica.configured(store))
    try:
        ticket_id = assignment.take_next(store, conn, cap)
    finally:
        conn.close()
    if ticket_id is None:
        return None
    return store.conn.execute("SELECT gid FROM tickets WHERE id = ?", (ticket_id,)).fetchone()[0]


def test_agents_taking_at_once_get_different_tickets_within_their_cap(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    deliver(*(make_message(subject=f"Order {n}") for n in range(3)))
    team = Team(postgres, tmp_path, ("ben", "cleo"))
    replica.init(store, team.url("anna"), "anna")
    ben, cleo = team.join("ben"), team.join("cleo")
    # Neither has pulled the other's take when asking: the server tells them apart.
    taken = [_take(team, ben), _take(team, cleo)]
    assert None not in taken and len(set(taken)) == 2
    with pytest.raises(TeamError, match="agent ben already has 1 open tickets, the cap"):
        _take(team, ben, cap=1)
    third = _take(team, ben, cap=2)
    assert third not in taken and third is not None
    team.sync(cleo)
    assert _take(team, cleo) is None
    team.sync(store)
    assignees = store.conn.execute(
        "SELECT assignee, COUNT(*) FROM tickets GROUP BY assignee ORDER BY assignee"
    ).fetchall()
    assert assignees == [("ben", 2), ("cleo", 1)]
    result = CliRunner().invoke(app, ["team", "next", "--db", str(store.path)])
    assert (result.exit_code, result.stdout) == (
        0,
        "nothing to take: every open ticket has someone\n",
    )
    ben.close()
    cleo.close()


@pytest.mark.parametrize("doing", ["viewing", "writing"])
def test_take_next_passes_over_a_ticket_another_agent_has_open(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    deliver: Callable,
    make_message: Callable,
    doing: str,
) -> None:
    deliver(*(make_message(subject=f"Order {n}") for n in range(2)))
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    first, second = rows.takeable(ben.conn, to_iso(utcnow()), 2)
    anna = replica.open_server(replica.configured(store))
    try:
        presence.announce(anna, store, ticket_of(store, first), doing)  # anna has it open
        assert _take(team, ben) == second
        presence.announce(anna, store, None)  # anna closed it
        team.sync(ben)
        assert _take(team, ben) == first
    finally:
        anna.close()
        ben.close()
