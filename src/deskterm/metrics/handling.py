"""Handle time as the TUI measures it: a stopwatch per ticket on screen that counts the time
between signs of life (key presses, mouse clicks, opening and closing the composer) and leaves
out every gap longer than the idle limit, as an agent who walked away is not handling it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Stopwatch:
    """Seconds are monotonic clock readings (time.monotonic()), never wall time."""

    ticket_id: int
    idle: float
    last: float
    seconds: float = 0.0
    composing_seconds: float = 0.0
    composing: bool = False

    def touch(self, at: float) -> None:
        """A sign of life at `at`: the gap since the last one counts unless it is idle."""
        gap = at - self.last
        if 0 < gap <= self.idle:
            self.seconds += gap
            if self.composing:
                self.composing_seconds += gap
        self.last = max(self.last, at)

    def compose(self, at: float, open_: bool) -> None:
        """The composer opened (or closed) at `at`; the time until then counts as before."""
        self.touch(at)
        self.composing = open_

    def stop(self, at: float) -> tuple[int, int]:
        """(handle seconds, of which composing), whole seconds, as of leaving at `at`."""
        self.touch(at)
        return int(self.seconds), int(self.composing_seconds)
