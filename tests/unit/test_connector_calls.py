"""Connector actions: intent, call outside any transaction, outcome; never twice after a crash."""

from __future__ import annotations

import json
import queue
import socket
import sqlite3
import subprocess
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from deskterm import connector, connector_calls
from deskterm.cli.main import app
from deskterm.connector import ActionOutcome, ConnectorAction, PermanentError, TemporaryError
from deskterm.connector_calls import LEASE, CallError
from deskterm.domain import utcnow
from deskterm.store import Store, queries
from deskterm.sync.engine import Watcher

PERSON = "agent:sam"


class Crash(BaseException):
    """The process dies: nothing after this line runs, no handler records anything."""


class FakeChannel:
    """The channel's side: what it really did, by idempotency key, and every request it got."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.effects: dict[str, str] = {}
        self.refuse: str | None = None
        self.flaky = 0
        self.crash_after_acting = False
        self.crash_before_acting = False
        self.inside_transaction: list[bool] = []

    def act(self, what: str, key: str, *, dedupe: bool) -> ActionOutcome:
        self.requests.append(key)
        if self.crash_before_acting:
            self.crash_before_acting = False
            raise Crash
        if self.refuse:
            raise PermanentError(self.refuse)
        if self.flaky:
            self.flaky -= 1
            raise TemporaryError("shop.example: no answer (timed out)", retry_after=5)
        if not (dedupe and key in self.effects):
            self.effects[f"{key}#{len(self.effects)}" if key in self.effects else key] = what
        if self.crash_after_acting:
            self.crash_after_acting = False
            raise Crash
        return ActionOutcome(f"{what} done", external_id=f"gid://{len(self.effects)}")


class FakeShop(connector.Connector):
    name = "fakeshop"
    channel = "shopify"
    shop: ClassVar[FakeChannel]
    store_path: ClassVar[Path]

    def _run(self, what: str, dedupe: bool):
        def run(params: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome:
            self.shop.inside_transaction.append(_write_lock_taken(self.store_path))
            return self.shop.act(f"{what} {params['order']}", idempotency_key, dedupe=dedupe)

        return run

    def _confirm(self, params: Mapping[str, Any], *, idempotency_key: str) -> ActionOutcome | None:
        found = self.shop.effects.get(idempotency_key)
        return ActionOutcome(f"{found} found on the channel") if found else None

    def actions(self) -> list[ConnectorAction]:
        return [
            ConnectorAction(
                "refund",
                "Refund (the channel honours idempotency keys)",
                self._run("refund", dedupe=True),
                preview=lambda params: f"would refund 59.00 EUR on {params['order']}",
                idempotent=True,
            ),
            ConnectorAction(
                "cancel",
                "Cancel (the channel can be asked whether it happened)",
                self._run("cancel", dedupe=False),
                confirm=self._confirm,
            ),
            ConnectorAction(
                "tag", "Tag the order (no way to check)", self._run("tag", dedupe=False)
            ),
        ]


def _write_lock_taken(path: Path) -> bool:
    """Whether another connection is holding the database's write lock right now."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()


@pytest.fixture
def shop(store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeChannel:
    FakeShop.shop, FakeShop.store_path = FakeChannel(), db_path
    monkeypatch.setattr(connector, "registry", lambda: {"fakeshop": FakeShop})
    store.conn.execute(
        "INSERT INTO accounts (name, connector, channel, created_at) VALUES (?, ?, ?, ?)",
        ("shop", "fakeshop", "shopify", "2026-01-01T00:00:00Z"),
    )
    return FakeShop.shop


@pytest.fixture
def ticket(store: Store, deliver, make_message) -> int:
    deliver(make_message())
    return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]


def timeline(store: Store, ticket: int) -> list[tuple[str, str]]:
    """What the TUI's and the CLI's timeline read: kind and text of each connector event."""
    return [
        (e.kind, e.data.get("text", ""))
        for e in queries.events(store, ticket)
        if e.kind.startswith("connector")
    ]


def later(minutes: float) -> Any:
    return utcnow() + timedelta(minutes=minutes)


def crash_then_recover(store: Store, ticket: int, action: str) -> connector_calls.Call:
    """Run `action` in a process that dies mid-call; another process recovers after the lease."""
    with pytest.raises(Crash):
        connector_calls.run(store, ticket, action, {"order": "#1001"}, confirmed_by=PERSON)
    assert connector_calls.recover(store, now=later(1)) == []  # the lease still holds
    [call] = connector_calls.recover(store, now=later(LEASE.total_seconds() / 60 + 1))
    return call


