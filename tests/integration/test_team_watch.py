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


@pytest.fixture
def published(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> tuple[Team, Store]:
    """anna's workspace with one ticket, published, and ben's replica joined to it."""
    deliver(make_message())
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    return team, team.join("ben")


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


@pytest.mark.parametrize("command", [("team", "sync"), ("sync",)])
def test_a_team_replica_kept_in_sync_tells_the_desktop_as_sync_watch_does(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    deliver: Callable,
    make_message: Callable,
    command: tuple[str, ...],
) -> None:
    import os
    import signal
    import subprocess
    import sys
    from datetime import timedelta

    from deskterm.domain import to_iso, utcnow

    deliver(make_message())
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    # A fake notify-send on a desktop: it writes down what it was asked to show.
    shown = tmp_path / "shown.txt"
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "notify-send").write_text(f'#!/bin/sh\necho "$@" >> {shown}\n')
    (tools / "notify-send").chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nname = "ben"\n\n[tui]\ndesktop = ["breach"]\n')
    env = os.environ | {
        "PATH": f"{tools}:{os.environ['PATH']}",
        "DISPLAY": ":0",
        "DESKTERM_CONFIG": str(config),
    }
    args = ("--watch", "--interval", "1", "--db", str(ben.path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "deskterm", *command, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        actions.tag(store, 1, "vip", actor="agent:anna")
        team.sync(store)
        tagged = "SELECT 1 FROM ticket_tags WHERE tag = 'vip'"
        assert _until(lambda: ben.conn.execute(tagged).fetchone() is not None, 60.0)
        with ben.tx() as conn:  # the watch runs: the first reply falls due
            conn.execute(
                "UPDATE tickets SET next_deadline = ?, status = 'open'",
                (to_iso(utcnow() + timedelta(seconds=2)),),
            )
        said = "--app-name=deskterm -- SLA breach #1 "
        assert _until(lambda: shown.exists() and said in shown.read_text(), 30.0)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        ben.close()
    assert proc.returncode == 0


def test_a_watching_replica_uses_one_connection_and_hears_news_that_came_during_a_pass(
    postgres: Postgres, published: tuple[Team, Store], store: Store
) -> None:
    import threading

    team, ben = published
    role = team.roles["ben"]

    def sessions() -> int:
        with postgres.admin() as admin:
            found = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,)
            ).fetchone()
        return found[0] if found else 0

    # A notification that reaches the connection while it runs a statement (a pass) wakes the
    # next wait all the same: the poll here is far longer than the test may take.
    conn = replica.listening(replica.configured(ben))
    stop = threading.Event()
    try:
        actions.tag(store, 1, "vip", actor="agent:anna")
        team.sync(store)
        time.sleep(0.3)  # the announcement is on its way to ben's connection
        conn.execute("SELECT 1")  # busy: it reads the announcement with the answer
        start = time.monotonic()
        replica.wait_for_news(ben, conn, stop, 30.0, ben.data_version())
        assert time.monotonic() - start < 10
    finally:
        conn.close()

    own = team.replica("ben")  # the watch's thread has its own connection to the file
    watching = threading.Thread(target=replica.watch, args=(own, stop), kwargs={"poll_s": 60.0})
    watching.start()
    try:
        assert _until(lambda: sessions() == 1)
        actions.tag(store, 1, "late", actor="agent:anna")
        team.sync(store)
        assert _until(lambda: state(ben) == state(store))  # woken by the server, not the poll
        assert sessions() == 1
    finally:
        stop.set()
        watching.join()
        own.close()
        ben.close()


