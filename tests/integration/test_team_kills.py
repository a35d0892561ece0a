"""Team workers killed with SIGKILL: `deskterm sync --watch` processes on two replicas of one
team, pulling from a real Dovecot and sending through a real SMTP server. Whichever dies, mid-pull
or mid-send, the other takes its account over: every mail reaches the team once, no reply leaves
twice, and the one reply nobody can vouch for is held for a person, who sends it once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deskterm import actions
from deskterm.connector import Account
from deskterm.store import Store, open_store
from deskterm.store.team import meta_get
from deskterm.team import replica, server
from deskterm.team.replica import PULLED

from .conftest import mail
from .postgres import Postgres
from .sending import running_smtp
from .servers import Dovecot
from .teams import Team, state, ticket_of

pytestmark = pytest.mark.integration

WORKER = (sys.executable, "-m", "deskterm", "sync", "--watch", "--interval", "1")


class Crew:
    """anna's two machines, each able to run the worker as a process, and ben's replica."""

    def __init__(self, team: Team, first: Store, account: Account, logs: Path) -> None:
        self.team = team
        self.account = account
        self.logs = logs
        replica.init(first, team.url("anna"), "anna")
        self.machines = [first, team.replica("anna2")]
        replica.join(self.machines[1], team.url("anna"), "anna")
        # The account comes from the team; where this machine keeps its files is its own.
        with self.machines[1].tx() as conn:
            conn.execute(
                "UPDATE accounts SET settings = json_set(settings, '$.data_dir', ?)",
                (str(logs / "data2"),),
            )
        self.ben = team.join("ben")
        self.procs: list[subprocess.Popen] = []

    def start(self, machine: int) -> subprocess.Popen:
        """`deskterm sync --watch` on one of anna's machines."""
        path = self.machines[machine].path
        with open(self.logs / f"worker{machine}.log", "ab") as log:
            proc = subprocess.Popen(
                [*WORKER, "--db", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @contextmanager
    def pushes_held(self) -> Iterator[None]:
        """The team's event log locked against writes, so a worker's pull stays unpushed (its
        push waits on the lock) for as long as the test needs, however fast the machine is."""
        conn = server.connect(self.team.url("anna"))
        try:
            conn.execute("LOCK TABLE deskterm.events IN EXCLUSIVE MODE")
            yield
        finally:
            conn.rollback()
            conn.close()

    def on_server(self, sql: str) -> list[tuple]:
        conn = server.connect(self.team.url("anna"))
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def mail_on_server(self) -> Counter:
        """How many events brought each customer mail to the team."""
        return Counter(
            ref
            for (ref,) in self.on_server(
                "SELECT data -> 'message_row' ->> 'external_id' FROM deskterm.events"
                " WHERE kind IN ('created', 'message_in')"
            )
        )

    def replies_on_server(self) -> dict[str, tuple[str, str | None]]:
        """Message-ID -> (status, error) of every reply in the team's outbox."""
        found = self.on_server(
            "SELECT payload ->> 'message_id', status, error FROM deskterm.outbox"
        )
        return {mid: (status, error) for mid, status, error in found}


def unpushed_mail(path: Path) -> int:
    """Mail a replica has pulled and not yet pushed to the team."""
    store = open_store(path)
    try:
        return store.conn.execute(
            "SELECT count(*) FROM events WHERE seq IS NULL AND kind IN ('created', 'message_in')"
        ).fetchone()[0]
    finally:
        store.close()


def wait_until(what: str, done: Callable[[], bool], seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not done():
        if time.monotonic() > end:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.fixture
def crew_for(
    postgres: Postgres, tmp_path: Path, store: Store, dovecot: Dovecot, mail_account: Callable
) -> Iterator[Callable[..., Crew]]:
    made: list[Crew] = []

    def make(mails: int, **settings) -> Crew:
        account = mail_account(**settings)
        inbox = dovecot.client(account.settings["username"])
        for n in range(mails):
            raw = mail(f"Order {n}", sender=f"buyer{n}@example.net", message_id=f"<o{n}@x>")
            inbox.append("INBOX", raw)
        inbox.logout()
        made.append(Crew(Team(postgres, tmp_path), store, account, tmp_path))
        return made[-1]

    yield make
    for crew in made:
        crew.stop()
        crew.machines[1].close()
        crew.ben.close()


def test_a_worker_killed_mid_pull_is_taken_over_and_each_mail_reaches_the_team_once(
    crew_for: Callable[..., Crew],
) -> None:
    crew = crew_for(24, batch_size=3)
    first_path = crew.machines[0].path
    with crew.pushes_held():
        first = crew.start(0)
        wait_until("the first worker to pull", lambda: unpushed_mail(first_path) > 0)
        kill(first)
    assert unpushed_mail(first_path) > 0  # it died holding mail it had not pushed
    crew.start(1)
    wait_until("the second worker to bring every mail", lambda: len(crew.mail_on_server()) == 24)
    crew.start(0)  # the first machine comes back: the server refuses its copies
    wait_until("the first replica to catch up", lambda: caught_up(crew, 0))
    crew.stop()

    assert set(crew.mail_on_server().values()) == {1}
    crew.team.sync(crew.ben)
    first_machine = state(crew.machines[0])
    assert state(crew.machines[1]) == first_machine, "anna's two machines differ"
    assert state(crew.ben) == first_machine, "ben's replica differs from anna's"


@pytest.mark.parametrize("moment", ["handing", "accepted"])
def test_a_worker_killed_mid_send_is_taken_over_and_each_reply_leaves_once(
    crew_for: Callable[..., Crew], moment: str
) -> None:
    with running_smtp(delay=0.5) as sink:
        # A send in flight when its worker went is taken over after twice the timeout.
        crew = crew_for(6, smtp=sink, timeout=2)
        first = crew.start(0)
        wait_until("the mail to reach the team", lambda: len(crew.mail_on_server()) == 6)
        crew.team.sync(crew.ben)
        for (gid,) in crew.ben.conn.execute("SELECT gid FROM tickets").fetchall():
            actions.reply(crew.ben, ticket_of(crew.ben, gid), "On its way.", actor="agent:ben")
        crew.team.sync(crew.ben)
        if moment == "handing":  # handed to the server, which has not answered yet
            wait_until("a send to begin", lambda: _any(crew, "handing"))
        else:  # the server took one
            wait_until("a reply to arrive", lambda: bool(sink.accepted))
        kill(first)
        crew.start(1)
        wait_until("every reply to be settled", lambda: _settled(crew))
        replies = crew.replies_on_server()
        held = [mid for mid, (status, _) in replies.items() if status == "failed"]
        assert len(replies) == 6 and len(held) <= 1
        assert all("may or may not have reached" in replies[mid][1] for mid in held)
        assert max(sink.counts().values()) == 1  # nothing left twice
        sent = {mid for mid, (status, _) in replies.items() if status == "sent"}
        assert sent <= set(sink.counts())  # nothing recorded as sent that the server lacks
        # ben checks with the customer; a reply that never came he sends anyway, once.
        crew.team.sync(crew.ben)
        for mid in held:
            if mid not in sink.counts():
                item = crew.ben.conn.execute(
                    "SELECT id FROM outbox WHERE json_extract(payload, '$.message_id') = ?", (mid,)
                ).fetchone()[0]
                actions.retry_send(crew.ben, item, actor="agent:ben")
        crew.team.sync(crew.ben)
        wait_until("the retried reply to leave", lambda: len(sink.counts()) == 6)
        crew.start(0)
        wait_until("the first replica to catch up", lambda: caught_up(crew, 0))
        crew.stop()
        assert set(sink.counts().values()) == {1}
    crew.team.sync(crew.ben)
    assert state(crew.machines[0]) == state(crew.machines[1]) == state(crew.ben)


def _any(crew: Crew, status: str) -> bool:
    return any(s == status for s, _ in crew.replies_on_server().values())


def _settled(crew: Crew) -> bool:
    replies = crew.replies_on_server()
    return len(replies) == 6 and all(s in ("sent", "failed") for s, _ in replies.values())


def caught_up(crew: Crew, machine: int) -> bool:
    """Whether one of anna's replicas pushed all it wrote and pulled all the server has."""
    ((last,),) = crew.on_server("SELECT coalesce(max(seq), 0) FROM deskterm.events")
    store = open_store(crew.machines[machine].path)
    try:
        unpushed = store.conn.execute(
            "SELECT count(*) FROM events WHERE seq IS NULL AND kind != 'sla_breach'"
        ).fetchone()[0]
        return unpushed == 0 and int(meta_get(store.conn, PULLED) or 0) >= last
    finally:
        store.close()
