"""When the SLA crossings need the store: once the next warning or deadline moment has come, or
after the data changed. Every other second costs one comparison, however long the queue.

No Textual here: the app runs `read` in a worker and hands the answer to `settle`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deskterm.domain import NewMail, SlaCrossing
from deskterm.store import Store, queries

# After a longer gap between two ticks (a laptop lid), a flood of old crossings says nothing useful.
LONG_SLEEP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Crossings:
    """What one read found: the tickets that crossed in (since, until], and the next moment."""

    crossed: list[SlaCrossing]
    until: datetime
    following: datetime | None
    # Customer mail on the agent's own tickets in the same window (when asked for).
    mail: list[NewMail] = field(default_factory=list)


@dataclass(slots=True)
class CrossingWatch:
    """The moment up to which crossings were announced, and the next one the store knows of."""

    checked: datetime
    following: datetime | None = None
    # The data changed since the last read (or nothing was read yet): the next moment may be sooner.
    stale: bool = True
    reading: bool = field(default=False)

    def due(self, now: datetime) -> bool:
        """True when the store must be asked (and no read is under way)."""
        if self.reading:
            return False
        return self.stale or (self.following is not None and now >= self.following)

    def skip_to(self, now: datetime) -> None:
        """Forget the crossings up to `now` (after a long gap between ticks)."""
        self.checked = max(self.checked, now)
        self.stale = True

    def start(self) -> datetime:
        """A read begins: the moment it announces from."""
        self.reading, self.stale = True, False
        return self.checked

    def settle(self, found: Crossings | None) -> None:
        """A read ended (None: it failed, and the next due tick asks again)."""
        self.reading = False
        if found is not None:
            self.checked = max(self.checked, found.until)
            self.following = found.following


def read(store: Store, since: datetime, until: datetime, mine: str | None = None) -> Crossings:
    """The crossings in (since, until] and the first one after `until`; with `mine`, the new
    customer mail on that agent's tickets too."""
    crossed = queries.sla_crossings(store, since, until) if until > since else []
    mail = queries.new_mail_for(store, mine, since, until) if mine and until > since else []
    return Crossings(crossed, until, queries.next_sla_crossing(store, until), mail)
