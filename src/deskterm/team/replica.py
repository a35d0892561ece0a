"""This machine's replica of a shared workspace: set it up, push what was written here, pull what
the others wrote, and keep doing both while the server wakes us (LISTEN/NOTIFY) or, failing that,
on a timer.

A replica's settings live in its meta table: the server's address without the password (which
goes to the keyring), the agent it writes as, the workspace id, and how far it pushed (a local
event id) and pulled (a server seq).
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

from deskterm import mailbox, secrets
from deskterm.sla import clocks
from deskterm.store import Store, StoreError, on_commit, queries
from deskterm.store import team as rows
from deskterm.store import team_records as shared
from deskterm.team import files, policy, records, schema, server
from deskterm.team.apply import apply_all
from deskterm.team.server import TeamError
from deskterm.team.wire import outgoing

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

BATCH = 500
# Pulled events are folded in this many per transaction, so the replica's own writes (an agent's
# action) never wait for a whole catch-up to be applied, only for one piece of it.
APPLY = 50
# After a pass found the replica's file busy, the next try comes this soon (seconds).
BUSY_RETRY_S = 1.0
# How often a wait looks for writes by other processes to the replica's file, and for its stop
# (a write by this process, such as an action on the screen, wakes it at once).
LOOK_S = 0.2
URL, AGENT, WORKSPACE = rows.TEAM_URL, rows.TEAM_AGENT, "team.workspace"
PUSHED, PULLED = "team.pushed_through", "team.pulled_through"


class Rider(Protocol):
    """Work that shares the sync's connection to the server (the workstation's presence
    beacon), so an agent holds one connection, not one per task. The loop calls `beat` at every
    turn of its waits (every LOOK_S at least), `heard` for each notification on `channel`,
    `lost` when the connection went, and `done` before it closes the connection on stop."""

    channel: str

    def beat(self, conn: psycopg.Connection, store: Store) -> None: ...

    def heard(self) -> None: ...

    def lost(self) -> None: ...

    def done(self, conn: psycopg.Connection, store: Store) -> None: ...


class _Riding:
    """A rider as a watch loop carries it: one that fails (the server refused it) is put down
    for the rest of this connection, since it must never stop the sync."""

    def __init__(self, rider: Rider) -> None:
        self.rider: Rider | None = rider
        self.channel = rider.channel

    def beat(self, conn: psycopg.Connection, store: Store) -> None:
        if self.rider is None:
            return
        try:
            self.rider.beat(conn, store)
        except TeamError as exc:
            log.warning("team sync goes on without %s: %s", self.channel, exc)
            self.rider.lost()
            self.rider = None

    def heard(self) -> None:
        if self.rider is not None:
            self.rider.heard()

    def lost(self) -> None:
        if self.rider is not None:
            self.rider.lost()

    def done(self, conn: psycopg.Connection, store: Store) -> None:
        if self.rider is not None:
            self.rider.done(conn, store)


@dataclass(frozen=True, slots=True)
class Address:
    """A server address split into what may be written down and the password."""

    conninfo: str
    password: str | None
    slot: str

    @classmethod
    def parse(cls, url: str) -> Address:
        try:
            from psycopg.conninfo import conninfo_to_dict, make_conninfo
        except ImportError:
            raise TeamError("team mode needs psycopg: pip install 'deskterm[team]'") from None
        try:
            params = conninfo_to_dict(url)
        except Exception as exc:  # psycopg.ProgrammingError, but psycopg may be missing
            raise TeamError(f"not a PostgreSQL address: {exc}") from exc
        password = params.pop("password", None)
        slot = "team {}@{}:{}/{}".format(
            params.get("user", ""),
            params.get("host", ""),
            params.get("port", "5432"),
            params.get("dbname", ""),
        )
        return cls(make_conninfo("", **params), str(password) if password else None, slot)


def open_server(address: Address) -> psycopg.Connection:
    """Connect with the address's password, else the keyring's; keep a given one in the keyring."""
    password = address.password or secrets.get_secret(address.slot)
    conn = server.connect(address.conninfo, password)
    if address.password:
        secrets.set_secret(address.slot, address.password)
    return conn


def configured(store: Store) -> Address:
    """The server this replica belongs to."""
    url = rows.meta_get(store.conn, URL)
    if url is None:
        raise TeamError("this workspace is not in a team; run deskterm team init or team join")
    return Address.parse(url)


def _remember(store: Store, address: Address, agent: str, workspace_id: str) -> None:
    with store.tx() as conn:
        rows.meta_set(conn, URL, address.conninfo)
        rows.meta_set(conn, AGENT, agent)
        rows.meta_set(conn, WORKSPACE, workspace_id)


def init(store: Store, url: str, agent: str) -> int:
    """Create the shared schema, publish this workspace as `agent`'s; returns events pushed."""
    if rows.meta_get(store.conn, URL):
        raise TeamError("this workspace is already in a team (deskterm team status)")
    address = Address.parse(url)
    conn = open_server(address)
    try:
        server.migrate(conn)
        if server.workspace(conn) is not None:
            raise TeamError("the server already holds a workspace; use deskterm team join")
        workspace_id = str(uuid.uuid4())
        server.create_workspace(conn, workspace_id, agent)
        _remember(store, address, agent, workspace_id)
        with store.tx() as local:
            shared.note_all(local)
        policy.publish(store, clocks.current_policies())
        return push(store, conn)
    finally:
        conn.close()


