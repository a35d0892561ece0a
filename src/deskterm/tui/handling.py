"""Handle time from the workstation: while a ticket's screen is open (a dialog or the order view
over it included), key presses and clicks keep a stopwatch going (deskterm.metrics.handling);
leaving the ticket records its seconds as a `handled` event, off the UI thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from deskterm.metrics.handling import Stopwatch

# A visit shorter than this (passing through with J and K) is not handling the ticket.
MIN_SECONDS = 2

Record = Callable[[int, int, int, datetime], None]
"""Writes one visit: (ticket id, seconds, of which composing, when it ended)."""


class HandleClock:
    """The stopwatch of the ticket on screen, if any."""

    def __init__(
        self,
        idle: float,
        now: Callable[[], datetime],
        record: Record,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle = idle
        self.now = now
        self.record = record
        self.clock = clock
        self.watch: Stopwatch | None = None

    def start(self, ticket_id: int) -> None:
        """A ticket's screen opened: the previous ticket's visit (if any) ends now."""
        self.stop()
        self.watch = Stopwatch(ticket_id, self.idle, self.clock())

    def touch(self) -> None:
        if self.watch is not None:
            self.watch.touch(self.clock())

    def composing(self, open_: bool) -> None:
        if self.watch is not None:
            self.watch.compose(self.clock(), open_)

    def stop(self, ticket_id: int | None = None) -> None:
        """The ticket's screen closed (`ticket_id`: only if it is the one being timed)."""
        watch = self.watch
        if watch is None or (ticket_id is not None and watch.ticket_id != ticket_id):
            return
        self.watch = None
        seconds, composing = watch.stop(self.clock())
        if seconds >= MIN_SECONDS:
            self.record(watch.ticket_id, seconds, composing, self.now())
