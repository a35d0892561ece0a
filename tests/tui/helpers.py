"""Reading what the agent sees, for assertions, and waiting for the background work to finish."""

from __future__ import annotations

import contextlib

from textual import events
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled

from deskterm.tui.app import DeskApp

# Key names of the characters the bursts type (the rest name themselves).
KEY_NAMES = {"/": "slash", ":": "colon", " ": "space", ".": "full_stop", "\r": "enter"}


def burst(app: DeskApp, text: str) -> None:
    """Queue every key of `text` at once, as a fast typist (or a paste of keys) delivers them."""
    for character in text:
        key = KEY_NAMES.get(character, character)
        app.post_message(events.Key(key, None if key == "enter" else character))


def queue_lines(app: DeskApp) -> list[str]:
    view = app.screen.queue
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def subjects(app: DeskApp) -> list[str]:
    view = app.screen.queue
    return [view.source.row(i).subject for i in range(view.source.exact_count())]


def cursor_subject(app: DeskApp) -> str:
    return app.screen.queue.current.subject


def thread_text(app: DeskApp) -> str:
    return "\n".join(str(m.render()) for m in app.screen.query_one("#thread").query(Static))


def notifications(app: DeskApp) -> list[str]:
    """Every notification so far, oldest first (recorded by workspace.build_app)."""
    return app.notified


async def settle(pilot: Pilot) -> None:
    """Until no worker runs and every message they caused is handled (actions, loads, counts)."""
    app = pilot.app
    quiet = 0
    for _ in range(200):
        await pilot.pause()
        running = [worker for worker in app.workers if not worker.is_finished]
        # A worker counts as finished before the app has handled the message saying so (which
        # may start more work): two quiet rounds in a row, not one.
        quiet = 0 if running else quiet + 1
        if quiet == 2:
            return
        for worker in running:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
    raise AssertionError(f"background work still running: {running}")
