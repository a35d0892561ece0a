"""Fixtures for the TUI tests: a fresh copy of the small workspace per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from workspace import build_app, fill

from deskterm.tui.app import DeskApp


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "desk.db"
    fill(path)
    return path


@pytest.fixture
def app(db: Path) -> DeskApp:
    return build_app(db)