def join(store: Store, url: str, agent: str) -> int:
    """Make this (empty) workspace a replica of the server's, writing as `agent`; returns the
    events pulled."""
    if rows.meta_get(store.conn, URL):
        raise TeamError("this workspace is already in a team (deskterm team status)")
    if queries.has_tickets(store):
        raise TeamError("join into an empty workspace: this one has tickets (use --db NEW_FILE)")
    address = Address.parse(url)
    conn = open_server(address)
    try:
        found = server.workspace(conn)
        if found is None:
            raise TeamError("the server holds no workspace yet; run deskterm team init first")
        mine = server.my_agent(conn)
        if mine != agent:
            who = f"agent {mine}" if mine else "no agent"
            raise TeamError(
                f"the role you signed in with is {who}, not {agent}; the workspace owner "
                f"adds agents with deskterm team add-agent ROLE {agent}"
            )
        _remember(store, address, agent, found[0])
        pulled = pull(store, conn)
        mailbox.seen_for_replies(store)  # the accounts came after the replies they answer
        return pulled
    finally:
        conn.close()


def push(store: Store, conn: psycopg.Connection) -> int:
    """Send every event written here that the server lacks, oldest first, then the records
    (orders, accounts, cursors) written here; returns how many events."""
    shared = records.collect(store)
    total = _push_events(store, conn)
    records.send(store, conn, shared)
    return total


def _push_events(store: Store, conn: psycopg.Connection) -> int:
    total = 0
    while True:
        with store.tx() as local:
            after = int(rows.meta_get(local, PUSHED) or 0)
            batch = rows.unpushed(local, after, BATCH)
            wires = [outgoing(local, row, row[6] or rows.set_uid(local, row[0])) for row in batch]
        if not batch:
            return total
        files.upload(conn, wires)  # before the events: whoever pulls them can fetch the files
        for wire in wires:
            wire["data"] = files.without_paths(wire["data"])
        stamped = server.push(conn, wires)
        with store.tx() as local:
            rows.mark_pushed(local, [row[:5] for row in stamped])
            rows.take_numbers(local, [(row[3], row[5]) for row in stamped])
            # What the server refused is a second pull of messages the team has (server.py,
            # V5): this replica drops its copies and pulls the team's.
            kept = {row[3] for row in stamped}
            rows.drop_refused(local, [w["uid"] for w in wires if w["uid"] not in kept])
            rows.meta_set(local, PUSHED, str(batch[-1][0]))
        total += len(batch)


