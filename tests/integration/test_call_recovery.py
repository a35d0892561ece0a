"""A refund whose process was killed after the shop acted, before it heard so: the call waits
`running`, and `deskterm action recover` or the start of `deskterm sync --watch` settles it
with the shop at once (the process is gone, so its lease is not waited out); the shop refunds
once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from deskterm import connector_calls, secrets
from deskterm.connector_calls import Call
from deskterm.store import Store
from deskterm.sync import engine

from .fake_shopify import seed

pytestmark = pytest.mark.integration

DESKTERM = (sys.executable, "-m", "deskterm")
WALLET_REFUND = "refunded 39.00 EUR on #1042 (1 × Leather wallet)"


@pytest.fixture
def ticket(fake_shopify, shopify_account, store: Store, make_message, deliver) -> int:
    """A ticket about #1042 (two scarves, a wallet; shipped), on the fake shop's account."""
    shop = fake_shopify.shop
    buyer = seed.customer(shop, 7, "anna@example.com", "Anna Adams")
    seed.order(shop, 1042, buyer, placed=shop.now() - timedelta(days=3), fulfilled=True)
    engine.sync_account(store, shopify_account())
    deliver(make_message(order_numbers=("#1042",)))
    return store.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]


def environment() -> dict[str, str]:
    """This process's environment, with the shop's token where a process of its own finds it."""
    token = secrets.get_secret("shop", "admin_token")
    assert token is not None
    return {**os.environ, secrets.env_name("shop", "admin_token"): token}


def killed_mid_refund(fake_shopify, db_path: Path) -> None:
    """`deskterm order refund` in a process of its own, killed once the shop refunded and while
    its answer is on the way."""
    fake_shopify.hold_once.add("RefundCreate")
    refund = [*DESKTERM, "order", "refund", "1042", "--item", "2", "--yes", "--db", str(db_path)]
    proc = subprocess.Popen(refund, env=environment(), stderr=subprocess.PIPE, text=True)
    try:
        held(fake_shopify, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        fake_shopify.release.set()
    assert fake_shopify.mutations.refunds_created == 1


def held(fake_shopify, proc: subprocess.Popen) -> None:
    """Wait until the shop holds its answer to `proc`'s refund."""
    wait_for(
        "the refund to reach the shop",
        lambda: fake_shopify.holding.is_set() or proc.poll() is not None,
    )
    assert fake_shopify.holding.is_set(), proc.communicate()


def action_recover(db_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*DESKTERM, "action", "recover", "--db", str(db_path)],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def the_call(store: Store, ticket: int) -> Call:
    (call,) = connector_calls.calls(store, ticket)
    return call


def wait_for(what: str, done: Callable[[], bool], seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < end, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.1)


def test_action_recover_settles_a_refund_whose_process_was_killed_and_the_shop_refunds_once(
    fake_shopify, store: Store, ticket: int, db_path: Path
) -> None:
    killed_mid_refund(fake_shopify, db_path)
    assert the_call(store, ticket).status == "running"  # its lease has 15 minutes to go

    done = action_recover(db_path)

    call = the_call(store, ticket)
    assert done.returncode == 0, done.stderr
    assert (call.status, call.outcome) == ("done", WALLET_REFUND)
    assert done.stdout == f"{call.summary}\n"
    # Asked again with the same key, which the shop had already used: one refund.
    assert fake_shopify.operations.count("RefundCreate") == 2
    assert fake_shopify.mutations.refunds_created == 1
    assert len(fake_shopify.shop.orders["gid://shopify/Order/1042"].refunds) == 1


def test_sync_watch_settles_a_killed_refund_when_it_starts(
    fake_shopify, store: Store, ticket: int, db_path: Path
) -> None:
    killed_mid_refund(fake_shopify, db_path)
    watch = [*DESKTERM, "sync", "--watch", "--interval", "30", "--db", str(db_path)]
    proc = subprocess.Popen(
        watch, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for("the refund to be settled", lambda: the_call(store, ticket).status == "done")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)

    call = the_call(store, ticket)
    assert call.outcome == WALLET_REFUND
    assert call.summary in out.splitlines(), err
    assert fake_shopify.mutations.refunds_created == 1


def test_action_recover_leaves_a_refund_whose_process_still_runs(
    fake_shopify, store: Store, ticket: int, db_path: Path
) -> None:
    fake_shopify.hold_once.add("RefundCreate")
    refund = [*DESKTERM, "order", "refund", "1042", "--item", "2", "--yes", "--db", str(db_path)]
    proc = subprocess.Popen(refund, env=environment(), stdout=subprocess.PIPE, text=True)
    try:
        held(fake_shopify, proc)
        recovered = action_recover(db_path)
        assert recovered.stdout == "no connector call waits to be settled\n", recovered.stderr
        assert the_call(store, ticket).status == "running"
    finally:
        fake_shopify.release.set()
        out, _ = proc.communicate(timeout=60)

    assert (proc.returncode, the_call(store, ticket).status) == (0, "done"), out
    assert fake_shopify.operations.count("RefundCreate") == 1
