"""`deskterm account add CONNECTOR NAME` (options from the connector) and `account test NAME`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import db_option, echo, fail, state
from deskterm.cli.plugins import Discovered

if TYPE_CHECKING:
    from deskterm.connector import Connector, Field


@click.group(no_args_is_help=True)
def app() -> None:
    """Configure and check accounts."""


def _add_commands() -> dict[str, click.Command]:
    """One `account add` command per installed connector that offers one."""
    from deskterm.connector import registry

    return {name: _add_command(cls) for name, cls in registry().items() if cls.account_fields}


@app.group("add", cls=Discovered, discover=_add_commands, no_args_is_help=True)
def add() -> None:
    """Add an account."""


def _option(field: Field) -> click.Option:
    if field.type is bool:
        return click.Option(
            [f"--{field.name}/--no-{field.name}"], default=bool(field.default), help=field.help
        )
    return click.Option(
        [f"--{field.name}"],
        type=field.type,
        default=field.default,
        multiple=field.multiple,
        prompt=field.prompt or False,
        help=field.help,
    )


def _add_command(cls: type[Connector]) -> click.Command:
    params: list[click.Parameter] = [click.Argument(["name"])]
    params += [_option(field) for field in cls.account_fields]
    params += [
        click.Option(
            ["--password-stdin"],
            is_flag=True,
            help="Read the password (or token; several: a line each) from standard input.",
        ),
        click.Option(["--replace"], is_flag=True, help="Overwrite an account of the same name."),
    ]

    def add_account(**values: Any) -> None:
        _add_account(cls, **values)

    return click.command(
        cls.name,
        params=params,
        help=f"{cls.account_help}\n\nNAME: a short name for the account, e.g. shop-mail.",
    )(db_option(add_account))


def _add_account(
    cls: type[Connector],
    name: str,
    password_stdin: bool,
    replace: bool,
    db: Path | None,
    **values: Any,
) -> None:
    from deskterm import secrets
    from deskterm.connector import Account, ConnectorError
    from deskterm.domain import utcnow
    from deskterm.store.accounts import account, save_account

    for field in cls.account_fields:
        value = values[field.key]
        if field.multiple:
            values[field.key] = list(value)
        elif field.choices and value not in field.choices:
            fail(f"--{field.name} must be one of {', '.join(field.choices)}, not {value!r}", 2)
    try:
        new = cls.new_account(name, values, utcnow().date())
    except ConnectorError as exc:
        fail(str(exc), 2)
    store = state(db).store()
    if account(store, name) and not replace:
        fail(f"account {name!r} already exists; pass --replace to overwrite it")
    asked = [("password", new.secret)] if new.secret else []
    asked += [(key, key.replace("_", " ")) for key in new.keyed_secrets]
    where = ""
    for key, what in asked:
        variable = secrets.env_name(name, key)
        if os.environ.get(variable):  # a headless machine's way: read there at every use
            where = f"${variable} (not stored; it is read from the environment)"
            continue
        secret = _read_secret(what, password_stdin)
        try:
            where = secrets.set_secret(name, secret, key)
        except secrets.SecretError as exc:
            fail(str(exc))
    stored = f"{', '.join(w for _, w in asked)} stored in: {where}" if asked else "no secret needed"
    try:
        agreed = cls.consent(
            Account(name, cls.name, cls.channel, new.address, new.settings), _ask, echo
        )
    except ConnectorError as exc:
        fail(f"{name}: {exc}")
    save_account(
        store,
        name,
        connector=cls.name,
        channel=cls.channel,
        address=new.address,
        settings=new.settings,
    )
    echo(f"account {name} added ({new.address}); {stored}")
    if agreed:
        echo(agreed)
    for line in new.notes:
        echo(line)
    echo(f"check it with: deskterm account test {name}")


def _ask(prompt: str) -> str:
    return click.prompt(prompt, prompt_suffix=": ", show_default=False)


def _read_secret(what: str, from_stdin: bool) -> str:
    secret = None
    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        secret = click.prompt(what.capitalize(), hide_input=True)
    if not secret:
        fail(f"no {what} given; type it at the prompt or pipe it with --password-stdin", 2)
    return secret


@app.command("test")
@click.argument("name")
@db_option
def test_account(name: str, db: Path | None) -> None:
    """Log in with the stored settings and secret, and report what works.

    NAME: the account to check.
    """
    from deskterm.connector import ConnectorError, connector_for
    from deskterm.store.accounts import account

    stored = account(state(db).store(), name)
    if stored is None:
        fail(f"there is no account {name!r}")
    try:
        connector = connector_for(stored)
        check = getattr(connector, "test", None)
        if check is None:
            fail(f"the {stored.connector} connector has no connection test")
        try:
            for line in check():
                echo(f"ok: {line}")
        finally:
            connector.close()
    except ConnectorError as exc:
        fail(f"{name}: {exc}")