def test_a_watching_replica_whose_file_was_busy_catches_up_once_it_is_free(
    published: tuple[Team, Store], store: Store
) -> None:
    import sqlite3
    import threading

    team, ben = published
    own = team.replica("ben")
    own.conn.execute("PRAGMA busy_timeout = 100")  # gives up at once, not after 10 s
    other = sqlite3.connect(ben.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writes, for longer than that
    stop = threading.Event()
    watching = threading.Thread(target=replica.watch, args=(own, stop), kwargs={"poll_s": 60.0})
    watching.start()
    try:
        actions.tag(store, 1, "vip", actor="agent:anna")
        team.sync(store)
        time.sleep(1.0)  # ben's passes find the file busy meanwhile
        other.execute("COMMIT")
        assert _until(lambda: state(ben) == state(store))
        assert watching.is_alive()
    finally:
        stop.set()
        watching.join()
        other.close()
        own.close()
        ben.close()


def test_a_write_by_this_process_wakes_the_replica_sync_at_once(
    published: tuple[Team, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    team, ben = published
    monkeypatch.setattr(replica, "LOOK_S", 30.0)  # other processes' writes: looked for rarely
    own = team.replica("ben")  # the sync's own connection; ben's is the screen's
    passes: list[tuple[int, int]] = []
    stop = threading.Event()
    options = {"poll_s": 60.0, "on_pass": lambda *done: passes.append(done)}
    watching = threading.Thread(target=replica.watch, args=(own, stop), kwargs=options)
    watching.start()
    try:
        assert _until(lambda: len(passes) == 1)
        before = len(team.server_uids())
        actions.tag(ben, 1, "vip", actor="agent:ben")
        assert _until(lambda: len(team.server_uids()) == before + 1, 5.0)
        time.sleep(1.0)  # the sync's own writes (marking the push) do not wake it again
        assert len(passes) == 2
    finally:
        stop.set()
        with ben.tx():  # a write wakes it to see the stop
            pass
        watching.join()
        own.close()
        ben.close()


class RefusedRider:
    """A rider the server refuses each time: the sync must go on without it."""

    channel = "deskterm_presence"

    def __init__(self) -> None:
        self.beats = 0
        self.lost_times = 0

    def beat(self, conn: object, store: Store) -> None:
        from deskterm.team.server import TeamError

        self.beats += 1
        raise TeamError("the team server refused the presence: permission denied")

    def heard(self) -> None:
        pass

    def lost(self) -> None:
        self.lost_times += 1

    def done(self, conn: object, store: Store) -> None:
        raise AssertionError("a rider put down is not asked to finish")


def test_a_rider_the_server_refuses_is_put_down_and_the_sync_goes_on(
    published: tuple[Team, Store], store: Store
) -> None:
    team, ben = published
    rider = RefusedRider()
    watcher = Watcher(ben.path, interval=30.0, team_rider=rider)
    watcher.start()
    try:
        actions.note(store, 1, "I called them", actor="agent:anna")
        team.sync(store)
        assert _until(lambda: state(ben) == state(store))
        assert _until(lambda: rider.lost_times == 1)
        time.sleep(1.0)  # five turns of the wait
        assert (rider.beats, rider.lost_times) == (1, 1)  # once per connection, not every turn
    finally:
        watcher.stop()
        ben.close()


class CountingRider(RefusedRider):
    """A rider that notes how far the replica had pulled at each beat."""

    def __init__(self) -> None:
        super().__init__()
        self.pulled_at: list[int] = []

    def beat(self, conn: object, store: Store) -> None:
        self.pulled_at.append(replica.pulled_through(store))

    def done(self, conn: object, store: Store) -> None:
        pass


def test_a_rider_beats_while_a_long_catch_up_is_applied(
    published: tuple[Team, Store], store: Store
) -> None:
    team, ben = published
    for n in range(3 * replica.APPLY):
        actions.tag(store, 1, f"t{n}", actor="agent:anna")
    team.sync(store)
    start, end = replica.pulled_through(ben), replica.pulled_through(store)
    rider = CountingRider()
    watcher = Watcher(ben.path, interval=30.0, team_rider=rider)
    watcher.start()
    try:
        assert _until(lambda: replica.pulled_through(ben) == end, 30.0)
    finally:
        watcher.stop()
        ben.close()
    assert [p for p in rider.pulled_at if start < p < end]  # mid-way, not only before and after


class EchoRider(CountingRider):
    """Its first beat makes a notification on its own channel, as another agent's announcement
    arriving during the beat's statements would: psycopg keeps it aside, off the socket."""

    def beat(self, conn: object, store: Store) -> None:
        super().beat(conn, store)
        if len(self.pulled_at) == 1:
            conn.execute(f"NOTIFY {self.channel}")  # type: ignore[attr-defined]


def test_what_a_rider_hears_during_its_beat_it_reads_at_once(
    published: tuple[Team, Store],
) -> None:
    import threading

    _, ben = published
    rider = EchoRider()
    conn = replica.listening(replica.configured(ben), rider.channel)
    try:
        # Shorter than one turn of the wait: a second beat can only come from hearing the first.
        replica.wait_for_news(
            ben, conn, threading.Event(), replica.LOOK_S / 2, ben.data_version(), rider=rider
        )
    finally:
        conn.close()
        ben.close()
    assert len(rider.pulled_at) == 2
