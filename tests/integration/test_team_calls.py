"""Connector actions (refund, cancel) in a team, against a real PostgreSQL: the agent who
confirms one runs it from their own machine, with the idempotency key made there, and a crash
in between settles on that machine alone, so the channel acts once; every replica sees the call
and where it ended."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from unit.test_connector_calls import Crash, FakeChannel, FakeShop

from deskterm import connector, connector_calls
from deskterm.connector_calls import LEASE, CallError
from deskterm.domain import utcnow
from deskterm.store import Store, accounts
from deskterm.team import replica

from .postgres import Postgres
from .teams import Team, state

pytestmark = pytest.mark.integration


@pytest.fixture
def team(
    postgres: Postgres,
    tmp_path: Path,
    store: Store,
    deliver: Callable,
    make_message: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Team, Store, Store]]:
    """anna's workspace with one ticket and the shop's account, and ben's replica of it."""
    monkeypatch.setattr(connector, "registry", lambda: {"fakeshop": FakeShop})
    deliver(make_message(subject="Refund my order #1001"))
    accounts.save_account(
        store, "shop", connector="fakeshop", channel="shopify", address="", settings={}
    )
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    FakeShop.shop, FakeShop.store_path = FakeChannel(), ben.path
    yield team, store, ben
    ben.close()


def _only_ticket(store: Store) -> int:
    return store.conn.execute("SELECT id FROM tickets").fetchone()[0]


@pytest.mark.parametrize(
    ("action", "requests"),
    [("fakeshop.refund", 2), ("fakeshop.cancel", 1)],  # the same key again / asked first
)
def test_an_agents_refund_acts_once_on_the_channel_though_their_machine_dies_mid_call(
    team: tuple[Team, Store, Store], action: str, requests: int
) -> None:
    crew, anna, ben = team
    shop = FakeShop.shop
    shop.crash_after_acting = True
    with pytest.raises(Crash):  # the channel acted; ben's machine died before it heard so
        connector_calls.run(
            ben, _only_ticket(ben), action, {"order": "#1001"}, confirmed_by="agent:ben"
        )
    after_the_lease = utcnow() + LEASE + timedelta(minutes=1)
    crew.sync(ben)  # the intent reached the team before it died
    crew.sync(anna)
    (copy,) = connector_calls.calls(anna, _only_ticket(anna))
    assert (copy.status, copy.made_by) == ("running", crew.roles["ben"])
    # anna's machine never runs ben's call: it holds no lease and no key of its own for it.
    assert connector_calls.recover(anna, now=after_the_lease) == []
    with pytest.raises(CallError, match="made on another replica"):
        connector_calls.retry(anna, copy.id, confirmed_by="agent:anna")

    (settled,) = connector_calls.recover(ben, now=after_the_lease)  # ben's machine is back
    assert settled.status == "done"
    assert shop.requests == [settled.idempotency_key] * requests
    assert list(shop.effects) == [settled.idempotency_key]  # it happened once
    crew.sync(ben)
    crew.sync(anna)
    (copy,) = connector_calls.calls(anna, _only_ticket(anna))
    assert (copy.status, copy.outcome, copy.idempotency_key) == (
        "done",
        settled.outcome,
        settled.idempotency_key,
    )
    assert state(anna) == state(ben)
