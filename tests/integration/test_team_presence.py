"""Presence: who has a ticket open, seen by the others until it lapses, never faked."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.main import app
from deskterm.store import Store
from deskterm.team import presence, replica, server
from deskterm.team.server import TeamError

from .postgres import Postgres
from .teams import Team, ticket_of

pytestmark = pytest.mark.integration


def test_an_agent_sees_who_has_a_ticket_open_until_it_lapses(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    deliver: Callable,
    make_message: Callable,
    db_path: Path,
) -> None:
    deliver(make_message(subject="First"), make_message(subject="Second"))
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    gid = store.conn.execute("SELECT gid FROM tickets WHERE id = 2").fetchone()[0]
    result = CliRunner().invoke(app, ["team", "here", "2", "--ttl", "5", "--db", str(db_path)])
    assert result.exit_code == 0

    conn = replica.open_server(replica.configured(ben))
    try:
        assert presence.others(conn, ben) == {ticket_of(ben, gid): [("anna", "viewing")]}
        presence.announce(conn, ben, ticket_of(ben, gid), "writing", ttl=1)
        result = CliRunner().invoke(app, ["team", "who", "--db", str(db_path)])
        assert result.stdout == "#2  ben writing\n"
        time.sleep(1.5)  # ben's lapses; anna's lasts 5 s
        assert CliRunner().invoke(app, ["team", "who", "--db", str(db_path)]).stdout == ""
        assert presence.others(conn, ben) == {ticket_of(ben, gid): [("anna", "viewing")]}
        CliRunner().invoke(app, ["team", "here", "--db", str(db_path)])  # anna closes it
        assert presence.others(conn, ben) == {}
    finally:
        conn.close()
        ben.close()


def test_a_role_that_is_no_agent_cannot_appear(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    deliver(make_message())
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    conn = server.connect(team.url("ben"))
    try:
        with pytest.raises(TeamError, match="refused the presence: permission denied"):
            presence.announce(conn, store, 1)
    finally:
        conn.close()
