"""The team's worker: each account pulled by one worker at a time, each reply sent once whichever
agent queued it, and a worker that dies taken over without losing or repeating anything."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deskterm import actions
from deskterm.connector import Account, Connector, Handover
from deskterm.domain import Batch, InboundMessage, Outbound, utcnow
from deskterm.store import Store
from deskterm.team import replica, server
from deskterm.team.worker import Worker

from .postgres import Postgres
from .teams import Team, state, ticket_of

pytestmark = pytest.mark.integration


class Channel(Connector):
    """One mailbox both workers reach: what it holds to pull, and every reply it accepted."""

    name = "fake"
    channel = "email"
    can_send = True

    def __init__(self, account: Account, inbox: list[InboundMessage]) -> None:
        super().__init__(account)
        self.inbox = inbox
        self.delivered: list[Outbound] = []

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        start = cursors.get("INBOX", {}).get("next", 0)
        if start < len(self.inbox):
            yield Batch(self.inbox[start:], {"next": len(self.inbox)}, "INBOX")

    def send(self, outbound: Outbound, handover: Handover) -> str:
        self.delivered.append(outbound)
        return f"sent-{len(self.delivered)}"

    def confirm_sent(self, outbound: Outbound) -> str | None:
        keys = [d.idempotency_key for d in self.delivered]
        return (
            f"sent-{keys.index(outbound.idempotency_key) + 1}"
            if outbound.idempotency_key in keys
            else None
        )


ACCOUNT = Account(
    name="mail",
    connector="fake",
    channel="email",
    address="help@shop.example",
    settings={"timeout": 0},
)


def _add_account(store: Store) -> None:
    # A timeout of 0: a send in flight when its worker went is taken over at once.
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES ('mail', 'fake', 'email', 'help@shop.example', '{\"timeout\": 0}',"
            " '2026-11-01T00:00:00Z')"
        )


class Crew:
    """anna's two machines, each able to run the worker, and ben's replica."""

    def __init__(self, team: Team, first: Store, channel: Channel) -> None:
        self.team = team
        self.channel = channel
        self.machines = [first, team.replica("anna2")]
        replica.join(self.machines[1], team.url("anna"), "anna")
        for store in self.machines:
            _add_account(store)
        self.ben = team.join("ben")
        self.workers = [self.worker(store) for store in self.machines]

    def worker(self, store: Store) -> Worker:
        return Worker(store, make_connector=lambda account: self.channel)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.machines[1].close()
        self.ben.close()


@pytest.fixture
def crew(
    postgres: Postgres, tmp_path: Path, store: Store, deliver: Callable, make_message: Callable
) -> Iterator[Crew]:
    deliver(make_message(subject="Before the team"))
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    channel = Channel(ACCOUNT, [make_message(subject=f"New {n}") for n in range(3)])
    crew = Crew(team, store, channel)
    yield crew
    crew.close()


def test_only_one_worker_pulls_an_account_and_everyone_sees_what_it_pulled(crew: Crew) -> None:
    first, second = crew.workers
    pulled = [sum(r.pulled for r in w.run_once()) for w in (first, second, first, second)]
    assert pulled == [3, 0, 0, 0]
    assert [len(w.run_once()) for w in (first, second)] == [1, 0]  # the second holds nothing
    crew.team.sync(crew.ben)
    assert state(crew.ben) == state(crew.machines[0]) == state(crew.machines[1])
    assert len(state(crew.ben)) == 4


def test_a_reply_queued_by_any_agent_leaves_once(crew: Crew) -> None:
    first, second = crew.workers
    first.run_once()
    gid = crew.machines[0].conn.execute("SELECT gid FROM tickets WHERE id = 2").fetchone()[0]
    crew.team.sync(crew.ben)
    actions.reply(crew.ben, ticket_of(crew.ben, gid), "It left today.", actor="agent:ben")
    crew.team.sync(crew.ben)
    for worker in (second, first, second, first):
        worker.run_once()
    assert [d.body for d in crew.channel.delivered] == ["It left today."]
    crew.team.sync(crew.ben)
    assert crew.ben.conn.execute("SELECT status FROM outbox").fetchall() == [("sent",)]
    for store in crew.machines:
        assert store.conn.execute("SELECT status FROM outbox").fetchall() == [("sent",)]


def test_a_worker_that_died_holding_replies_is_taken_over_without_a_second_send(
    crew: Crew,
) -> None:
    first, second = crew.workers
    first.run_once()
    crew.team.sync(crew.ben)
    tickets = [t for (t,) in crew.ben.conn.execute("SELECT gid FROM tickets ORDER BY id")]
    for gid, text in zip(tickets[1:3], ("sent before it died", "never sent"), strict=True):
        actions.reply(crew.ben, ticket_of(crew.ben, gid), text, actor="agent:ben")
    crew.team.sync(crew.ben)
    # The first worker is granted both, hands one to the channel and dies before recording it.
    replica.sync_once(first.store, first.conn)
    assert first.holds("mail")
    granted = server.claim_replies(first.locks, "mail", first.name, 10**9, 0)
    assert len(granted) == 2
    handed = _outbound_for(first.store, "sent before it died")
    fence = {key: fence for key, _, fence in granted}[handed.idempotency_key]
    assert server.begin_send(first.locks, handed.idempotency_key, first.name, fence)
    crew.channel.delivered.append(handed)
    _dies(crew, first, second)

    second.run_once()
    assert sorted(d.body for d in crew.channel.delivered) == ["never sent", "sent before it died"]
    crew.team.sync(crew.ben)
    assert crew.ben.conn.execute(
        "SELECT status, COUNT(*) FROM outbox GROUP BY status"
    ).fetchall() == [("sent", 2)]


def _outbound_for(store: Store, body: str) -> Outbound:
    from deskterm.store.outbox import _ITEM
    from deskterm.sync.sending import outbound

    row = store.conn.execute(
        f"SELECT {_ITEM} FROM outbox WHERE payload LIKE ?", (f"%{body}%",)
    ).fetchone()
    return outbound(row, "email")


def test_deskterm_sync_in_a_team_replica_is_the_team_worker(
    postgres: Postgres, tmp_path: Path, store: Store, db_path: Path
) -> None:
    from click.testing import CliRunner

    from deskterm.cli.main import app

    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, created_at)"
            " VALUES ('live', 'demo', 'demo', '2026-11-01T00:00:00Z')"
        )
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    result = CliRunner().invoke(app, ["sync", "--db", str(db_path)])
    assert (result.exit_code, result.stdout) == (0, "live: 1 new, 0 sent\n")
    # ben's replica has the account from the team, and the cursor anna's pass left: his worker,
    # now that anna's has stopped, takes the account over where hers stopped.
    result = CliRunner().invoke(app, ["sync", "--db", str(ben.path)])
    assert (result.exit_code, result.stdout) == (0, "live: 0 new, 0 sent\n")
    assert len(state(ben)) == 1
    ben.close()


def _reply_after_annas_note(crew: Crew) -> tuple[str, int]:
    """ben answers ticket 2 without having pulled the note anna added; the worker runs. The
    ticket's global id and ben's outbox item."""
    first, _ = crew.workers
    anna = crew.machines[0]
    first.run_once()
    crew.team.sync(crew.ben)
    gid = anna.conn.execute("SELECT gid FROM tickets WHERE id = 2").fetchone()[0]
    actions.note(anna, ticket_of(anna, gid), "I am on it, ben", actor="agent:anna")
    crew.team.sync(anna)
    done = actions.reply(crew.ben, ticket_of(crew.ben, gid), "Refund sent.", actor="agent:ben")
    crew.team.sync(crew.ben)
    first.run_once()
    return gid, done.outbox_id


def test_a_reply_written_against_a_thread_that_grew_meanwhile_is_held_for_its_author(
    crew: Crew,
) -> None:
    first, _ = crew.workers
    anna = crew.machines[0]
    _reply_after_annas_note(crew)
    assert crew.channel.delivered == []
    ((item_id, status, error),) = crew.ben.conn.execute(
        "SELECT id, status, last_error FROM outbox"
    ).fetchall()
    assert status == "failed"
    assert error == (
        "held: anna added a note after you started your reply; send it anyway (retry), or cancel it"
    )
    # The worker's replica knows it is held too, and leaves it be.
    assert anna.conn.execute("SELECT status, last_error FROM outbox").fetchall() == [
        ("failed", error)
    ]

    actions.retry_send(crew.ben, item_id, actor="agent:ben")  # send anyway
    crew.team.sync(crew.ben)
    crew.team.sync(anna)
    # Held no more, on every replica: it waits for the worker without the hold's reason.
    assert crew.ben.conn.execute("SELECT status, last_error FROM outbox").fetchall() == [
        ("queued", None)
    ]
    assert anna.conn.execute("SELECT status, last_error FROM outbox").fetchall() == [("team", None)]
    first.run_once()
    assert [d.body for d in crew.channel.delivered] == ["Refund sent."]


def test_a_reply_its_author_drops_leaves_the_thread_on_every_replica(crew: Crew) -> None:
    first, _ = crew.workers
    anna = crew.machines[0]
    gid, item = _reply_after_annas_note(crew)  # held
    assert "Refund sent." in [m[3] for m in state(anna)[gid][2]]

    actions.cancel_send(crew.ben, item, actor="agent:ben")  # ben drops it
    crew.team.sync(crew.ben)
    first.run_once()

    assert "Refund sent." not in [m[3] for m in state(anna)[gid][2]]
    assert state(anna) == state(crew.ben)
    assert anna.conn.execute("SELECT status, message_row FROM outbox").fetchall() == [
        ("cancelled", None)
    ]
    assert crew.channel.delivered == []


def test_a_reply_written_offline_while_the_customer_wrote_again_is_held(
    crew: Crew, make_message: Callable
) -> None:
    first, _ = crew.workers
    first.run_once()
    crew.team.sync(crew.ben)
    subject, first_id = crew.ben.conn.execute(
        "SELECT t.subject, m.message_id FROM tickets t JOIN messages m ON m.ticket_id = t.id"
        " WHERE t.id = 2"
    ).fetchone()
    again = make_message(subject=f"Re: {subject}", text="The box was wet.", in_reply_to=first_id)
    crew.channel.inbox.append(again)
    first.run_once()  # the customer's new message reaches the server; ben is offline
    actions.reply(crew.ben, 2, "Sorry for the delay.", actor="agent:ben")
    crew.team.sync(crew.ben)
    first.run_once()
    assert crew.channel.delivered == []
    assert (
        crew.ben.conn.execute("SELECT last_error FROM outbox")
        .fetchone()[0]
        .startswith("held: the customer wrote again after you started your reply")
    )


def _dies(crew: Crew, worker: Worker, heir: Worker) -> None:
    """`worker` stops; the server frees its locks once its session has ended, a moment later."""
    worker.close()
    crew.workers = [heir]
    deadline = time.monotonic() + 10
    while not heir.holds("mail") and time.monotonic() < deadline:
        time.sleep(0.05)


def _ben_replies(crew: Crew, ticket: int, text: str) -> None:
    """The first worker pulls the mail; ben answers the ticket pulled as `ticket` and pushes."""
    crew.workers[0].run_once()
    crew.team.sync(crew.ben)
    gid = crew.ben.conn.execute("SELECT gid FROM tickets WHERE id = ?", (ticket,)).fetchone()[0]
    actions.reply(crew.ben, ticket_of(crew.ben, gid), text, actor="agent:ben")
    crew.team.sync(crew.ben)


def _kill_lock_connection(postgres: Postgres, worker: Worker) -> None:
    """What a network cut does to the worker's lock session: the server ends it, and its locks."""
    with postgres.admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (worker.locks.info.backend_pid,))


