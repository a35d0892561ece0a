"""The local SQLite store: opening, migrating and transactions. Read queries live in store.queries."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from deskterm.store.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000
# While bulk_writes() runs: how often the background connection checkpoints, and the WAL size
# past which it makes the writer start the WAL file over.
CHECKPOINT_INTERVAL_S = 0.25
WAL_RESTART_BYTES = 64 * 1024 * 1024
# From this many tickets on, the query planner is given statistics (see gather_statistics).
STATISTICS_AFTER = 5_000


class StoreError(Exception):
    """The database file cannot be used: newer than this deskterm, unreadable, or locked too long."""


# Who in this process hears of commits to a database file (a team replica's sync, which pushes
# what the screens wrote at once instead of at its next look): path -> callbacks.
_on_commit: dict[Path, list[Callable[[Store], None]]] = {}
_on_commit_lock = threading.Lock()


def on_commit(path: Path, callback: Callable[[Store], None]) -> Callable[[], None]:
    """Call `callback(store)` after each write transaction a Store of this process commits to
    the file at `path` (as open_store resolved it); returns what stops it. Callbacks run on the
    committing thread under a lock: they must be quick and write nothing."""
    with _on_commit_lock:
        _on_commit.setdefault(path, []).append(callback)

    def stop() -> None:
        with _on_commit_lock:
            callbacks = _on_commit[path]
            callbacks.remove(callback)
            if not callbacks:
                del _on_commit[path]

    return stop


def _committed(store: Store) -> None:
    if store.path is None:
        return
    with _on_commit_lock:
        for callback in _on_commit.get(store.path, ()):
            callback(store)


def default_db_path() -> Path:
    """Where the database lives: $DESKTERM_DB, else the platform's user data folder."""
    env = os.environ.get("DESKTERM_DB")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("deskterm")) / "deskterm.db"


class Store:
    """One connection to the database file, with explicit write transactions.

    Connections run in autocommit mode; `tx()` opens BEGIN IMMEDIATE so a writer takes the lock up
    front instead of failing half-way when another process (sync --watch, a second TUI) writes too.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self.path = path
        self._depth = 0
        self._lock = threading.RLock()
        self._bulk_depth = 0
        self._bulk_stop: threading.Event | None = None
        self._bulk_thread: threading.Thread | None = None
        self._autocheckpoint = 1000

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls join the outer one, so callers compose."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                raise StoreError(
                    f"{self.path or 'the database'} is busy: another process has held its write "
                    f"lock for more than {BUSY_TIMEOUT_MS // 1000} s; try again"
                ) from exc
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self._depth = 0
                self.conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self.conn.execute("COMMIT")
            if _on_commit:
                _committed(self)

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Many write transactions in a row (an import, a first sync): checkpoint in a thread.

        SQLite copies the WAL back into the database file inside the commit that filled it past
        1,000 pages, and that checkpoint's fsync stalls the writer: about 40 ms of every
        2,000-message import batch. Meanwhile a second connection checkpoints instead, passively
        and often, so the writer rarely waits, and with RESTART once the WAL passes
        WAL_RESTART_BYTES, so the file cannot grow without bound. Nested calls share one thread.
        """
        if self.path is None:
            yield
            return
        with self._lock:
            if self._bulk_depth == 0:
                self._start_checkpointer(self.path)
            self._bulk_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._bulk_depth -= 1
                if self._bulk_depth == 0:
                    self._stop_checkpointer()

    def _start_checkpointer(self, path: Path) -> None:
        self._autocheckpoint = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        self._bulk_stop = threading.Event()
        self._bulk_thread = threading.Thread(
            target=_checkpoint_until,
            args=(path, self._bulk_stop),
            name="deskterm-checkpoint",
            daemon=True,
        )
        self._bulk_thread.start()

    def _stop_checkpointer(self) -> None:
        assert self._bulk_stop is not None and self._bulk_thread is not None
        self._bulk_stop.set()
        self._bulk_thread.join()
        self._bulk_stop = self._bulk_thread = None
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {self._autocheckpoint}")

    def data_version(self) -> int:
        """Changes whenever another connection commits; cheap enough to poll every second."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row the INSERT just run on `cursor` added."""
    row_id = cursor.lastrowid
    if row_id is None:  # the cursor ran no INSERT: a mistake in the caller, not in the data
        raise StoreError("no row was inserted")
    return row_id


def index_messages(conn: sqlite3.Connection, ids: list[int]) -> None:
    """Add the messages `ids`, just inserted, to the full-text index in the caller's transaction.

    Every path that inserts messages calls this, once per batch, instead of an insert trigger.
    Measured on 20,000 messages, FTS5 took 61 us per row through a trigger, 23 us through its own
    statement and 21 us in one statement per batch; the trigger was 67 of the 81 us that storing
    a message cost.
    """
    if not ids:
        return
    conn.execute(
        "INSERT INTO messages_fts(rowid, subject, text, author_name, author_addr)"
        " SELECT id, subject, text, author_name, author_addr FROM messages"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    )


def _checkpoint_until(path: Path, stop: threading.Event) -> None:
    """Checkpoint the WAL of `path` every CHECKPOINT_INTERVAL_S until `stop` is set."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        while not stop.wait(CHECKPOINT_INTERVAL_S):
            _, wal_pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if wal_pages * page_size > WAL_RESTART_BYTES:
                # Waits for the writer's transaction, copies what the passive runs left and
                # makes the next transaction write the WAL from its start again.
                conn.execute("PRAGMA wal_checkpoint(RESTART)")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def gather_statistics(conn: sqlite3.Connection) -> None:
    """Tell SQLite's planner how the data is spread (ANALYZE: ~0.5 s at 100,000 tickets), once the
    database holds STATISTICS_AFTER tickets; below that any plan is fast.

    Without statistics the planner takes every value for a rare one: a queue page of `is:breached`
    sorted all 33,000 breached tickets of 100,000 (42 ms) instead of walking the queue (1 ms).
    Run after an import and after a schema upgrade, which add the most rows and indexes.
    """
    tickets = conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0] or 0
    if tickets >= STATISTICS_AFTER:
        conn.execute("ANALYZE")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to the newest schema; each step commits with its user_version or not at all."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise StoreError(
            f"the database is at schema version {current}, newer than this deskterm "
            f"understands ({len(MIGRATIONS)}); upgrade deskterm"
        )
    for migration in MIGRATIONS[current:]:
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{migration.script}\n"
                f"PRAGMA user_version = {migration.version};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    if 0 < current < len(MIGRATIONS):
        gather_statistics(conn)  # an upgrade: its new indexes have none


def open_store(path: Path | str | None = None, *, memory: bool = False) -> Store:
    """Open (creating and migrating as needed) the database at `path` or the default location."""
    if memory:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        resolved = None
    else:
        resolved = Path(path).expanduser() if path is not None else default_db_path()
        _create_private(resolved)
        try:
            conn = sqlite3.connect(
                resolved,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {resolved}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not memory:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"cannot use {resolved or ':memory:'}: {exc}") from exc
    return Store(conn, resolved)
