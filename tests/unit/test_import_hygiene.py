"""Headless modules never load Textual: the CLI starts fast and `sync` runs without a terminal.

The import-linter contracts (`make imports`) read the static graph, which cannot tell a module-level
import from one deferred into the function that needs it (the CLI's launch of the TUI). Only a fresh
interpreter's `sys.modules` proves a deferral defers.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = [
    "deskterm.cli.main",
    "deskterm.cli.tickets",
    "deskterm.cli.outbox",
    "deskterm.cli.accounts",
    "deskterm.cli.imports",
    "deskterm.cli.demo",
    "deskterm.cli.macros",
    "deskterm.cli.sla",
    "deskterm.imports",
    "deskterm.actions",
    "deskterm.ingest",
    "deskterm.sync.engine",
    "deskterm.macros",
    "deskterm.mailbox",
    "deskterm.notices.watch",
    "deskterm.demo",
    "deskterm.sla.clocks",
    "deskterm.store.queries",
    "deskterm.config",
    "deskterm.views",
    "deskterm.connectors.demo",
    "deskterm.connectors.email",
    "deskterm.connectors.email.accounts",
]


def loaded_after(statement: str, watched: tuple[str, ...]) -> list[str]:
    """The `watched` top-level packages a fresh interpreter holds after running `statement`."""
    probe = f"{statement}\nimport sys\nprint(' '.join(m for m in {watched!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.split()


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_load_textual(module: str) -> None:
    assert loaded_after(f"import {module}", ("textual",)) == []


def test_the_probe_sees_textual_when_the_tui_is_imported() -> None:
    assert loaded_after("import deskterm.tui.app", ("textual",)) == ["textual"]


def test_reading_the_settings_leaves_the_comment_preserving_writer_unloaded() -> None:
    """tomllib reads; tomlkit (~20 ms to import) is for the rare write."""
    read = "from deskterm.config import load_config\nload_config()"
    assert loaded_after(read, ("tomlkit",)) == []


def test_the_command_line_leaves_the_macro_engine_unloaded_until_a_macro_command_runs() -> None:
    help_text = (
        "import contextlib, io, sys\nfrom deskterm.cli.main import main\n"
        "sys.argv = ['deskterm', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()"
    )
    assert loaded_after(help_text, ("jinja2", "deskterm.macros", "deskterm.actions")) == []


def test_checking_the_settings_at_start_loads_no_part_of_the_tui(tmp_path) -> None:
    """cli.common.check_sections validates [tui] and [[views]] through deskterm.views."""
    settings = tmp_path / "settings.toml"
    settings.write_text('[tui]\nbell = true\n\n[[views]]\nname = "Hot"\nquery = "is:breached"\n')
    check = (
        "from deskterm.cli.common import check_sections\n"
        "from deskterm.config import load_config\n"
        f"check_sections(load_config({str(settings)!r}))"
    )
    assert loaded_after(check, ("deskterm.tui", "deskterm.views")) == ["deskterm.views"]