def test_a_worker_that_lost_its_lock_does_not_send_what_it_had_claimed(
    crew: Crew, postgres: Postgres
) -> None:
    from deskterm.sync.engine import AccountReport
    from deskterm.sync.sending import push_outbox

    first, second = crew.workers
    _ben_replies(crew, 2, "Once only.")
    # The first worker is granted the reply, then its lock connection goes before it sends.
    replica.sync_once(first.store, first.conn)
    first.grant(ACCOUNT)
    assert first.store.conn.execute("SELECT status FROM outbox").fetchall() == [("queued",)]
    _kill_lock_connection(postgres, first)
    second.run_once()  # takes the account over and sends the reply
    assert [d.body for d in crew.channel.delivered] == ["Once only."]
    # The first worker wakes up and tries to send what it had claimed: the server refuses.
    report = AccountReport("mail")
    push_outbox(first.store, ACCOUNT, crew.channel, utcnow(), report, gate=first.may_send)
    assert (report.sent, [d.body for d in crew.channel.delivered]) == (0, ["Once only."])
    assert first.store.conn.execute("SELECT status FROM outbox").fetchall() == [("team",)]
    first.run_once()  # it holds nothing now; the delivery report settles its copy
    assert first.store.conn.execute("SELECT status FROM outbox").fetchall() == [("sent",)]
    assert [d.body for d in crew.channel.delivered] == ["Once only."]


