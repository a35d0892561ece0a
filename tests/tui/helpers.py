"""Reading what the agent sees, for assertions, and waiting for the background work to finish."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from textual import events
from textual.command import Command, CommandList
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled

from deskterm.tui.app import DeskApp

# A wait for something the app is to show gives up after this: far beyond what a loaded CI machine
# needs, so only an app that never shows it gets there.
PATIENCE_SECONDS = 30.0

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


async def until(pilot: Pilot, ready: Callable[[], object], what: str) -> None:
    """Let the app run until `ready()` holds.

    What a test waits for hops across messages, timers and threads, and Pilot's own pause guesses
    the app is done when the process uses little CPU, which a starved process on a loaded machine
    also does: waiting for the very thing asserted is the only wait that holds under load.
    """
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not ready():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await pilot.pause(0.02)


async def run_command(pilot: Pilot, words: str, title: str) -> None:
    """Type `words` into the command palette and pick `title`, once its search offers it first
    (the search runs as a worker and shows its hits in batches)."""
    app = pilot.app
    await pilot.press("ctrl+p", *words)

    def offered() -> bool:
        hits = app.screen.query(CommandList)
        option = hits.first().highlighted_option if hits else None
        return isinstance(option, Command) and option.hit.text == title

    await until(pilot, offered, f"the palette offered {title!r}")
    await pilot.press("enter")
