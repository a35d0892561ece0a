"""`deskterm import KIND PATH`: one command per importer the installed connectors bring."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import db_option, echo, fail, state
from deskterm.cli.plugins import Discovered

if TYPE_CHECKING:
    from deskterm.connector import Importer


def _import_commands() -> dict[str, click.Command]:
    from deskterm.connector import registry

    return {
        importer.name: _import_command(importer)
        for cls in registry().values()
        for importer in cls.importers
    }


@click.group(cls=Discovered, discover=_import_commands, no_args_is_help=True)
def app() -> None:
    """Import mail archives through the normal ingest path (safe to repeat)."""


def _import_command(importer: Importer) -> click.Command:
    def run(**values: Any) -> None:
        _run_import(importer, **values)

    params = [
        click.Argument(["path"], type=click.Path(path_type=Path)),
        click.Option(
            ["--account"],
            default="import",
            help="Account the mail belongs to (default: import).",
        ),
    ]
    return click.command(
        importer.name, params=params, help=f"{importer.help}\n\nPATH: {importer.path_help}"
    )(db_option(run))


def _run_import(importer: Importer, path: Path, account: str, db: Path | None) -> None:
    # rich draws the progress bar; ~30 ms to import, paid only by an import.
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from deskterm.connector import SourceError
    from deskterm.imports import run_import
    from deskterm.store.accounts import account as account_row

    store = state(db).store()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(f"importing {escape(path.name)}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run_import(store, importer, path, account=account, progress=progress)
        except SourceError as exc:
            fail(str(exc), 2)
    echo(
        f"{result.added} messages added ({result.new_tickets} new tickets), "
        f"{result.duplicates} already there"
    )
    if account_row(store, account) is None:
        echo(
            f"note: no account is named {account!r}, so replies on these tickets wait in the "
            "outbox; import with --account NAME to file them under an email account",
            err=True,
        )
