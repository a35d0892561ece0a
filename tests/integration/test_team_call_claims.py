"""A refund a rule proposed on one replica, decided from any replica of the team, against a real
PostgreSQL and the fake Shopify: the team's server lets the first agent decide, however many
confirm at once on different machines (`deskterm action confirm` processes); the others are told
who did, and every replica ends with the one outcome. A confirming process killed after the shop
refunded is settled by its own machine's `deskterm sync --watch`: the shop refunds once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import connector_calls, secrets
from deskterm.connector_calls import Call
from deskterm.store import Store
from deskterm.sync import engine
from deskterm.team import replica, server

from .fake_shopify import seed
from .postgres import Postgres
from .teams import Team, state

pytestmark = pytest.mark.integration

DESKTERM = (sys.executable, "-m", "deskterm")
WALLET_REFUND = "refunded 39.00 EUR on #1042 (1 × Leather wallet)"


@dataclass
class Crew:
    team: Team
    anna: Store  # the replica the rule ran on
    ben: Store

    def call(self, store: Store) -> Call:
        (call,) = connector_calls.calls(store, _ticket(store))
        return call

    def action(self, store: Store, *args: str) -> subprocess.Popen:
        """`deskterm action ARGS` on the machine of `store`'s replica."""
        return subprocess.Popen(
            [*DESKTERM, "action", *args, "--db", str(store.path)],
            env=_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def confirm(self, store: Store) -> subprocess.Popen:
        return self.action(store, "confirm", str(self.call(store).id), "--yes")

    def waiting_on_claims(self) -> int:
        """Sessions waiting for the lock on the claims table."""
        conn = server.connect(self.team.url("anna"))
        try:
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
                " AND relation = 'deskterm.call_claims'::regclass"
            ).fetchone()
            return row[0] if row else 0
        finally:
            conn.close()


def _ticket(store: Store) -> int:
    return store.conn.execute("SELECT id FROM tickets").fetchone()[0]


def _environment() -> dict[str, str]:
    """This process's environment, with the shop's token where a process of its own finds it."""
    token = secrets.get_secret("shop", "admin_token")
    assert token is not None
    return {**os.environ, secrets.env_name("shop", "admin_token"): token}


def wait_for(what: str, done: Callable[[], bool], seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < end, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.05)


@pytest.fixture
def crew(
    postgres: Postgres,
    tmp_path: Path,
    fake_shopify,
    shopify_account,
    store: Store,
    make_message,
    deliver,
) -> Iterator[Crew]:
    """anna's workspace with a ticket about #1042 and the refund a rule proposed for it, published
    to the team; ben's replica of it, on another machine that holds the shop's token too."""
    shop = fake_shopify.shop
    buyer = seed.customer(shop, 7, "anna@example.com", "Anna Adams")
    seed.order(shop, 1042, buyer, placed=shop.now() - timedelta(days=3), fulfilled=True)
    engine.sync_account(store, shopify_account())
    deliver(make_message(subject="Refund the wallet of #1042", order_numbers=("#1042",)))
    connector_calls.propose(
        store, _ticket(store), "shopify.refund", {"order": "#1042", "items": "2"}, actor="rule:r"
    )
    team = Team(postgres, tmp_path)
    replica.init(store, team.url("anna"), "anna")
    ben = team.join("ben")
    yield Crew(team, store, ben)
    ben.close()