def test_a_worker_whose_lock_connection_broke_takes_its_account_back_and_sends(
    crew: Crew, postgres: Postgres
) -> None:
    first, _ = crew.workers
    _ben_replies(crew, 3, "Back again.")
    _kill_lock_connection(postgres, first)
    first.run_once()
    assert [d.body for d in crew.channel.delivered] == ["Back again."]


def test_mail_pulled_again_after_a_takeover_reaches_the_team_once(crew: Crew) -> None:
    from deskterm.sync import engine

    first, second = crew.workers
    # The first worker pulls the three mails into its replica and dies before pushing them.
    assert first.holds("mail")
    report = engine.sync_account(first.store, ACCOUNT, connector=crew.channel, push=False)
    assert report.pulled == 3
    _dies(crew, first, second)
    assert sum(r.pulled for r in second.run_once()) == 3  # the new holder pulls them again
    # The first machine comes back and pushes its copies: the server keeps the team's.
    assert crew.team.sync(first.store) == (3, 3)
    crew.team.sync(crew.ben)
    assert state(first.store) == state(second.store) == state(crew.ben)
    assert len(state(crew.ben)) == 4
    created = [uid for uid in crew.team.server_uids() if uid in _uids(second.store, "created")]
    assert len(created) == len(set(created)) == 4
    assert _uids(first.store, "created") == _uids(second.store, "created")


