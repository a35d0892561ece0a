"""`deskterm search` without click: the same answers as the click command, in fewer imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskterm.cli.fast import Search, parse_search
from deskterm.cli.main import app

NOW = "2026-11-20T12:00:00Z"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(
        app, ["demo", "--seed", "1", "--now", NOW, "--no-open", "--db", str(path)]
    )
    assert result.exit_code == 0
    return path


def deskterm(*args: str) -> subprocess.CompletedProcess[str]:
    """The whole command, as a shell runs it, with the modules it imported on stderr."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "deskterm", *args],
        capture_output=True,
        text=True,
    )


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    lines = result.stderr.splitlines()
    return {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}


@pytest.mark.parametrize(
    "args",
    [
        ["search", "refund"],
        ["search", "refund", "--limit", "3", "--json"],
        ["search", "--best", "refund OR tracking", "--jsonl", "--limit=4"],
        ["search", "--csv", "--", "refund"],
    ],
)
def test_search_prints_what_the_click_command_prints_without_loading_click(
    demo_db: Path, args: list[str]
) -> None:
    fast = deskterm("--db", str(demo_db), *args)
    slow = CliRunner().invoke(app, ["--db", str(demo_db), *args])

    assert fast.returncode == slow.exit_code == 0
    assert fast.stdout == slow.stdout
    assert len(fast.stdout) > 200  # tickets were found, in each format
    assert "click" not in imported(fast)


def test_search_with_a_missing_database_says_so_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = deskterm("search", "refund", "--db", str(missing))

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import time")]
    assert errors == [f"deskterm: no database at {missing} (deskterm demo builds one; see --db)"]
    assert not missing.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--help"],
        ["search", "--limit", "0", "refund"],
        ["search", "--limit"],
        ["search"],
        ["search", "--colour", "refund"],
        ["--config", "x.toml", "search", "refund"],
        ["list", "refund"],
        [],
    ],
)
def test_anything_else_goes_to_click(args: list[str]) -> None:
    assert parse_search(args) is None


def test_the_help_of_search_is_clicks(demo_db: Path) -> None:
    result = deskterm("search", "--help")

    assert result.returncode == 0
    assert "Full-text search over every message" in result.stdout
    assert "--best" in result.stdout


def test_a_bad_limit_is_clicks_one_line_error(demo_db: Path) -> None:
    result = deskterm("search", "refund", "--limit", "0", "--db", str(demo_db))

    assert result.returncode == 2
    assert "deskterm: Invalid value for '--limit'" in result.stderr


def test_the_command_db_wins_over_the_global_one() -> None:
    found = parse_search(["--db", "a.db", "search", "x", "--db=b.db", "--limit", "7", "--json"])

    assert found == Search(("x",), 7, False, "json", Path("b.db"))


def test_a_broken_settings_file_stops_the_fast_search_too(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sla]\nfirst_reply = "2 hours"\n', encoding="utf-8")
    monkeypatch.setenv("DESKTERM_CONFIG", str(config))
    result = deskterm("search", "refund", "--db", str(demo_db))

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import time")]
    assert errors == [
        f"deskterm: {config}: sla.first_reply: unknown setting; known: calendars, policies"
    ]
    assert "click" not in imported(result)
