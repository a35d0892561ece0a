"""A command group whose commands come from the installed connectors, found when first needed.

Loading the connectors (the entry points and their modules: ~40 ms for email alone) is paid only
by `deskterm account ...` and `deskterm import ...`, never by `deskterm --help` or `search`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from deskterm.cli.common import fail


class Discovered(click.Group):
    """A group whose subcommands `discover()` builds from the connector registry."""

    def __init__(self, *args: Any, discover: Callable[[], dict[str, click.Command]], **kw: Any):
        super().__init__(*args, **kw)
        self._discover = discover

    def _commands(self) -> dict[str, click.Command]:
        # Built again on each look-up (a few per run): the registry itself is cached, and the
        # commands are cheap to make.
        from deskterm.connector import ConnectorError

        try:
            return {**self._discover(), **self.commands}
        except ConnectorError as exc:
            fail(str(exc))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._commands())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._commands().get(cmd_name)
