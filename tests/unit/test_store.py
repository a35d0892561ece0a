"""The store file: private, WAL, migrated once, and refused when it is newer than this deskterm."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

import pytest

from deskterm.store import StoreError, default_db_path, open_store
from deskterm.store.schema import MIGRATIONS


def test_a_new_database_is_private_to_the_user(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deskterm.db"
    open_store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_database_uses_wal_foreign_keys_and_the_newest_schema(db_path: Path) -> None:
    store = open_store(db_path)
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert store.schema_version() == len(MIGRATIONS)
    store.close()


def test_reopening_does_not_migrate_again(db_path: Path) -> None:
    open_store(db_path).close()
    store = open_store(db_path)
    assert store.schema_version() == len(MIGRATIONS)
    store.close()


def test_a_database_from_a_newer_deskterm_is_refused_untouched(db_path: Path) -> None:
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this deskterm"):
        open_store(db_path)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some text, not sqlite\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt"):
        open_store(path)


def test_db_location_follows_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DESKTERM_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"


def test_a_second_connection_sees_the_change_through_data_version(db_path: Path) -> None:
    reader, writer = open_store(db_path), open_store(db_path)
    seen = reader.data_version()
    with writer.tx() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    assert reader.data_version() != seen
    reader.close()
    writer.close()


def test_nested_transactions_join_the_outer_one(db_path: Path) -> None:
    store = open_store(db_path)
    with pytest.raises(RuntimeError), store.tx() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
        with store.tx() as inner:
            inner.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")
        raise RuntimeError("abort the outer one")
    assert store.conn.execute("SELECT COUNT(*) FROM meta").fetchone() == (0,)
    store.close()


def test_bulk_writes_checkpoint_in_the_background_and_keep_the_wal_bounded(
    db_path: Path, monkeypatch
) -> None:
    import deskterm.store as store_module

    monkeypatch.setattr(store_module, "CHECKPOINT_INTERVAL_S", 0.01)
    monkeypatch.setattr(store_module, "WAL_RESTART_BYTES", 256 * 1024)
    store = open_store(db_path)
    wal = Path(f"{db_path}-wal")
    biggest = 0
    with store.bulk_writes():
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        with store.bulk_writes():  # nested: the same background thread
            for n in range(80):
                with store.tx() as conn:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{n}", "x" * 20_000)
                    )
                biggest = max(biggest, wal.stat().st_size)
                time.sleep(0.01)  # an import's transactions are far apart; let the thread run
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    # Without checkpoints the 80 transactions make a WAL of about 2.8 MB.
    assert biggest < 1.5 * 1024 * 1024
    store.close()
    reopened = open_store(db_path)
    assert reopened.conn.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone() == (
        80,
    )
    reopened.close()


def test_bulk_writes_on_a_memory_store_do_nothing(db_path: Path) -> None:
    store = open_store(memory=True)
    with store.bulk_writes(), store.tx() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    assert store.conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)
