"""`deskterm import KIND PATH`: one command per importer the installed connectors bring."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import State, db_option, echo, fail, state
from deskterm.cli.plugins import Discovered

if TYPE_CHECKING:
    from deskterm.connector import Importer
    from deskterm.ingest import IngestResult
    from deskterm.store import Store

SINCE_HELP = (
    "Mail older than this is history: solved, without SLA clocks (an age like 30d, a day like "
    "2026-10-01, or all)."
)
SHOP_HELP = (
    "An address of the shop's own (repeatable): mail from it is stored as our replies. Default: "
    "the accounts' and [shop] addresses, else the one most of the mail went to."
)


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
        click.Option(["--since"], default="30d", show_default=True, help=SINCE_HELP),
        click.Option(["--shop-address", "shop_addresses"], multiple=True, help=SHOP_HELP),
    ]
    return click.command(
        importer.name, params=params, help=f"{importer.help}\n\nPATH: {importer.path_help}"
    )(db_option(run))


def _run_import(
    importer: Importer,
    path: Path,
    account: str,
    since: str,
    shop_addresses: tuple[str, ...],
    db: Path | None,
) -> None:
    from deskterm.connector import SourceError
    from deskterm.domain import local_zone, utcnow
    from deskterm.imports import history_start
    from deskterm.store.accounts import account as account_row

    shared = state(db)
    try:
        history_before = history_start(since, utcnow(), local_zone())
        own = _own_addresses(shared, importer, path, shop_addresses)
    except (ValueError, SourceError) as exc:
        fail(str(exc), 2)
    store = shared.store()
    result = _with_progress(
        store, importer, path, account=account, own_addresses=own, history_before=history_before
    )
    history = f"; {result.history} older than {since}, stored solved" if result.history else ""
    echo(
        f"{result.added} messages added ({result.new_tickets} new tickets{history}), "
        f"{result.duplicates} already there"
    )
    if account_row(store, account) is None:
        echo(
            f"note: no account is named {account!r}, so replies on these tickets wait in the "
            "outbox; import with --account NAME to file them under an email account",
            err=True,
        )


def _with_progress(store: Store, importer: Importer, path: Path, **options: Any) -> IngestResult:
    """run_import with a progress bar on stderr; an archive it cannot read exits 2."""
    # rich draws the progress bar; ~30 ms to import, paid only by an import.
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from deskterm.connector import SourceError
    from deskterm.imports import run_import

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
            return run_import(store, importer, path, progress=progress, **options)
        except SourceError as exc:
            fail(str(exc), 2)


def _own_addresses(
    shared: State, importer: Importer, path: Path, given: tuple[str, ...]
) -> set[str]:
    """The shop's own addresses: --shop-address, else the accounts' and [shop] ones, else the
    one most of the archive's mail went to; asked for (or said) when none clearly leads."""
    from deskterm.imports import RECIPIENT_SAMPLE, dominant_recipient
    from deskterm.store.queries import accounts

    own = {a.strip().lower() for a in given} or {
        *shared.config.shop.addresses,
        *(a.address.lower() for a in accounts(shared.store()) if "@" in a.address),
    }
    if own or importer.recipients is None:
        if own:
            echo(f"mail from {', '.join(sorted(own))} is stored as the shop's replies", err=True)
        return own
    guess, leaders = dominant_recipient(importer.recipients(path.expanduser(), RECIPIENT_SAMPLE))
    if guess is not None:
        echo(
            f"mail from {guess} is stored as the shop's replies: {leaders[0][1]:.0%} of the mail "
            "went to it (--shop-address or [shop] addresses to say otherwise)",
            err=True,
        )
        return {guess}
    named = ", ".join(f"{a} {share:.0%}" for a, share in leaders)
    if leaders and sys.stdin.isatty():
        answer = click.prompt(
            f"Which address is the shop's own? Most mail went to: {named} (none: every mail is a "
            "customer's)",
            default=leaders[0][0],
        )
        return set() if answer.strip().lower() == "none" else {answer.strip().lower()}
    echo(
        f"note: no address stands out as the shop's own ({named or 'no recipients'}), so every "
        "mail is taken as a customer's; name it with --shop-address",
        err=True,
    )
    return set()
