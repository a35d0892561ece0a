"""What every command module shares: the two consoles, the common options and the failure exit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Database file (default: $DESKTERM_DB or the user data folder)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print the reason on stderr, on one line for scripts, and exit with `code`."""
    err.print(Text(f"deskterm: {message}", style="red"), soft_wrap=True)
    raise typer.Exit(code)