def pull(store: Store, conn: psycopg.Connection, between: Callable[[], None] | None = None) -> int:
    """Fold in every event the server has after the last one pulled, then the records the team
    wrote since the last pull; returns how many events were new."""
    total = _pull_events(store, conn, between)
    records.pull(store, conn)
    if policy.missing(store):  # a team from before the policy was shared: this machine's
        policy.publish(store, clocks.current_policies())
        push(store, conn)
    return total


def _pull_events(store: Store, conn: psycopg.Connection, between: Callable[[], None] | None) -> int:
    """Each piece of APPLY events is its own transaction, and records how far it got; `between`
    runs after each (a long catch-up does not keep a rider of the connection waiting)."""
    total = 0
    while True:
        events = server.fetch(conn, pulled_through(store), BATCH)
        files.download(conn, events, files.local_store())
        for start in range(0, len(events), APPLY):
            piece = events[start : start + APPLY]
            with store.tx() as local:
                total += apply_all(store, piece)
                rows.meta_set(local, PULLED, str(piece[-1]["seq"]))
            if between is not None:
                between()
        if len(events) < BATCH:  # that was all: no round trip to hear so
            return total


def pulled_through(store: Store) -> int:
    """The server's number of the last event this replica pulled."""
    return int(rows.meta_get(store.conn, PULLED) or 0)


def sync_once(
    store: Store, conn: psycopg.Connection, between: Callable[[], None] | None = None
) -> tuple[int, int]:
    """Push, then pull: (events pushed, events pulled); `between` runs after the push and after
    each piece pulled."""
    pushed = push(store, conn)
    if between is not None:
        between()
    return pushed, pull(store, conn, between)


def watch(
    store: Store,
    stop: threading.Event,
    *,
    poll_s: float = 30.0,
    on_pass: Callable[[int, int], None] | None = None,
    rider: Rider | None = None,
) -> None:
    """Sync until `stop` is set: at once when the server announces new events or this replica's
    file changes, and every `poll_s` seconds in any case (a lost notification costs no more).

    One connection serves the whole loop: it listens between passes and pushes and pulls
    during them (the notifications that arrive meanwhile wait in psycopg for the next wait).
    It runs in autocommit, so a push holds the server's event lock for its one statement only,
    never across a round trip to this process. A `rider` (presence) shares it: it beats in the
    waits, after the push and after each piece a pull applies, so a long catch-up does not
    keep it waiting."""
    riding = _Riding(rider) if rider is not None else None
    conn = listening(configured(store), riding.channel if riding else None)
    between = partial(riding.beat, conn, store) if riding is not None else None
    try:
        with woken_by_writes(store) as wake:
            seen = store.data_version()
            while not stop.is_set():
                try:
                    done = sync_once(store, conn, between)
                except StoreError as exc:
                    # Another writer held the file too long: the events wait on the server.
                    log.warning("team sync: %s", exc)
                    seen = wait_for_news(store, conn, stop, BUSY_RETRY_S, seen, wake, riding)
                    continue
                if on_pass is not None:
                    on_pass(*done)
                seen = wait_for_news(store, conn, stop, poll_s, seen, wake, riding)
        if riding is not None:
            riding.done(conn, store)
    except server.db_errors() as exc:
        raise TeamError(f"lost the team server: {server.reason(exc)}") from exc
    finally:
        if riding is not None and not stop.is_set():
            riding.lost()
        conn.close()


@contextmanager
def woken_by_writes(store: Store) -> Iterator[socket.socket | None]:
    """A socket that turns readable whenever another Store of this process commits to this
    replica's file (None for a replica in memory)."""
    if store.path is None:
        yield None
        return
    wake, poke = socket.socketpair()
    wake.setblocking(False)
    poke.setblocking(False)

    def written(writer: Store) -> None:
        if writer is not store:  # the sync's own writes are no news to it
            with suppress(BlockingIOError):  # full: it is readable already
                poke.send(b".")

    stop = on_commit(store.path, written)
    try:
        yield wake
    finally:
        stop()
        wake.close()
        poke.close()


