"""Input nobody should give still gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from deskterm.connector import Account, Connector
from deskterm.secrets import get_secret
from deskterm.store import StoreError, open_store
from deskterm.sync import engine

NOW = "2026-11-20T12:00:00Z"


def deskterm(*args: str | bytes, stdin: bytes = b"") -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "deskterm", *args], input=stdin, capture_output=True, timeout=60
    )
    return done.returncode, done.stderr.decode(errors="replace").splitlines()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    code, _ = deskterm("demo", "--seed", "1", "--now", NOW, "--no-open", "--db", str(path))
    assert code == 0
    return str(path)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("show", "99999999999999999999999"), "larger than any ticket"),
        (("list", "older:99999999999d"), "longer than deskterm can count"),
        (("snooze", "1", "99999999999d"), "99999999999d"),
        (("reply", "1", "--body", os.fsdecode(b"caf\xe9")), "not UTF-8 (byte 0xE9)"),
    ],
    ids=["huge id", "huge age", "huge snooze", "non-UTF-8 argument"],
)
def test_absurd_input_is_one_line_and_a_non_zero_exit(demo, args, says):
    code, lines = deskterm(*args, "--db", demo)

    assert code != 0
    assert len(lines) == 1 and says in lines[0], lines


def test_a_reply_body_that_is_not_utf8_on_stdin_is_one_line(demo):
    code, lines = deskterm("reply", "2", "--db", demo, stdin=b"caf\xe9 au lait")

    assert code != 0
    assert len(lines) == 1 and "not UTF-8" in lines[0], lines


def test_an_absurd_first_sync_reach_is_refused_in_one_line(tmp_path):
    code, lines = deskterm(
        "account", "add", "email", "shop", "--address", "help@shop.example", "--host", "h",
        "--since", "99999999d", "--password-stdin", "--db", str(tmp_path / "d.db"),
        stdin=b"pw\n",
    )  # fmt: skip

    assert code == 2
    assert len(lines) == 1 and "99999999d" in lines[0], lines


def test_a_write_lock_held_too_long_elsewhere_is_one_clear_error(db_path: Path):
    store = open_store(db_path)
    store.conn.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with (
            pytest.raises(StoreError, match="busy: another process has held its write lock"),
            store.tx(),
        ):
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()
        store.close()


class NeedsAPassword(Connector):
    name = "fake"
    channel = "email"

    def pull(self, cursors):
        get_secret(self.account.name)
        return iter(())


def test_a_secrets_file_others_can_read_stops_sync_with_one_line(
    store, tmp_path, monkeypatch, caplog
):
    secrets = tmp_path / "secrets.json"
    secrets.write_text('{"mail:password": "pw"}')
    secrets.chmod(0o640)
    monkeypatch.setenv("DESKTERM_SECRETS_FILE", str(secrets))
    account = Account("mail", "fake", "email")

    with caplog.at_level(logging.ERROR):
        report = engine.sync_account(store, account, connector=NeedsAPassword(account))

    assert (
        report.error
        == f"{secrets} is readable by other users; run `chmod 600 {secrets}` and try again"
    )
    assert not caplog.records  # no traceback in the log either