def test_two_agents_confirming_a_proposed_refund_at_once_on_two_machines_refund_once(
    crew: Crew, fake_shopify
) -> None:
    assert crew.call(crew.ben).status == "proposed"
    conn = server.connect(crew.team.url("anna"))
    try:  # both reach the server's claim before either is let through
        conn.execute("LOCK TABLE deskterm.call_claims IN ACCESS EXCLUSIVE MODE")
        procs = [crew.confirm(crew.anna), crew.confirm(crew.ben)]
        wait_for("both confirmations to wait on the claim", lambda: crew.waiting_on_claims() == 2)
    finally:
        conn.rollback()
        conn.close()
    (anna_out, anna_err), (ben_out, ben_err) = (p.communicate(timeout=120) for p in procs)

    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 1], (anna_out, anna_err, ben_out, ben_err)
    won, lost = ("anna", "ben") if procs[0].returncode == 0 else ("ben", "anna")
    refused = {"anna": anna_err, "ben": ben_err}[lost]
    assert re.fullmatch(
        rf"deskterm: connector call #\d+ was confirmed by {won} at \S+ \S+ UTC on another "
        r"machine; nothing was done here\n",
        refused,
    ), refused
    assert fake_shopify.operations.count("RefundCreate") == 1
    assert fake_shopify.mutations.refunds_created == 1
    for store in (crew.anna, crew.ben):
        crew.team.sync(store)
    crew.team.sync(crew.anna)
    for store in (crew.anna, crew.ben):
        call = crew.call(store)
        assert (call.status, call.outcome, call.confirmed_by) == (
            "done",
            WALLET_REFUND,
            f"agent:{won}",
        )
    a, b = state(crew.anna), state(crew.ben)
    assert a.shared == b.shared
    assert a == b


def test_a_confirming_process_killed_after_the_shop_refunded_is_settled_on_its_machine_once(
    crew: Crew, fake_shopify
) -> None:
    fake_shopify.hold_once.add("RefundCreate")
    confirming = crew.confirm(crew.ben)
    try:
        wait_for(
            "the refund to reach the shop",
            lambda: fake_shopify.holding.is_set() or confirming.poll() is not None,
        )
        assert fake_shopify.holding.is_set(), confirming.communicate()
    finally:
        confirming.send_signal(signal.SIGKILL)
        confirming.wait()
        fake_shopify.release.set()
    assert fake_shopify.mutations.refunds_created == 1

    # anna's replica has not heard of ben's start yet; the server has his confirmation.
    assert crew.call(crew.anna).status == "proposed"
    late = crew.confirm(crew.anna)
    _, refused = late.communicate(timeout=120)
    assert late.returncode == 1
    assert "was confirmed by ben at" in refused, refused
    # ben's machine starts its sync: the call its dead process left is settled with the shop.
    watch = subprocess.Popen(
        [*DESKTERM, "sync", "--watch", "--interval", "30", "--db", str(crew.ben.path)],
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for("ben's machine to settle the refund", lambda: crew.call(crew.ben).status == "done")
    finally:
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=60)
    assert crew.call(crew.ben).summary in out.splitlines(), err

    crew.team.sync(crew.ben)
    crew.team.sync(crew.anna)
    call = crew.call(crew.anna)
    assert (call.status, call.outcome, call.confirmed_by) == ("done", WALLET_REFUND, "agent:ben")
    assert fake_shopify.operations.count("RefundCreate") == 2  # the same key, asked again
    assert fake_shopify.mutations.refunds_created == 1
    assert state(crew.anna) == state(crew.ben)


def test_a_proposal_dismissed_on_another_replica_is_dismissed_everywhere_and_runs_nowhere(
    crew: Crew, fake_shopify
) -> None:
    proposal = crew.call(crew.ben)
    dismissing = crew.action(crew.ben, "dismiss", str(proposal.id))
    out, err = dismissing.communicate(timeout=120)
    assert (dismissing.returncode, out) == (
        0,
        f"dismissed: connector call #{proposal.id} (shopify.refund) will not run\n",
    ), err

    late = crew.confirm(crew.anna)
    _, refused = late.communicate(timeout=120)
    assert late.returncode == 1
    assert "was dismissed by ben at" in refused, refused
    crew.team.sync(crew.anna)
    assert crew.call(crew.anna).status == "dismissed"
    assert fake_shopify.operations.count("RefundCreate") == 0
    a, b = state(crew.anna), state(crew.ben)
    assert a.shared == b.shared
    assert list(a.values()) == list(b.values())
    assert a == b