def listening(address: Address, also: str | None = None) -> psycopg.Connection:
    """A connection in autocommit that hears the server's announcements of new events (and
    those on channel `also`)."""
    conn = open_server(address)
    try:
        conn.autocommit = True
        for channel in (schema.CHANNEL, also) if also else (schema.CHANNEL,):
            conn.execute(f"LISTEN {channel}")
    except server.db_errors() as exc:
        conn.close()
        raise TeamError(f"lost the team server: {server.reason(exc)}") from exc
    return conn


def wait_for_news(
    store: Store,
    listener: psycopg.Connection,
    stop: threading.Event,
    poll_s: float,
    seen: int,
    wake: socket.socket | None = None,
    rider: Rider | None = None,
) -> int:
    """Until a notification of events this replica has not pulled yet, a write to the file by
    another connection (at once from this process, through `wake`; within LOOK_S from
    others), `stop` or `poll_s`; returns the file's data version then. The `rider` beats at
    every turn and hears the notifications on its channel."""
    deadline = time.monotonic() + poll_s
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        # Those psycopg kept from the last pass first, then what the socket has.
        if _notified(store, listener, rider)[0]:
            break
        if rider is not None and _ride(store, listener, rider):
            break
        waiting = [listener.fileno()] if wake is None else [listener.fileno(), wake.fileno()]
        ready, _, _ = select.select(waiting, [], [], min(left, LOOK_S))
        if wake is not None and wake.fileno() in ready:
            with suppress(BlockingIOError):
                wake.recv(4096)
        version = store.data_version()
        if version != seen:
            return version
    return store.data_version()


def _notified(store: Store, listener: psycopg.Connection, rider: Rider | None) -> tuple[bool, bool]:
    """(whether the notifications waiting name events past what this replica pulled, whether
    one was on the rider's channel: those go to the rider). All are read: one not read now may
    be gone."""
    news = heard = False
    with closing(listener.notifies(timeout=0)) as waiting:
        for notify in waiting:
            if rider is not None and notify.channel == rider.channel:
                rider.heard()
                heard = True
            else:
                news = _news(notify.payload, store) or news
    return news, heard


# At most this many beats in a row for what the rider heard during its own beat.
RIDES = 3


def _ride(store: Store, listener: psycopg.Connection, rider: Rider) -> bool:
    """Let the rider beat, and again at once for what it heard during that beat (psycopg kept
    it aside, so the socket will not say so); True when news of events came meanwhile."""
    for _ in range(RIDES):
        rider.beat(listener, store)
        news, heard = _notified(store, listener, rider)
        if news or not heard:
            return news
    return False


def _news(payload: str, store: Store) -> bool:
    """Whether a notification names events (or, as "records:N", shared records) past what this
    replica pulled (a bare one, from an older server, always does)."""
    kind, _, seq = payload.rpartition(":")
    if not seq.isdigit():
        return True
    through = records.pulled_through(store) if kind == "records" else pulled_through(store)
    return int(seq) > through


def status(store: Store) -> dict[str, str]:
    """Where this replica stands, for people: server, agent, workspace, its place in the log."""
    address = configured(store)
    conn = store.conn
    waiting = len(rows.unpushed(conn, int(rows.meta_get(conn, PUSHED) or 0), 1_000_000))
    return {
        "server": address.conninfo,
        "agent": rows.meta_get(conn, AGENT) or "",
        "workspace": rows.meta_get(conn, WORKSPACE) or "",
        "pulled through": rows.meta_get(conn, PULLED) or "0",
        "not pushed yet": str(waiting),
        "SLA policy": policy.describe(store, clocks.current_policies()) or "none shared yet",
    }
