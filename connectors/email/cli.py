"""`deskterm account add email|test` and `deskterm import maildir|mbox`: parse, call, print.

Mounted on the main command in cli.py; `ctx.obj` (when present) carries the --db path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.common import DbOption, err, fail, out
from deskterm.domain import to_iso, utcnow
from deskterm.store import Store, StoreError, open_store

account_app = typer.Typer(
    name="account",
    help="Configure and check accounts.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
add_app = typer.Typer(
    name="add", help="Add an account.", no_args_is_help=True, rich_markup_mode=None
)
account_app.add_typer(add_app, name="add")
import_app = typer.Typer(
    name="import",
    help="Import mail archives through the normal ingest path (safe to repeat).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

SECURITY = ("ssl", "starttls", "none")
# How far back a new account's first sync reaches unless told otherwise: recent conversations
# are the work; years of old mail would open years of tickets.
FIRST_SYNC_SINCE = "30d"


def _store(ctx: typer.Context, db: Path | None) -> Store:
    try:
        return open_store(db or getattr(ctx.obj, "db_path", None))
    except StoreError as exc:
        fail(str(exc))


def _account_row(store: Store, name: str) -> dict | None:
    cur = store.conn.execute("SELECT * FROM accounts WHERE name = ?", (name,))
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def _choice(value: str, allowed: tuple[str, ...], flag: str) -> str:
    if value not in allowed:
        fail(f"{flag} must be one of {', '.join(allowed)}, not {value!r}", 2)
    return value


@add_app.command("email")
def add_email(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name for the account, e.g. shop-mail.")],
    address: Annotated[
        str, typer.Option(prompt="Support address", help="The address customers write to.")
    ],
    host: Annotated[str, typer.Option(prompt="IMAP host", help="IMAP server name.")],
    port: Annotated[int | None, typer.Option(help="IMAP port (993 for ssl, else 143).")] = None,
    security: Annotated[str, typer.Option(help="ssl, starttls or none.")] = "ssl",
    username: Annotated[str | None, typer.Option(help="Login name (default: the address).")] = None,
    folder: Annotated[
        list[str] | None, typer.Option("--folder", help="Folder to pull (repeatable; INBOX).")
    ] = None,
    smtp_host: Annotated[str | None, typer.Option(help="SMTP server (default: IMAP host).")] = None,
    smtp_port: Annotated[
        int | None, typer.Option(help="SMTP port (465 ssl, 587 starttls).")
    ] = None,
    smtp_security: Annotated[str, typer.Option(help="ssl, starttls or none.")] = "ssl",
    sent_folder: Annotated[str, typer.Option(help="Where sent replies are filed.")] = "Sent",
    append_sent: Annotated[
        bool, typer.Option(help="File a copy in Sent (turn off for Gmail, which does it).")
    ] = True,
    mark_seen: Annotated[
        bool, typer.Option(help="Flag mail seen on the server once its ticket is opened.")
    ] = False,
    archive_folder: Annotated[
        str | None, typer.Option(help="Move a solved ticket's mail to this folder.")
    ] = None,
    since: Annotated[
        str,
        typer.Option(
            help="First sync: only mail from this day (2026-10-01) or age (90d) on; 'all' for all."
        ),
    ] = FIRST_SYNC_SINCE,
    auth: Annotated[str, typer.Option(help="password or xoauth2.")] = "password",
    token_command: Annotated[
        str | None, typer.Option(help="For xoauth2: a command that prints an access token.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    replace: Annotated[bool, typer.Option(help="Overwrite an account of the same name.")] = False,
    db: DbOption = None,
) -> None:
    """Add an IMAP/SMTP account; the password goes to the system keyring, never the database."""
    from deskterm import secrets

    _choice(security, SECURITY, "--security")
    _choice(smtp_security, SECURITY, "--smtp-security")
    _choice(auth, ("password", "xoauth2"), "--auth")
    if "@" not in address:
        fail(f"{address!r} is not an email address", 2)
    if auth == "xoauth2" and not token_command:
        fail("--auth xoauth2 needs --token-command (a program that prints an access token)", 2)
    if since != "all":
        from deskterm.connector import ConnectorError
        from deskterm.connectors.email.connector import since_date

        try:
            since_date(since, utcnow().date())
        except ConnectorError as exc:
            fail(str(exc), 2)
    store = _store(ctx, db)
    if _account_row(store, name) and not replace:
        fail(f"account {name!r} already exists; pass --replace to overwrite it")
    password = None
    if auth == "password":
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = typer.prompt("Password", hide_input=True)
        if not password:
            fail("no password given; type it at the prompt or pipe it with --password-stdin", 2)
    settings = {
        "host": host,
        "port": port,
        "security": security,
        "username": username or address,
        "folders": folder or ["INBOX"],
        "smtp_host": smtp_host or host,
        "smtp_port": smtp_port,
        "smtp_security": smtp_security,
        "sent_folder": sent_folder,
        "append_sent": append_sent,
        "mark_seen": mark_seen,
        "archive_folder": archive_folder,
        "since": None if since == "all" else since,
        "auth": auth,
    }
    if token_command:
        settings["token_command"] = token_command
    settings = {k: v for k, v in settings.items() if v is not None}
    where = "no secret needed"
    if password:
        try:
            where = secrets.set_secret(name, password)
        except secrets.SecretError as exc:
            fail(str(exc))
    with store.tx() as conn:
        conn.execute(
            "INSERT INTO accounts (name, connector, channel, address, settings, created_at)"
            " VALUES (?, 'email', 'email', ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
            " connector = excluded.connector, address = excluded.address,"
            " settings = excluded.settings",
            (name, address.lower(), json.dumps(settings), to_iso(utcnow())),
        )
    out.print(f"account {name} added ({address}); password stored in: {where}")
    if since == "all":
        out.print("the first sync pulls every message")
    else:
        reach = f"the last {since}" if since[-1].isalpha() else f"{since} on"
        out.print(f"the first sync pulls mail of {reach} (--since all: every message)")
    out.print(f"check it with: deskterm account test {name}")


@account_app.command("test")
def test_account(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account to check.")],
    db: DbOption = None,
) -> None:
    """Log in with the stored settings and secret, and report what works."""
    from deskterm.connector import Account, ConnectorError, connector_for

    row = _account_row(_store(ctx, db), name)
    if row is None:
        fail(f"there is no account {name!r}")
    try:
        connector = connector_for(Account.from_row(row))
        check = getattr(connector, "test", None)
        if check is None:
            fail(f"the {row['connector']} connector has no connection test")
        try:
            for line in check():
                out.print(f"ok: {line}")
        finally:
            connector.close()
    except ConnectorError as exc:
        fail(f"{name}: {exc}")


def _run_import(ctx: typer.Context, kind: str, path: Path, account: str, db: Path | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from deskterm.connectors.email import importer
    from deskterm.connectors.email.parse import ParseOptions
    from deskterm.store.attachments import AttachmentStore, data_dir

    store = _store(ctx, db)
    row = _account_row(store, account)
    settings = json.loads(row["settings"]) if row else {}
    options = ParseOptions(
        account=account,
        own_addresses=frozenset(filter(None, [row["address"].lower() if row else ""])),
        attachments=AttachmentStore(data_dir(settings) / "attachments"),
    )
    run = importer.import_maildir if kind == "maildir" else importer.import_mbox
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"importing {path.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = run(store, path.expanduser(), options, progress=progress)
        except importer.MailboxError as exc:
            fail(str(exc), 2)
    out.print(
        f"{result.added} messages added ({result.new_tickets} new tickets), "
        f"{result.duplicates} already there"
    )
    if row is None:
        err.print(
            f"note: no account is named {account!r}, so replies on these tickets wait in the "
            "outbox; import with --account NAME to file them under an email account"
        )


AccountOption = Annotated[
    str, typer.Option("--account", help="Account the mail belongs to (default: import).")
]


@import_app.command("maildir")
def import_maildir(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Maildir folder (with cur/ and new/).")],
    account: AccountOption = "import",
    db: DbOption = None,
) -> None:
    """Import every message of a Maildir (and its Maildir++ subfolders)."""
    _run_import(ctx, "maildir", path, account, db)


@import_app.command("mbox")
def import_mbox(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="mbox file.")],
    account: AccountOption = "import",
    db: DbOption = None,
) -> None:
    """Import every message of an mbox file."""
    _run_import(ctx, "mbox", path, account, db)
