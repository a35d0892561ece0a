"""The store file: private, WAL, migrated once, and refused when it is newer than this deskterm."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

import pytest

from deskterm.store import StoreError, default_db_path, open_store
from deskterm.store.migrations import MIGRATIONS


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


def _has_statistics(store) -> bool:
    found = store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
    return found.fetchone() is not None


@pytest.mark.parametrize(("after", "gathered"), [(1, True), (2, False)])
def test_an_import_gives_the_planner_statistics_once_the_tickets_are_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int, gathered: bool
) -> None:
    """Without statistics a queue page of is:breached sorts every breached ticket (42 ms at
    100,000) instead of walking the queue (1 ms)."""
    import mailbox

    import deskterm.store
    from deskterm.connectors.email.importer import MAILDIR
    from deskterm.imports import run_import

    monkeypatch.setattr(deskterm.store, "STATISTICS_AFTER", after)
    mailbox.Maildir(tmp_path / "Maildir").add(
        b"From: Ann <ann@example.net>\nSubject: Lamp\nMessage-ID: <1@example.net>\n"
        b"Date: Thu, 19 Nov 2026 10:00:00 +0000\n\nIt arrived broken.\n"
    )
    store = open_store(tmp_path / "deskterm.db")
    assert not _has_statistics(store)

    assert run_import(store, MAILDIR, tmp_path / "Maildir", account="mail", workers=0).added == 1

    assert _has_statistics(store) == gathered
    store.close()


def test_an_upgrade_of_a_large_database_gives_the_planner_statistics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deskterm.store

    monkeypatch.setattr(deskterm.store, "STATISTICS_AFTER", 0)
    fresh = open_store(tmp_path / "new.db")
    assert not _has_statistics(fresh)  # a new database has nothing to describe yet
    fresh.close()
    old = sqlite3.connect(tmp_path / "old.db")
    old.executescript(f"{MIGRATIONS[0].script}\nPRAGMA user_version = 1;")
    old.close()

    upgraded = open_store(tmp_path / "old.db")

    assert upgraded.schema_version() == len(MIGRATIONS)
    assert _has_statistics(upgraded)
    upgraded.close()


def test_a_ticket_record_carries_every_column_of_the_tickets_table(db_path: Path) -> None:
    # A column added by a migration must reach Ticket (and so `show --json`), in table order.
    from dataclasses import fields

    from deskterm.domain import Ticket

    store = open_store(db_path)
    columns = [row[1] for row in store.conn.execute("PRAGMA table_info(tickets)")]
    store.close()
    assert [f.name for f in fields(Ticket)][: len(columns)] == columns


def test_order_and_buyer_records_carry_every_column_of_their_tables(db_path: Path) -> None:
    # A column added by a migration must reach Order (and so `order show --json`), in table order.
    from dataclasses import fields

    from deskterm.domain import BuyerProfile, Order

    store = open_store(db_path)
    for table, record in (("orders", Order), ("customer_profiles", BuyerProfile)):
        columns = [row[1] for row in store.conn.execute(f"PRAGMA table_info({table})")]
        assert [f.name for f in fields(record)] == columns
    store.close()
