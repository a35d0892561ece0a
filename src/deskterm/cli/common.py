"""What every command module shares: the state, the common options, printing and the failure exit.

Only click and the standard library at import time: `deskterm --help` and `deskterm search` load
this, so anything heavier (rich, actions, the config parser) is imported where it is used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from deskterm.cli.fast import check_sections, echo, existing_store

if TYPE_CHECKING:
    from deskterm.actions import Done
    from deskterm.config import Config
    from deskterm.store import Store


class State:
    """What every command shares: the settings and, opened on first use, the store."""

    def __init__(self, db: Path | None, config_path: Path | None) -> None:
        self._db_path = db
        # Whether the user named the database: --db (before or after the command) or $DESKTERM_DB.
        self.db_named = db is not None or bool(os.environ.get("DESKTERM_DB"))
        self.config_path = config_path
        self._settings: Config | None = None
        self._config: Config | None = None
        self._store: Store | None = None

    @property
    def db_path(self) -> Path:
        if self._db_path is None:
            from deskterm.store import default_db_path

            self._db_path = default_db_path()
        return self._db_path

    @db_path.setter
    def db_path(self, path: Path) -> None:
        self._db_path = path

    @property
    def config(self) -> Config:
        """The settings for the database in use (deskterm.demo_shop.workspace_config: the demo's
        agent and shop in the demo's workspace); read once its path is known."""
        if self._config is None:
            self._config = workspace_config(self.check_settings(), self.db_path)
        return self._config

    def check_settings(self) -> Config:
        """Read and check the settings file now. Every command does so at start, whether it reads
        them or not: a broken file is found with its file, key and problem, not later."""
        if self._settings is None:
            # Reading the settings costs ~15 ms (tomllib, the SLA and keymap sections).
            from deskterm.config import load_config

            self._settings = check_sections(load_config(self.config_path))
        return self._settings

    def store(self, *, create: bool = True) -> Store:
        """The store, opened on first use; `create=False` (commands that only read) refuses to make
        a new empty database where none exists, a mistyped --db being the usual cause."""
        if self._store is None and not create:
            self._store = existing_store(self.db_path)
        if self._store is None:
            from deskterm.store import open_store

            self._store = open_store(self.db_path)
        return self._store

    def actor(self, agent: str | None) -> str:
        return f"agent:{agent or os.environ.get('DESKTERM_AGENT') or self.config.agent}"


def workspace_config(config: Config, db_path: Path) -> Config:
    """The settings to work on the database at `db_path` with: on the demo's, you are one of its
    agents in its shop, unless your settings file names an agent or a shop of its own."""
    from dataclasses import replace

    from deskterm import demo_shop
    from deskterm.config import parse_shop

    if not db_path.exists() or not demo_shop.is_demo_workspace(db_path):
        return config
    named = config.raw.get("agent")
    agent = config.agent if isinstance(named, dict) and "name" in named else demo_shop.YOU
    shop = config.shop if "shop" in config.raw else parse_shop(demo_shop.SHOP_SETTINGS)
    # The sections are parsed again: [[views]] reads `me` as the agent.
    return replace(config, agent=agent, shop=shop, _parsed={})


def state(db: Path | None = None) -> State:
    """The shared state of this run; a command's own --db wins over the global one."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = State(None, None)
    shared: State = root.obj
    if db is not None:
        shared.db_path = db
        shared.db_named = True
    return shared


db_option = click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=None,
    help="Database file (default: $DESKTERM_DB or the user data folder).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
as_option = click.option(
    "--as", "agent", default=None, help="Act as this agent (default: [agent] name in the config)."
)


def print_json(value: Any) -> None:
    """Plain JSON on one line, for scripts (no pretty printer)."""
    click.echo(json.dumps(value))


def fail(message: str, code: int = 1) -> NoReturn:
    """Print the reason on stderr, on one line for scripts, and exit with `code`."""
    echo(f"deskterm: {message}", style="red", err=True)
    raise click.exceptions.Exit(code)


def run_action(fn: Callable[[], Done], what: str, as_json: bool) -> None:
    """Run an action; print `what` (or the result as JSON), or its refusal with exit 1."""
    from dataclasses import asdict

    from deskterm.actions import ActionError

    try:
        done = fn()
    except ActionError as exc:
        fail(str(exc))
    if as_json:
        print_json(asdict(done))
    else:
        echo(what)


seen_all_option = click.option(
    "--seen-all",
    is_flag=True,
    help="In a team: you have read all this replica holds of the ticket (else what your last "
    "`deskterm show ID` printed counts as read).",
)


def seen_in_team(shared: State, ticket_id: int, seen_all: bool) -> int | None:
    """How far into the team's log the writer of a reply read the ticket: as far as their last
    `deskterm show ID` printed it here (the team server holds the reply when someone else wrote
    after that: Traffic Cop). None: all this replica holds, as `--seen-all` says, or the ticket
    is not shared. A reply to a shared ticket never shown here is refused."""
    from deskterm.store import team as team_rows

    conn = shared.store().conn
    if seen_all or team_rows.gid_of(conn, ticket_id) is None:
        return None
    if team_rows.meta_get(conn, team_rows.TEAM_URL) is None:
        return None
    seen = team_rows.shown_through(conn, ticket_id)
    if seen is None:
        fail(
            f"you have not read #{ticket_id} here: run deskterm show {ticket_id} first, or pass "
            "--seen-all if you have read all of it (nothing was changed)"
        )
    return seen


def open_tui(shared: State, *, sync: bool) -> None:
    # Textual costs ~150 ms to import; only the TUI pays for it.
    from deskterm.tui.app import run

    run(shared.db_path, shared.config, sync=sync)
