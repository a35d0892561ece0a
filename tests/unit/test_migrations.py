"""The migrations package: one ordered list of versions, and databases made before it still open
without running a migration they already have."""

from __future__ import annotations

import gzip
import itertools
import pkgutil
import sqlite3
from pathlib import Path

import pytest

import deskterm.store
from deskterm.store import migrations as migrations_package
from deskterm.store import open_store
from deskterm.store.migrations import MIGRATIONS, MODULES

# A new, empty database made by deskterm at 83df04e, when the migrations lived in store/schema.py,
# store/kpi_schema.py and store/later_schema.py (open_store on a new path, then gzip -9).
BEFORE_THE_MOVE = Path(__file__).resolve().parents[1] / "fixtures" / "store_v25.db.gz"
BEFORE_THE_MOVE_VERSION = 25


def test_the_versions_run_from_one_without_a_gap_or_a_repeat() -> None:
    versions = [migration.version for migration in MIGRATIONS]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_every_module_of_the_package_is_in_the_list_and_holds_migrations() -> None:
    names = {info.name for info in pkgutil.iter_modules(migrations_package.__path__)}
    assert names == {module.__name__.rsplit(".", 1)[1] for module in MODULES}
    assert all(module.SCRIPTS for module in MODULES)


def test_each_module_holds_one_range_after_the_one_before() -> None:
    # The last module is where new migrations go: an earlier one never gains a version.
    ranges = [[version for version, _ in module.SCRIPTS] for module in MODULES]
    for earlier, later in itertools.pairwise(ranges):
        assert later[0] == earlier[-1] + 1


def _sqlite_schema(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    return conn.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name").fetchall()


def test_a_database_made_before_the_move_opens_without_running_a_migration_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "before.db"
    path.write_bytes(gzip.decompress(BEFORE_THE_MOVE.read_bytes()))
    path.chmod(0o600)
    statements: list[str] = []
    connect = sqlite3.connect

    def traced_connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[call-overload]
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(deskterm.store.sqlite3, "connect", traced_connect)

    before = open_store(path)

    # executescript traces each statement of a script as written, with its newline and ";".
    versions_set = [
        s.strip().rstrip(";") for s in statements if s.strip().startswith("PRAGMA user_version =")
    ]
    assert versions_set == [
        f"PRAGMA user_version = {migration.version}"
        for migration in MIGRATIONS[BEFORE_THE_MOVE_VERSION:]
    ]
    assert before.schema_version() == len(MIGRATIONS)
    fresh = open_store(tmp_path / "fresh.db")
    assert _sqlite_schema(before.conn) == _sqlite_schema(fresh.conn)
    before.close()
    fresh.close()
