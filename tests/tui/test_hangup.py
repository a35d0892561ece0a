"""A terminal that goes away (SIGHUP, or its input closing) ends the workstation cleanly with
every open draft saved, instead of leaving it spinning on a dead terminal."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

from helpers import settle, until
from workspace import fill

from deskterm.store import drafts, open_store


async def test_sighup_saves_the_open_draft_and_quits(app, db, monkeypatch):
    previous = signal.signal(signal.SIGHUP, lambda *_: None)  # the test runner must survive
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            monkeypatch.setattr(app, "submit", lambda job: None)  # only the hang-up may save
            await pilot.press("enter", "r", *"Dear Anna, it ships")
            await pilot.pause()
            os.kill(os.getpid(), signal.SIGHUP)
            await until(pilot, lambda: not app.is_running, "the app quit")
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert drafts.load(open_store(db), 1, "reply") == "Dear Anna, it ships"


def test_closed_input_ends_the_workstation_instead_of_spinning(tmp_path):
    db = tmp_path / "desk.db"
    fill(db)
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deskterm", "--no-sync", "--db", str(db)],
        stdin=secondary,
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal: no SIGHUP, only the closed input
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(secondary)
    try:
        drawn, deadline = b"", time.monotonic() + 30
        while time.monotonic() < deadline:  # until the first screen is drawn and quiet
            if select.select([primary], [], [], 1.0)[0]:
                drawn += os.read(primary, 65536)
            elif drawn:
                break
        os.close(primary)
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code is not None
