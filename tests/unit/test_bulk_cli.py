"""`deskterm bulk`: one change to every ticket a search finds, one `deskterm undo` for all."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.main import app

NOW = "2026-11-20T12:00:00Z"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    assert run("demo", "--seed", "1", "--now", NOW, "--no-open", "--db", str(path))[0] == 0
    return path


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> str:
    copy = tmp_path / "work.db"
    source, target = sqlite3.connect(demo_db), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return str(copy)


def count(db: str, query: str) -> int:
    return int(run("list", query, "--count", "--db", db)[1])


def test_bulk_tag_changes_every_match_and_one_undo_takes_all_of_it_back(db: str) -> None:
    matching = count(db, "channel:ebay is:active")
    assert matching > 3

    code, out, _ = run("bulk", "tag", "channel:ebay is:active", "checked", "--yes", "--db", db)

    assert code == 0
    assert out.strip() == f"Tagged {matching} tickets with checked"
    assert count(db, "tag:checked") == matching
    assert run("undo", "--db", db)[0] == 0
    assert count(db, "tag:checked") == 0


def test_bulk_asks_first_and_changes_nothing_without_a_yes(db: str) -> None:
    code, _, err = run("bulk", "resolve", "channel:ebay is:active", "--db", db)
    assert code == 3
    assert "tickets match; resolve all of them? Pass --yes" in err
    assert count(db, "channel:ebay is:active") > 3


def test_bulk_resolve_says_which_tickets_it_skipped_and_why(db: str) -> None:
    ids = json.loads(run("bulk", "resolve", "is:active", "--dry-run", "--json", "--db", db)[1])
    first, second = ids["tickets"][:2]
    assert run("resolve", str(first), "--db", db)[0] == 0

    code, out, _ = run("bulk", "resolve", f"id:{first},{second}", "--yes", "--json", "--db", db)

    result = json.loads(out)
    assert code == 0
    assert result["changed"] == [second]
    assert [s["ticket"] for s in result["skipped"]] == [first]
    assert f"ticket #{first} is solved" in result["skipped"][0]["reason"]


def test_bulk_exits_non_zero_when_nothing_matches_or_nothing_changed(db: str) -> None:
    code, _, err = run("bulk", "priority", "id:999999", "high", "--yes", "--db", db)
    assert code == 1
    assert "no ticket matches" in err
    solved = json.loads(run("list", "status:solved", "--json", "--db", db)[1])[0]["id"]
    code, out, _ = run("bulk", "resolve", f"id:{solved}", "--yes", "--db", db)
    assert code == 1
    assert out.startswith("Resolved 0 tickets; 1 skipped:")


def test_a_bulk_macro_shows_its_preview_and_needs_a_yes(db: str) -> None:
    code, out, err = run("bulk", "macro", "channel:ebay is:active", "wismo", "--db", db)
    assert code == 3
    assert "macro wismo on ticket #" in out
    assert "Pass --yes" in err
