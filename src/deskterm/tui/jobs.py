"""The changes the agent asks for, run off the UI thread one at a time, in the order asked.

A job's `call` gets a connection of its worker's own. A refusal (ActionError, MacroError) is an
answer, not a failure: the job's `refused` hears it. Anything else fails the worker, and the app's
one worker handler reports it. Either way the next job starts.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.app import App
from textual.worker import Worker

from deskterm.actions import ActionError
from deskterm.macros import MacroError
from deskterm.store import Store

GROUP = "actions"
REFUSALS = (ActionError, MacroError)
# A job that tells how far it is (a bulk change) updates the activity line at most this often.
REPORT_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Job:
    """One change: what it is called while it runs, what it does, and who hears the outcome."""

    label: str
    call: Callable[[Store], Any]
    finished: Callable[[Any], None]
    refused: Callable[[str], None]
    # Shown while it runs; a draft being saved is not worth a line.
    quiet: bool = False
    # Jobs with the same key replace each other while waiting (only the newest draft matters).
    key: object = None


@dataclass(frozen=True, slots=True)
class Outcome:
    value: Any = None
    refusal: str | None = None


class Jobs:
    """The queue; the app hands every ended worker of GROUP to `ended`."""

    def __init__(
        self,
        app: App,
        connection: Callable[[], AbstractContextManager[Store]],
        show: Callable[[], None] = lambda: None,
    ) -> None:
        self._app = app
        self._connection = connection
        # Shows `status()` on the activity line (on the UI thread).
        self._show = show
        self._reported = 0.0
        self._waiting: deque[Job] = deque()
        self.current: Job | None = None
        self._started = 0.0
        # How far the current job is ("12/37"), set from its thread by a job that can tell.
        self.progress = ""

    def submit(self, job: Job) -> None:
        """Queue `job`; one with the same key still waiting is replaced where it stands."""
        waiting = [
            n for n, j in enumerate(self._waiting) if job.key is not None and j.key == job.key
        ]
        if waiting:
            self._waiting[waiting[0]] = job
        else:
            self._waiting.append(job)
        self._next()

    def _next(self) -> None:
        if self.current is not None or not self._waiting:
            return
        self.current = job = self._waiting.popleft()
        self._started = time.monotonic()
        self.progress = ""
        self._app.run_worker(
            partial(self._run, job),
            name=job.label,
            group=GROUP,
            description=job.label,
            thread=True,
            exit_on_error=False,
        )

    def _run(self, job: Job) -> Outcome:
        """On the worker's thread."""
        with self._connection() as store:
            try:
                return Outcome(value=job.call(store))
            except REFUSALS as exc:
                return Outcome(refusal=str(exc))

    def report(self, done: int, total: int) -> None:
        """From the current job's thread: how far it is, shown at most every REPORT_SECONDS."""
        self.progress = f"{done}/{total}"
        now = time.monotonic()
        if now - self._reported >= REPORT_SECONDS:
            self._reported = now
            self._app.call_from_thread(self._show)

    def ended(self, worker: Worker) -> None:
        """On the UI thread, once the current job's worker succeeded, failed or was cancelled."""
        job, self.current = self.current, None
        outcome = worker.result
        if job is not None and isinstance(outcome, Outcome):
            if outcome.refusal is not None:
                job.refused(outcome.refusal)
            else:
                job.finished(outcome.value)
        self._next()

    def running(self) -> Iterator[Job]:
        """The job under way and those waiting, in order."""
        if self.current is not None:
            yield self.current
        yield from self._waiting

    def status(self) -> str:
        """'resolve #12 · 3s · 1 more waiting' while a job that shows runs, else ''."""
        shown = [job for job in self.running() if not job.quiet]
        if not shown:
            return ""
        elapsed = int(time.monotonic() - self._started) if shown[0] is self.current else 0
        line = f"{shown[0].label} …"
        if self.progress and shown[0] is self.current:
            line += f" {self.progress}"
        line += f" {elapsed}s" if elapsed else ""
        if len(shown) > 1:
            line += f" · {len(shown) - 1} more waiting"
        return line
