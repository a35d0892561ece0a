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
    # The last message stored on this replica at the read: the next read's mail starts after it.
    mail_through: int
    # Customer mail on the agent's own tickets that arrived here since the last read (when
    # asked for): by arrival on this replica, not by the time the message was written, which a
    # team replica may receive later than others.
    mail: list[NewMail] = field(default_factory=list)


@dataclass(slots=True)
class CrossingWatch:
    """The moment up to which crossings were announced, and the next one the store knows of."""

    checked: datetime
    following: datetime | None = None
    # The data changed since the last read (or nothing was read yet): the next moment may be sooner.
    stale: bool = True
    reading: bool = field(default=False)
    # The last message already looked at for new mail (watching_from sets it to the newest).
    mail_after: int = 0

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
            self.mail_after = max(self.mail_after, found.mail_through)


def watching_from(store: Store, moment: datetime) -> CrossingWatch:
    """A watch that announces the crossings after `moment` and the mail arriving from now on."""
    return CrossingWatch(moment, mail_after=queries.last_message_id(store))


def read(
    store: Store, since: datetime, until: datetime, mine: str | None = None, mail_after: int = 0
) -> Crossings:
    """The crossings in (since, until] and the first one after `until`; with `mine`, the
    customer mail on that agent's tickets that arrived here after the message `mail_after`."""
    through = queries.last_message_id(store)
    crossed = queries.sla_crossings(store, since, until) if until > since else []
    mail = queries.new_mail_for(store, mine, mail_after, through) if mine else []
    return Crossings(crossed, until, queries.next_sla_crossing(store, until), through, mail)
