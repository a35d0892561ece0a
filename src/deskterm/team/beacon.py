"""The workstation's presence beacon: it tells the team which ticket this agent has open, and
hears which tickets the others have open and who is online.

The screen only says what it shows (`show`, `leave`); the beacon announces it, again before it
lapses, and reads the others' whenever the server says presence changed (LISTEN) or every
`every` seconds. It rides the replica's sync loop, on the sync's one connection to the server
(`replica.watch(rider=...)`), so an agent holds one connection, not two; a workstation that does
not sync runs it on a thread and a connection of its own (`start`). Nothing here waits on the
screen's thread: an unreachable server costs the beacon a retry, never a keystroke. When the app
closes the announcement is withdrawn; when the machine goes away it lapses after `ttl` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.domain import utcnow
from deskterm.store import Store, open_store
from deskterm.store import team as rows
from deskterm.team import presence, replica, roster, server
from deskterm.team.server import TeamError

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

# An announcement lasts TTL seconds and is renewed every TTL / 3, so one lost renewal is no gap.
TTL = 30
# The others' presence is read at least this often, notifications or not.
READ_EVERY = 5.0
# How long one wait for a notification lasts: `show` takes effect within it.
TURN = 0.2
# After the server was lost, the next try waits this long.
RETRY = 5.0

# What deskterm.announce notifies on (team/server.py V2_PRESENCE).
CHANNEL = "deskterm_presence"

Others = dict[int, list[tuple[str, str]]]


class Beacon:
    """Announces this agent's open ticket and reports the others' to `on_others` (from its
    thread, only when it changed; {} while the server cannot be reached)."""

    def __init__(
        self,
        db_path: Path,
        on_others: Callable[[Others], None],
        *,
        ttl: int = TTL,
        every: float = READ_EVERY,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db_path = db_path
        self.now = now
        self.on_others = on_others
        self.ttl = ttl
        self.every = every
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # What the screen shows: (ticket, viewing|writing); ticket None: none open.
        self._wish: tuple[int | None, str] = (None, "viewing")
        self._thread: threading.Thread | None = None
        self._reported: Others | None = None
        self._online = roster.OnlineKeeper()
        # What was last announced, and when the next announcement and read are due (monotonic).
        self._announced: tuple[int | None, str] | None = None
        self._renew_at = self._read_at = 0.0

    def show(self, ticket_id: int | None, doing: str = "viewing") -> None:
        """The agent now has `ticket_id` open (None: no ticket); returns at once."""
        with self._lock:
            self._wish = (ticket_id, doing)

    def leave(self, ticket_id: int) -> None:
        """The agent closed `ticket_id`; a ticket opened since stays announced."""
        with self._lock:
            if self._wish[0] == ticket_id:
                self._wish = (None, "viewing")

    @property
    def wish(self) -> tuple[int | None, str]:
        with self._lock:
            return self._wish

    # --- riding a loop that holds the connection (replica.watch, or `_serve` below) ---

    channel = CHANNEL

    def beat(self, conn: psycopg.Connection, store: Store) -> None:
        """Announce what the screen shows if it changed or is due again, and read the others'
        when due; cheap when neither is (the loop calls it every turn)."""
        now = time.monotonic()
        wish = self.wish
        if wish != self._announced or now >= self._renew_at:
            _announce(conn, store, wish, self.ttl)
            self._announced, self._renew_at = wish, now + self.ttl / 3
        if now >= self._read_at:
            self._report(presence.others(conn, store))
            self._online.heard(store, presence.online(conn), self.now())
            self._read_at = now + self.every

    def heard(self) -> None:
        """The server notified a change of presence: read the others' at the next beat."""
        self._read_at = 0.0

    def lost(self) -> None:
        """The connection is gone: announce afresh on the next one; nobody is shown meanwhile
        rather than stale marks."""
        self._announced, self._renew_at, self._read_at = None, 0.0, 0.0
        self._report({})

    def done(self, conn: psycopg.Connection, store: Store) -> None:
        """Closing the app: the others stop seeing this agent at once, not when it lapses."""
        try:
            presence.withdraw(conn, store)
        except TeamError as exc:
            log.info("team presence not withdrawn: %s", exc)

    # --- on a thread of its own, for a workstation that does not sync ---

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="team-presence", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        store = open_store(self.db_path)
        try:
            while not self._stop.is_set():
                try:
                    self._serve(store)
                except TeamError as exc:
                    log.warning("team presence: %s", exc)
                self.lost()
                self._stop.wait(RETRY)
        finally:
            store.close()

    def _report(self, found: Others) -> None:
        if found != self._reported:
            self._reported = found
            self.on_others(found)

    def _serve(self, store: Store) -> None:
        """Announce and listen on one connection until stopped or the server is lost."""
        conn = replica.open_server(replica.configured(store))
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            while not self._stop.is_set():
                self.beat(conn, store)
                if any(True for _ in conn.notifies(timeout=TURN, stop_after=1)):
                    self.heard()
            self.done(conn, store)
        except server.db_errors() as exc:
            raise TeamError(f"lost the team server: {server.reason(exc)}") from exc
        finally:
            conn.close()


def _announce(
    conn: psycopg.Connection, store: Store, wish: tuple[int | None, str], ttl: int
) -> None:
    ticket_id, doing = wish
    if ticket_id is not None and rows.gid_of(store.conn, ticket_id) is None:
        ticket_id = None  # not pushed yet: the others could not name it
    presence.announce(conn, store, ticket_id, doing, ttl)