def _uids(store: Store, kind: str) -> set[str]:
    return {u for (u,) in store.conn.execute("SELECT uid FROM events WHERE kind = ?", (kind,))}


def test_a_rule_in_a_headless_worker_assigns_only_agents_who_are_online(
    crew: Crew, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskterm.team import presence

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "deal.toml").write_text(
        'name = "deal"\nwhen = ["ticket_created"]\n'
        'then = [{ assign_round_robin = ["anna", "ben"] }]\n'
    )
    monkeypatch.setenv("DESKTERM_RULES", str(rules))
    ben = replica.open_server(replica.configured(crew.ben))
    try:
        presence.announce(ben, crew.ben, None)  # ben's workstation is open; anna's is not
        first, _ = crew.workers
        first.run_once()
    finally:
        ben.close()
    assignees = (
        crew.machines[0]
        .conn.execute("SELECT assignee FROM tickets WHERE subject LIKE 'New %' ORDER BY id")
        .fetchall()
    )
    assert assignees == [("ben",)] * 3  # anna is offline: passed over every time


def test_mail_a_pass_could_not_push_is_pushed_before_the_cursor_past_it(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskterm.store import StoreError

    first, _ = crew.workers
    assert first.holds("mail")
    stop = threading.Event()
    pushes = replica.push

    def busy(store: Store, conn) -> int:
        raise StoreError("database is locked")

    monkeypatch.setattr(replica, "push", busy)
    reported: list = []
    assert not first._pull_pass(
        first.store, first.conn, ACCOUNT, crew.channel, stop, reported.append
    )
    assert crew.team.records("cursor") == {}  # the mail is not the team's yet: nor is its cursor
    monkeypatch.setattr(replica, "push", pushes)
    # The next pass finds no new mail; what the last one pulled goes first, then its cursor.
    assert first._pull_pass(first.store, first.conn, ACCOUNT, crew.channel, stop, reported.append)
    assert len(crew.team.records("cursor")) == 1
    crew.team.sync(crew.ben)
    assert len(state(crew.ben)) == 4
