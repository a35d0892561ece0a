"""The team's worker against a real Dovecot, SMTP server and PostgreSQL: mail reaches the team at
once while replies are being sent, a worker told to stop with a backlog stops in seconds and
leaves the rest to the next, once each, and an SMTP server nobody can reach leaves the reply
waiting with its error while the mail keeps coming."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import actions
from deskterm.domain import from_iso, utcnow
from deskterm.store import Store
from deskterm.team import replica, server
from deskterm.team.worker import Worker

from .conftest import mail
from .postgres import Postgres
from .sending import running_smtp
from .servers import Dovecot
from .teams import Team, state, ticket_of
from .test_team_kills import wait_until

pytestmark = pytest.mark.integration

WORKER = (sys.executable, "-m", "deskterm", "sync", "--watch", "--interval", "1")


def on_server(team: Team, sql: str, *args: object) -> list[tuple]:
    conn = server.connect(team.url("anna"))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def on_the_team(team: Team, message_id: str) -> bool:
    """Whether the team's log holds the customer mail with this Message-ID."""
    found = on_server(
        team,
        "SELECT 1 FROM deskterm.events WHERE data -> 'message_row' ->> 'message_id' = %s",
        message_id,
    )
    return bool(found)


def ben_answers_everything(team: Team, ben: Store) -> int:
    """ben pulls the team's tickets and answers each; how many replies he queued."""
    team.sync(ben)
    gids = [gid for (gid,) in ben.conn.execute("SELECT gid FROM tickets ORDER BY id")]
    for gid in gids:
        actions.reply(ben, ticket_of(ben, gid), "On its way.", actor="agent:ben")
    team.sync(ben)
    return len(gids)


def mailbox_with(dovecot: Dovecot, account, count: int):
    inbox = dovecot.client(account.settings["username"])
    for n in range(count):
        inbox.append(
            "INBOX", mail(f"Order {n}", sender=f"buyer{n}@example.net", message_id=f"<o{n}@x>")
        )
    return inbox


def test_mail_reaches_the_team_at_once_while_the_worker_sends_a_backlog(
    postgres: Postgres, tmp_path: Path, store: Store, dovecot: Dovecot, mail_account: Callable
) -> None:
    with running_smtp(delay=2.0) as sink:
        account = mail_account(sink)
        inbox = mailbox_with(dovecot, account, 6)
        team = Team(postgres, tmp_path)
        replica.init(store, team.url("anna"), "anna")
        ben = team.join("ben")
        worker = Worker(store)
        worker.run_once()
        queued = ben_answers_everything(team, ben)
        stop = threading.Event()
        # Full passes a minute apart: only a wake by the mailbox brings the mail sooner.
        watching = threading.Thread(target=worker.watch, args=(stop, 60.0))
        watching.start()
        try:
            wait_until("the first reply to be handed over", lambda: bool(sink.accepted))
            inbox.append("INBOX", mail("Late", sender="late@example.net", message_id="<late@x>"))
            landed = time.monotonic()
            wait_until("the new mail to reach the team", lambda: on_the_team(team, "<late@x>"))
            took = time.monotonic() - landed
            assert len(sink.accepted) < queued  # the replies were still being sent
            assert took < 5
        finally:
            stop.set()
            watching.join()
            worker.close()
        inbox.logout()
    ben.close()


def start_worker(path: Path, log: Path, *, in_background: bool) -> subprocess.Popen:
    """`deskterm sync --watch` as a process; `in_background`: started as a script's background
    job is, with SIGINT ignored."""

    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    with log.open("ab") as err:
        return subprocess.Popen(
            [*WORKER, "--db", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=ignore_sigint if in_background else None,
        )


@pytest.mark.parametrize(("how", "in_background"), [(signal.SIGTERM, False), (signal.SIGINT, True)])
def test_a_worker_told_to_stop_with_a_backlog_stops_in_seconds_and_the_next_sends_the_rest_once(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    dovecot: Dovecot,
    mail_account: Callable,
    how: signal.Signals,
    in_background: bool,
) -> None:
    with running_smtp(delay=0.5) as sink:
        account = mail_account(sink)
        mailbox_with(dovecot, account, 12).logout()
        team = Team(postgres, tmp_path)
        replica.init(store, team.url("anna"), "anna")
        ben = team.join("ben")
        first = Worker(store)
        first.run_once()
        first.close()
        queued = ben_answers_everything(team, ben)
        log = tmp_path / "worker.log"
        proc = start_worker(store.path, log, in_background=in_background)
        wait_until("two replies to arrive", lambda: len(sink.accepted) >= 2)
        proc.send_signal(how)
        told = time.monotonic()
        assert proc.wait(30) == 0
        stopped_in = time.monotonic() - told
        assert stopped_in < 8
        assert len(sink.accepted) < queued  # it left a backlog
        proc = start_worker(store.path, log, in_background=in_background)
        try:
            wait_until("every reply to leave", lambda: len(sink.counts()) == queued, 120)
        finally:
            proc.send_signal(how)
            assert proc.wait(30) == 0
        assert set(sink.counts().values()) == {1}
    assert "Traceback" not in log.read_text()
    statuses = on_server(team, "SELECT status, count(*) FROM deskterm.outbox GROUP BY status")
    assert statuses == [("sent", queued)]
    team.sync(store)
    team.sync(ben)
    assert state(store) == state(ben)
    ben.close()


def test_an_smtp_server_nobody_can_reach_leaves_the_reply_waiting_with_its_error(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    db_path: Path,
    dovecot: Dovecot,
    mail_account: Callable,
) -> None:
    account = mail_account()  # its SMTP port is closed
    inbox = mailbox_with(dovecot, account, 1)
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    worker = Worker(store)
    try:
        worker.run_once()
        ben_answers_everything(team, ben)
        (report,) = worker.run_once()
        assert report.state == "offline"
        assert report.error.startswith("cannot reach SMTP server 127.0.0.1:")
        status, error, attempts, due = store.conn.execute(
            "SELECT status, last_error, attempts, next_attempt_at FROM outbox"
        ).fetchone()
        assert (status, error, attempts) == ("queued", report.error, 1)
        assert from_iso(due) > utcnow() + timedelta(seconds=20)  # tried again after a while
        # The mail keeps coming, and the reply waits for its time.
        inbox.append("INBOX", mail("Again", sender="again@example.net", message_id="<again@x>"))
        (report,) = worker.run_once()
        assert (report.pulled, report.error) == (1, None)
        assert store.conn.execute("SELECT attempts FROM outbox").fetchone() == (1,)
    finally:
        worker.close()
    inbox.logout()
    ben_answers_everything(team, ben)  # a reply due now: `deskterm sync` tries it and says why
    result = subprocess.run(
        [sys.executable, "-m", "deskterm", "sync", "--db", str(db_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{account.name}: offline: cannot reach SMTP server 127.0.0.1:")
    assert "[Errno 111] Connection refused" in line
    ben.close()
