"""The workstation's background sync keeps a team replica moving both ways while it runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from deskterm import actions
from deskterm.store import Store
from deskterm.sync.engine import Watcher
from deskterm.team import replica

from .postgres import Postgres
from .teams import Team, state, ticket_of

pytestmark = pytest.mark.integration


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_running_workstation_pushes_and_pulls_without_being_asked(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    deliver(make_message())
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    gid = store.conn.execute("SELECT gid FROM tickets").fetchone()[0]
    watcher = Watcher(ben.path, interval=30.0)
    watcher.start()
    try:
        actions.note(ben, ticket_of(ben, gid), "on it", actor="agent:ben")
        assert _until(lambda: team.sync(store)[1] > 0)  # anna receives ben's note
        actions.tag(store, ticket_of(store, gid), "vip", actor="agent:anna")
        team.sync(store)
        assert _until(lambda: state(ben) == state(store))  # ben's side, woken by the server
    finally:
        watcher.stop()
        ben.close()


def test_a_replica_wakes_for_events_it_has_not_pulled_and_sleeps_through_those_it_has(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> None:
    import threading

    from deskterm.team import schema, server

    deliver(make_message())
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    listener = server.connect(team.url("anna"))
    listener.autocommit = True
    listener.execute(f"LISTEN {schema.CHANNEL}")
    stop = threading.Event()

    def wait(poll_s: float) -> float:
        start = time.monotonic()
        replica.wait_for_news(store, listener, stop, poll_s, store.data_version())
        return time.monotonic() - start

    try:
        actions.tag(ben, 1, "vip", actor="agent:ben")
        actions.tag(ben, 1, "late", actor="agent:ben")
        team.sync(ben)  # one push of two events: one notification, naming the second
        notified = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
        assert notified == [str(replica.pulled_through(ben))]
        actions.untag(ben, 1, "vip", actor="agent:ben")
        team.sync(ben)
        assert wait(30.0) < 10  # anna is behind: woken
        team.sync(store)
        actions.untag(ben, 1, "late", actor="agent:ben")
        team.sync(ben)
        team.sync(store)  # anna pulls it before she waits: its notification is old news
        assert wait(1.5) >= 1.5
    finally:
        listener.close()
        ben.close()
