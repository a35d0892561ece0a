"""The sync engine: pulls land with their cursor, replies leave exactly once, failures stay local."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import actions
from deskterm.connector import (
    Account,
    Connector,
    ConnectorError,
    DeliveryUnknown,
    Handover,
    PermanentError,
    TemporaryError,
)
from deskterm.domain import Batch, Identity, InboundMessage, Outbound
from deskterm.sla import clocks
from deskterm.store import Store
from deskterm.store import outbox as rows
from deskterm.sync import engine, sending

ACCOUNT = Account(name="mail", connector="fake", channel="email", address="help@shop.example")


class FakeChannel(Connector):
    """A channel that records what it was asked to do and fails when told to."""

    name = "fake"
    channel = "email"
    can_send = True

    def __init__(self, account: Account, inbox: list[InboundMessage] | None = None) -> None:
        super().__init__(account)
        self.inbox = inbox or []
        self.delivered: list[Outbound] = []
        self.send_error: Exception | None = None
        self.pull_error: Exception | None = None
        self.confirm: str | Exception | None = None
        self.cursors_seen: list[dict] = []

    def pull(self, cursors: dict[str, dict]) -> Iterator[Batch]:
        self.cursors_seen.append(cursors)
        if self.pull_error:
            raise self.pull_error
        start = cursors.get("INBOX", {}).get("next", 0)
        for at in range(start, len(self.inbox), 2):
            chunk = self.inbox[at : at + 2]
            yield Batch(chunk, {"next": at + len(chunk)}, "INBOX")

    def send(self, outbound: Outbound, handover: Handover) -> str:
        if self.send_error:
            raise self.send_error
        self.delivered.append(outbound)
        return f"sent-{len(self.delivered)}"

    def confirm_sent(self, outbound: Outbound) -> str | None:
        if isinstance(self.confirm, Exception):
            raise self.confirm
        return self.confirm


@pytest.fixture
def account(store: Store, now) -> Account:
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, created_at)"
            " VALUES ('mail', 'fake', 'email', 'help@shop.example', '2026-11-01T00:00:00Z')"
        )
    return ACCOUNT


@pytest.fixture
def ticket(store: Store, make_message, deliver) -> int:
    deliver(make_message())
    return 1


def outbox(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT status, attempts, external_id FROM outbox").fetchall()


def test_pull_stores_messages_and_resumes_from_the_cursor(
    store: Store, account: Account, make_message, now
) -> None:
    channel = FakeChannel(account, [make_message(account="mail") for _ in range(5)])

    report = engine.sync_account(store, account, connector=channel, now=now)
    assert (report.pulled, report.error) == (5, None)

    channel.inbox.append(make_message(account="mail"))
    report = engine.sync_account(store, account, connector=channel, now=now)
    assert channel.cursors_seen[-1] == {"INBOX": {"next": 5}}
    assert report.pulled == 1
    assert store.conn.execute("SELECT COUNT(*) FROM messages").fetchone() == (6,)


def test_a_queued_reply_is_sent_once_and_its_id_recorded(
    store: Store, account: Account, ticket: int, now
) -> None:
    done = actions.reply(store, ticket, "On its way", actor="agent:bob", at=now)
    channel = FakeChannel(account)

    engine.sync_account(store, account, connector=channel, now=now)
    engine.sync_account(store, account, connector=channel, now=now)

    assert len(channel.delivered) == 1
    assert channel.delivered[0].to == Identity("email", "anna@example.com")
    assert outbox(store) == [("sent", 1, "sent-1")]
    assert store.conn.execute(
        "SELECT external_id FROM messages WHERE id = ?", (done.message_id,)
    ).fetchone() == ("sent-1",)
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds[-1] == "delivered"


def test_offline_replies_wait_with_backoff_and_leave_when_the_network_returns(
    store: Store, account: Account, ticket: int, now
) -> None:
    actions.reply(store, ticket, "On its way", actor="agent:bob", at=now)
    channel = FakeChannel(account)
    channel.send_error = TemporaryError("connection refused")

    report = engine.sync_account(store, account, connector=channel, now=now)
    assert (report.state, report.error) == ("offline", "connection refused")
    assert outbox(store) == [("queued", 1, None)]
    status = store.conn.execute("SELECT state, last_error FROM sync_status").fetchone()
    assert status == ("offline", "connection refused")

    channel.send_error = None
    engine.sync_account(store, account, connector=channel, now=now + timedelta(seconds=5))
    assert channel.delivered == []  # still backing off
    engine.sync_account(store, account, connector=channel, now=now + timedelta(minutes=1))
    assert len(channel.delivered) == 1
    assert outbox(store) == [("sent", 2, "sent-1")]


def test_a_rejected_reply_fails_visibly_and_is_not_retried(
    store: Store, account: Account, ticket: int, now
) -> None:
    actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    channel = FakeChannel(account)
    channel.send_error = PermanentError("550 mailbox unavailable")

    report = engine.sync_account(store, account, connector=channel, now=now)
    engine.sync_account(store, account, connector=channel, now=now + timedelta(hours=2))

    assert report.failed == 1
    assert outbox(store) == [("failed", 1, None)]
    assert store.conn.execute("SELECT kind FROM events ORDER BY id DESC LIMIT 1").fetchone() == (
        "delivery_failed",
    )


def first_reply_clock(store: Store, ticket: int, at) -> tuple[str, object]:
    evaluation = clocks.evaluate_ticket(store.conn, ticket, at)
    assert evaluation is not None
    found = [c for c in evaluation.clocks if c.kind == "first_reply"]
    return found[0].state, found[0].stopped


def test_a_refused_reply_keeps_the_first_reply_clock_running_until_one_is_delivered(
    store: Store, account: Account, ticket: int, now
) -> None:
    done = actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    channel = FakeChannel(account)
    channel.send_error = PermanentError("550 5.1.1 no such user")
    engine.sync_account(store, account, connector=channel, now=now)

    state, _ = first_reply_clock(store, ticket, now + timedelta(minutes=30))
    assert state != "met"
    stored = store.conn.execute("SELECT sla_state FROM tickets WHERE id = ?", (ticket,))
    assert stored.fetchone()[0] != "met"

    later = now + timedelta(hours=1)
    actions.retry_send(store, done.outbox_id, actor="agent:bob", at=later)
    channel.send_error = None
    engine.sync_account(store, account, connector=channel, now=later)

    assert first_reply_clock(store, ticket, later + timedelta(minutes=5)) == ("met", later)


DEAD_HOLDER = f"{socket.gethostname()}/{2**22 + 7}/gone"  # beyond pid_max: no such process


def left_sending(store: Store, stage: str, owner: str = DEAD_HOLDER, until: float = 0.0) -> None:
    """The state a pass leaves when it dies between claim and bookkeeping."""
    with store.tx() as conn:
        conn.execute(
            "UPDATE outbox SET status = 'sending', attempts = 1, stage = ?, lease_owner = ?,"
            " lease_until = ?",
            (stage, owner, until),
        )


@pytest.mark.parametrize(
    ("confirm", "expected_sends", "expected_status"),
    [
        ("already-there", 0, "sent"),  # it left before the crash: never send again
        (None, 1, "sent"),  # the channel is sure it never arrived: safe to send
        (ConnectorError("cannot tell"), 0, "failed"),  # unknown: hold it for a person
    ],
)
def test_a_crash_while_handing_over_asks_the_channel_and_never_sends_twice(
    store: Store, account: Account, ticket: int, now, confirm, expected_sends, expected_status
) -> None:
    actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    left_sending(store, "handing")
    channel = FakeChannel(account)
    channel.confirm = confirm

    engine.sync_account(store, account, connector=channel, now=now)

    assert len(channel.delivered) == expected_sends
    assert outbox(store)[0][0] == expected_status


def test_a_crash_before_the_handover_sends_again_without_asking_the_channel(
    store: Store, account: Account, ticket: int, now
) -> None:
    actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    left_sending(store, "claimed", until=time.time() + 60)  # lease running, holder dead
    channel = FakeChannel(account)
    channel.confirm = ConnectorError("must not be asked")

    engine.sync_account(store, account, connector=channel, now=now)

    assert len(channel.delivered) == 1
    assert outbox(store) == [("sent", 2, "sent-1")]


def test_a_reply_another_live_process_is_sending_is_left_alone(
    store: Store, account: Account, ticket: int, now
) -> None:
    actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        holder = f"{socket.gethostname()}/{other.pid}/live"
        left_sending(store, "handing", owner=holder, until=time.time() + 60)
        channel = FakeChannel(account)
        channel.confirm = None  # an old-style recovery would send it again

        engine.sync_account(store, account, connector=channel, now=now)

        assert channel.delivered == []
        assert outbox(store)[0][0] == "sending"

        left_sending(store, "handing", owner=holder, until=time.time() - 1)  # lease ran out
        engine.sync_account(store, account, connector=channel, now=now)
        assert len(channel.delivered) == 1
    finally:
        other.kill()
        other.wait()


class SlowChannel(FakeChannel):
    """Sends slower than a lease lasts, so only renewals keep the reply its own."""

    reports_handover = True

    def send(self, outbound: Outbound, handover: Handover) -> str:
        handover.handing()
        time.sleep(2.5 * rows.LEASE_SECONDS)
        return super().send(outbound, handover)


def test_a_slow_send_keeps_its_lease_while_a_second_process_syncs(
    db_path: Path, store: Store, account: Account, ticket: int, now, monkeypatch
) -> None:
    from deskterm.store import open_store

    # A renewal may come late by most of a lease (a starved thread, a busy database) and still
    # hold it: what is tested is that renewals hold it, not how punctual a loaded machine is.
    monkeypatch.setattr(rows, "LEASE_SECONDS", 0.8)
    monkeypatch.setattr(rows, "RENEW_SECONDS", 0.05)
    actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    slow = SlowChannel(account)
    sender = threading.Thread(
        target=engine.sync_account, args=(store, account), kwargs={"connector": slow, "now": now}
    )
    sender.start()
    second = open_store(db_path)
    rival = FakeChannel(account)
    rival.confirm = None
    # The holder is this very process, so only the lease can tell it is alive.
    monkeypatch.setattr(rows, "holder_gone", lambda owner: False)
    try:
        while second.conn.execute("SELECT stage FROM outbox").fetchone() != ("handing",):
            time.sleep(0.01)
        first_lease_over = time.monotonic() + rows.LEASE_SECONDS
        late_tries = 0
        while sender.is_alive():
            engine.sync_account(second, account, connector=rival, now=now)
            late_tries += time.monotonic() > first_lease_over
            time.sleep(0.05)
    finally:
        sender.join()
        second.close()

    assert late_tries > 0  # the rival did try once the first lease alone would have run out
    assert (len(slow.delivered), rival.delivered) == (1, [])
    assert outbox(store) == [("sent", 1, "sent-1")]


def test_a_broken_handover_is_held_for_a_person_not_retried(
    store: Store, account: Account, ticket: int, now
) -> None:
    actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    channel = FakeChannel(account)
    channel.send_error = DeliveryUnknown("connection reset during DATA")

    report = engine.sync_account(store, account, connector=channel, now=now)
    engine.sync_account(store, account, connector=channel, now=now)

    assert report.failed == 1
    status, error = store.conn.execute("SELECT status, last_error FROM outbox").fetchone()
    assert status == "failed" and "connection reset during DATA" in error


def test_an_undone_reply_is_never_sent(store: Store, account: Account, ticket: int, now) -> None:
    actions.reply(store, ticket, "wrong customer!", actor="agent:bob", at=now)
    actions.undo(store, actor="agent:bob", at=now)
    channel = FakeChannel(account)

    engine.sync_account(store, account, connector=channel, now=now)

    assert channel.delivered == []


def test_one_broken_account_does_not_stop_the_others(store: Store, now, monkeypatch) -> None:
    with store.tx() as conn:
        conn.executemany(
            "INSERT INTO accounts (name, connector, channel, created_at) VALUES (?, ?, ?, ?)",
            [
                ("a-broken", "missing-plugin", "email", "2026-11-01T00:00:00Z"),
                ("b-demo", "demo", "email", "2026-11-01T00:00:00Z"),
            ],
        )
    reports = engine.run_once(store, now=now)

    assert [(r.account, r.state) for r in reports] == [("a-broken", "error"), ("b-demo", "online")]
    assert "not installed" in reports[0].error
    assert reports[1].pulled == 1


def test_a_connector_bug_is_reported_not_raised(store: Store, account: Account, now) -> None:
    channel = FakeChannel(account)
    channel.pull_error = KeyError("surprise")
    report = engine.sync_account(store, account, connector=channel, now=now)
    assert report.state == "error"
    assert "KeyError" in report.error


def test_backoff_doubles_and_respects_retry_after() -> None:
    assert engine.backoff(1) == timedelta(seconds=30)
    assert engine.backoff(3) == timedelta(minutes=2)
    assert engine.backoff(20) == timedelta(hours=1)
    assert engine.backoff(1, retry_after=600) == timedelta(minutes=10)


def test_payload_round_trips_to_an_outbound(
    store: Store, account: Account, ticket: int, now
) -> None:
    actions.reply(store, ticket, "hi", actor="agent:bob", at=now)
    row = store.conn.execute(
        "SELECT id, ticket_id, account, idempotency_key, payload, created_at FROM outbox"
    ).fetchone()
    item = sending.outbound(row, "email")
    assert item.body == "hi"
    assert item.message_id == json.loads(row[4])["message_id"]
    assert item.queued_at == now


def test_a_sync_pass_marks_tickets_that_breached_while_nothing_happened(
    store: Store, ticket: int, now
) -> None:
    assert store.conn.execute("SELECT sla_state FROM tickets").fetchone() == ("running",)

    engine.run_once(store, now=now + timedelta(hours=6))

    assert store.conn.execute("SELECT sla_state FROM tickets").fetchone() == ("breached",)
    assert store.conn.execute(
        "SELECT COUNT(*) FROM events WHERE kind = 'sla_breach'"
    ).fetchone() == (1,)


def test_an_attached_file_travels_with_the_queued_reply(
    store: Store, account: Account, ticket: int, now, tmp_path
) -> None:
    from deskterm.store.attachments import AttachmentStore, attach_file

    label = tmp_path / "return-label.pdf"
    label.write_bytes(b"%PDF-1.4 label")
    attachment = attach_file(label, AttachmentStore(tmp_path / "store"))
    label.unlink()  # the agent tidies up; the queued reply keeps its own copy
    actions.reply(
        store, ticket, "Label attached", actor="agent:bob", at=now, attachments=[attachment]
    )
    channel = FakeChannel(account)

    engine.sync_account(store, account, connector=channel, now=now)

    [sent] = channel.delivered
    [carried] = sent.attachments
    assert (carried.filename, carried.content_type, carried.size) == (
        "return-label.pdf",
        "application/pdf",
        14,
    )
    assert Path(carried.path).read_bytes() == b"%PDF-1.4 label"


def test_a_reply_refuses_an_attachment_that_is_not_stored(
    store: Store, ticket: int, now, tmp_path
) -> None:
    from deskterm.domain import Attachment

    ghost = Attachment("gone.pdf", "application/pdf", 3, path=str(tmp_path / "gone.pdf"))
    with pytest.raises(actions.ActionError, match="not a stored file"):
        actions.reply(store, ticket, "see attached", actor="agent:bob", at=now, attachments=[ghost])


def test_a_person_retries_a_failed_reply_after_fixing_the_cause(
    store: Store, account: Account, ticket: int, now
) -> None:
    done = actions.reply(store, ticket, "hello", actor="agent:bob", at=now)
    channel = FakeChannel(account)
    channel.send_error = PermanentError("553 sender address rejected")
    engine.sync_account(store, account, connector=channel, now=now)
    assert outbox(store) == [("failed", 1, None)]

    channel.send_error = None
    actions.retry_send(store, done.outbox_id, actor="agent:bob", at=now)
    engine.sync_account(store, account, connector=channel, now=now)

    assert len(channel.delivered) == 1
    assert outbox(store) == [("sent", 2, "sent-1")]
    with pytest.raises(actions.ActionError, match="only a failed reply is retried"):
        actions.retry_send(store, done.outbox_id, actor="agent:bob", at=now)
    with pytest.raises(actions.ActionError, match="cannot be cancelled"):
        actions.cancel_send(store, done.outbox_id, actor="agent:bob", at=now)


def test_a_cancelled_reply_never_leaves_and_its_text_stays_in_the_history(
    store: Store, account: Account, ticket: int, now
) -> None:
    done = actions.reply(store, ticket, "Refund approved!", actor="agent:bob", at=now)

    actions.cancel_send(store, done.outbox_id, actor="agent:ann", at=now)
    engine.sync_account(store, account, connector=FakeChannel(account), now=now)

    assert outbox(store) == [("cancelled", 0, None)]
    assert store.conn.execute(
        "SELECT COUNT(*) FROM messages WHERE direction = 'out'"
    ).fetchone() == (0,)
    kind, data = store.conn.execute(
        "SELECT kind, data FROM events ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert kind == "cancel_send"
    assert json.loads(data)["body"] == "Refund approved!"