def test_an_action_runs_outside_any_transaction_and_every_step_is_in_the_timeline(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    call = connector_calls.run(
        store, ticket, "fakeshop.refund", {"order": "#1001"}, confirmed_by=PERSON
    )
    assert shop.inside_transaction == [False]
    assert (call.status, call.outcome, call.external_id) == ("done", "refund #1001 done", "gid://1")
    assert shop.requests == [call.idempotency_key]
    assert timeline(store, ticket) == [
        ("connector_started", ""),
        ("connector_done", "refund #1001 done"),
    ]


def test_a_crash_after_the_call_refunds_once_when_the_channel_honours_the_key(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.crash_after_acting = True
    call = crash_then_recover(store, ticket, "fakeshop.refund")
    assert call.status == "done"
    assert shop.requests == [call.idempotency_key] * 2
    assert list(shop.effects) == [call.idempotency_key]


def test_a_crash_after_the_call_is_checked_with_the_channel_before_any_retry(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.crash_after_acting = True
    call = crash_then_recover(store, ticket, "fakeshop.cancel")
    assert (call.status, call.outcome) == ("done", "cancel #1001 found on the channel")
    assert len(shop.requests) == 1 and len(shop.effects) == 1


def test_a_crash_before_the_channel_acted_runs_it_again_once_the_channel_says_so(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.crash_before_acting = True
    call = crash_then_recover(store, ticket, "fakeshop.cancel")
    assert call.status == "done"
    assert shop.requests == [call.idempotency_key] * 2 and len(shop.effects) == 1


def test_a_crash_in_an_action_that_cannot_be_checked_waits_for_a_person(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.crash_after_acting = True
    call = crash_then_recover(store, ticket, "fakeshop.tag")
    assert call.status == "uncertain" and "check the channel" in call.outcome
    assert len(shop.requests) == 1
    assert connector_calls.recover(store, now=later(600)) == []
    with pytest.raises(CallError, match="only propose"):
        connector_calls.settle(store, call.id, happened=True, actor="rule:vip")
    settled = connector_calls.settle(store, call.id, happened=True, actor=PERSON)
    assert settled.status == "done" and len(shop.requests) == 1
    assert timeline(store, ticket)[-1] == ("connector_done", "done, as checked by a person")


def test_a_refusal_is_recorded_in_the_channels_words_and_a_person_may_retry_with_the_same_key(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.refuse = "Order is already fully refunded"
    call = connector_calls.run(
        store, ticket, "fakeshop.refund", {"order": "#1001"}, confirmed_by=PERSON
    )
    assert (call.status, call.outcome) == ("failed", "Order is already fully refunded")
    assert connector_calls.recover(store, now=later(600)) == []
    shop.refuse = None
    again = connector_calls.retry(store, call.id, confirmed_by=PERSON)
    assert again.status == "done"
    assert shop.requests == [call.idempotency_key] * 2
    assert [kind for kind, _ in timeline(store, ticket)] == [
        "connector_started",
        "connector_failed",
        "connector_started",
        "connector_done",
    ]


def test_an_unknown_outcome_is_retried_later_with_the_same_key_until_it_settles(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.flaky = 1
    call = connector_calls.run(
        store, ticket, "fakeshop.refund", {"order": "#1001"}, confirmed_by=PERSON
    )
    assert call.status == "queued" and "timed out" in call.outcome
    assert connector_calls.recover(store, now=later(0.5)) == []
    [done] = connector_calls.recover(store, now=later(2))
    assert done.status == "done" and shop.requests == [call.idempotency_key] * 2


def test_an_unknown_outcome_that_never_settles_ends_with_a_person(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.flaky = 10
    call = connector_calls.run(
        store, ticket, "fakeshop.refund", {"order": "#1001"}, confirmed_by=PERSON
    )
    for _ in connector_calls.RETRY_DELAYS:
        [call] = connector_calls.recover(store, now=later(24 * 60))
    assert call.status == "uncertain" and len(shop.requests) == 4


def test_a_rule_only_proposes_and_a_person_runs_it(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    with pytest.raises(CallError, match="rule:vip may only propose"):
        connector_calls.run(
            store, ticket, "fakeshop.refund", {"order": "#1001"}, confirmed_by="rule:vip"
        )
    proposal = connector_calls.propose(
        store, ticket, "fakeshop.refund", {"order": "#1001"}, actor="rule:vip"
    )
    assert proposal.status == "proposed" and shop.requests == []
    assert connector_calls.recover(store, now=later(600)) == []
    assert connector_calls.preview(store, ticket, "fakeshop.refund", {"order": "#1001"}) == (
        "would refund 59.00 EUR on #1001"
    )
    call = connector_calls.confirm_proposed(store, proposal.id, confirmed_by=PERSON)
    assert call.status == "done" and shop.requests == [proposal.idempotency_key]
    with pytest.raises(CallError, match="is done"):
        connector_calls.dismiss(store, call.id, actor=PERSON)


def test_unknown_actions_and_connectors_are_refused_before_anything_is_recorded(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    with pytest.raises(CallError, match="no enabled account uses the ebay connector"):
        connector_calls.run(store, ticket, "ebay.refund", {}, confirmed_by=PERSON)
    with pytest.raises(CallError, match="not a connector action"):
        connector_calls.run(store, ticket, "refund", {}, confirmed_by=PERSON)
    with pytest.raises(CallError, match="it offers: cancel, refund, tag"):
        connector_calls.run(store, ticket, "fakeshop.explode", {}, confirmed_by=PERSON)
    assert timeline(store, ticket) == [] and shop.requests == []


def test_the_command_line_shows_each_step_of_an_interrupted_call_in_the_timeline(
    store: Store, shop: FakeChannel, ticket: int, db_path: Path
) -> None:
    shop.crash_after_acting = True
    crash_then_recover(store, ticket, "fakeshop.refund")
    result = CliRunner().invoke(app, ["show", str(ticket), "--json", "--db", str(db_path)])
    steps = [
        (e["kind"], e["actor"], e["data"].get("text", ""))
        for e in json.loads(result.stdout)["events"]
        if e["kind"].startswith("connector")
    ]
    assert steps == [
        ("connector_started", PERSON, ""),
        ("connector_started", "connector:shop", ""),
        ("connector_done", "connector:shop", "refund #1001 done"),
    ]


def _crashed_in(store: Store, ticket: int, pid: int) -> connector_calls.Call:
    """A refund the channel did, whose process (`pid` on this machine) never heard so."""
    with pytest.raises(Crash):
        connector_calls.run(
            store, ticket, "fakeshop.refund", {"order": "#1001"}, confirmed_by=PERSON
        )
    with store.tx() as conn:
        conn.execute("UPDATE connector_calls SET owner = ?", (f"{socket.gethostname()}:{pid}",))
    (call,) = connector_calls.calls(store, ticket)
    return call


def test_a_call_whose_process_on_this_machine_is_gone_is_settled_without_waiting_out_its_lease(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.crash_after_acting = True
    ended = subprocess.Popen(["true"])
    ended.wait()
    crashed = _crashed_in(store, ticket, ended.pid)

    (call,) = connector_calls.recover(store)

    assert (call.id, call.status) == (crashed.id, "done")
    assert list(shop.effects) == [call.idempotency_key]


def test_a_call_whose_process_still_runs_keeps_its_lease(
    store: Store, shop: FakeChannel, ticket: int
) -> None:
    shop.crash_after_acting = True
    alive = subprocess.Popen(["sleep", "60"])
    try:
        crashed = _crashed_in(store, ticket, alive.pid)
        assert connector_calls.recover(store) == []
    finally:
        alive.kill()
        alive.wait()
    (call,) = connector_calls.recover(store)  # now it is gone
    assert (call.id, call.status) == (crashed.id, "done")


def test_the_sync_engine_settles_a_crashed_call_when_it_starts_as_the_workstation_does(
    store: Store, shop: FakeChannel, ticket: int, db_path: Path
) -> None:
    shop.crash_after_acting = True
    ended = subprocess.Popen(["true"])
    ended.wait()
    crashed = _crashed_in(store, ticket, ended.pid)
    heard: queue.Queue[connector_calls.Call] = queue.Queue()
    watcher = Watcher(db_path, interval=3600, on_call=heard.put)

    watcher.start()
    try:
        call = heard.get(timeout=60)
    finally:
        watcher.stop()

    assert (call.id, call.status, call.outcome) == (crashed.id, "done", "refund #1001 done")
    assert list(shop.effects) == [call.idempotency_key]


def test_a_person_lists_confirms_and_dismisses_proposals_on_the_command_line(
    store: Store, shop: FakeChannel, ticket: int, db_path: Path
) -> None:
    refund = connector_calls.propose(
        store, ticket, "fakeshop.refund", {"order": "#1001"}, actor="rule:vip"
    )
    tag = connector_calls.propose(
        store, ticket, "fakeshop.tag", {"order": "#1001"}, actor="rule:vip"
    )

    def cli(*args: str):
        return CliRunner().invoke(app, ["action", *args, "--db", str(db_path)])

    listed = cli("calls", str(ticket))
    confirmed = cli("confirm", str(refund.id), "--yes", "--as", "sam")
    again = cli("confirm", str(refund.id), "--yes", "--as", "sam")
    dismissed = cli("dismiss", str(tag.id), "--as", "sam")

    assert listed.stdout.splitlines() == [
        f"#{refund.id}  fakeshop.refund  proposed  proposed by rule:vip",
        f"#{tag.id}  fakeshop.tag  proposed  proposed by rule:vip",
    ]
    assert (confirmed.exit_code, confirmed.stdout) == (
        0,
        "would refund 59.00 EUR on #1001\ndone: refund #1001 done\n",
    )
    assert (again.exit_code, again.stderr) == (
        1,
        f"deskterm: connector call #{refund.id} is done, no longer a proposal\n",
    )
    assert dismissed.stdout == f"dismissed: connector call #{tag.id} (fakeshop.tag) will not run\n"
    assert shop.requests == [connector_calls.calls(store, ticket)[0].idempotency_key]
    assert cli("calls", str(ticket)).stdout.splitlines() == [
        f"#{refund.id}  fakeshop.refund  done  proposed by rule:vip, confirmed by agent:sam: "
        "refund #1001 done",
        f"#{tag.id}  fakeshop.tag  dismissed  proposed by rule:vip: dismissed",
    ]
