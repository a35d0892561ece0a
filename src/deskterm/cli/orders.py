"""`deskterm order show|refund|cancel|address|tracking|note|tag|replacement NUMBER`.

`show` reads the store (offline). The actions go to the order's shop through
deskterm.connector_calls, recorded in a ticket's timeline (the order's, or --ticket): the shop's
own preview first, then a person's yes (a prompt, or --yes), then the call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import as_option, db_option, echo, fail, json_option, print_json, state

if TYPE_CHECKING:
    from deskterm.connector_calls import Call
    from deskterm.domain import Order
    from deskterm.store import Store

STYLES = {"bold": "bold", "dim": "dim", "warn": "red", "link": None, "": None}


@click.group(name="order")
def app() -> None:
    """Orders from the shops: show one, or act on it in the shop."""


def _order(number: str, account: str | None, db: Path | None) -> Order:
    from deskterm.store import orders

    found = orders.orders_by_number(state(db).store(create=False), number, account)
    if not found:
        fail(f"no order {number} is stored; sync the shop's account first")
    if len({o.account for o in found}) > 1:
        accounts = ", ".join(sorted({o.account for o in found}))
        fail(f"order {number} is on several accounts ({accounts}); pass --account", 2)
    return found[0]


# Options whose parameter name would clash with the command's own, as the shops name them.
RENAMED = {"tracking_number": "number"}
account_option = click.option("--account", default=None, help="The order's account, if several.")


@app.command()
@click.argument("number")
@account_option
@json_option
@db_option
def show(number: str, account: str | None, as_json: bool, db: Path | None) -> None:
    """Show an order from the store: items, address, shipments, refunds, the buyer.

    NUMBER: the order number, e.g. #1042 or 1042.
    """
    from deskterm.order_text import order_lines
    from deskterm.store import orders

    order = _order(number, account, db)
    profile = (
        orders.profile(state(db).store(create=False), order.account, order.customer_ref)
        if order.customer_ref
        else None
    )
    if as_json:
        print_json(
            {"order": orders.as_json(order), "buyer": orders.as_json(profile) if profile else None}
        )
        return
    # Days as the person at this terminal counts them.
    zone = datetime.now().astimezone().tzinfo or UTC
    for line in order_lines(order, profile, zone):
        echo(line.text, style=STYLES[line.style])


def _act(
    action: str,
    number: str,
    params: dict[str, Any],
    *,
    account: str | None,
    ticket: int | None,
    dry_run: bool,
    yes: bool,
    as_json: bool,
    agent: str | None,
    db: Path | None,
) -> None:
    from deskterm import connector_calls
    from deskterm.connector import ConnectorError

    shared = state(db)
    store = shared.store()
    order = _order(number, account, db)
    ticket, name = _target(store, order, ticket, action)
    given = {RENAMED.get(k, k): v for k, v in params.items() if v is not None}
    params = {"order": order.number, **given}
    try:
        preview = connector_calls.preview(store, ticket, name, params)
    except (ConnectorError, connector_calls.CallError) as exc:
        fail(str(exc))
    if dry_run or not as_json:
        _show_preview(preview, params, as_json, dry_run)
    if dry_run:
        return
    if not yes and not click.confirm(f"{action} {order.number} in the shop?", default=False):
        fail("nothing done")
    try:
        call = connector_calls.run(store, ticket, name, params, confirmed_by=shared.actor(agent))
    except connector_calls.CallError as exc:
        fail(str(exc))
    if order.customer_id is not None:
        from datetime import timedelta

        from deskterm.sync.orders import refresh_customer

        # The shop changed the order: `order show` should say so without waiting for a sync.
        refresh_customer(store, order.customer_id, max_age=timedelta(0))
    _report(call, ticket, as_json)


def _target(store: Store, order: Order, ticket: int | None, action: str) -> tuple[int, str]:
    """The ticket whose timeline records the call, and the call's name on the order's connector."""
    from deskterm.store import orders
    from deskterm.store.accounts import account as account_row

    owner = account_row(store, order.account)
    if owner is None:
        fail(f"order {order.number} belongs to account {order.account}, which is gone")
    ticket = ticket or orders.ticket_for_order(store, order)
    if ticket is None:
        fail(f"no ticket is linked to {order.number}; pass --ticket N for its timeline", 2)
    return ticket, f"{owner.connector}.{action}"


def _report(call: Call, ticket: int, as_json: bool) -> None:
    """The call's outcome; a call that did not finish exits non-zero."""
    if as_json:
        print_json(
            {
                "call": call.id,
                "ticket": ticket,
                "status": call.status,
                "outcome": call.outcome,
                "external_id": call.external_id,
            }
        )
    else:
        echo(f"{call.status}: {call.outcome} (ticket #{ticket})")
    if call.status != "done":
        raise click.exceptions.Exit(1)


def _show_preview(preview: str | None, params: dict, as_json: bool, dry_run: bool) -> None:
    if as_json:
        print_json({"params": params, "preview": preview, "dry_run": dry_run})
    else:
        echo(preview or "(the shop gives no preview for this action)")


def _options(fn: Callable) -> Callable:
    for option in (
        click.argument("number"),
        account_option,
        click.option("--ticket", type=int, default=None, help="Record it in this ticket."),
        click.option("--dry-run", is_flag=True, help="Show the shop's preview; change nothing."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation."),
        json_option,
        as_option,
        db_option,
    ):
        fn = option(fn)
    return fn


def _command(action: str, help_text: str, *extra: Callable) -> Callable:
    """An order action command: its own options, then the ones every action shares."""

    def command(
        number: str,
        account: str | None,
        ticket: int | None,
        dry_run: bool,
        yes: bool,
        as_json: bool,
        agent: str | None,
        db: Path | None,
        **params: Any,
    ) -> None:
        _act(
            action,
            number,
            params,
            account=account,
            ticket=ticket,
            dry_run=dry_run,
            yes=yes,
            as_json=as_json,
            agent=agent,
            db=db,
        )

    command.__doc__ = help_text + "\n\nNUMBER: the order number, e.g. #1042."
    for option in reversed(extra):
        command = option(command)
    return app.command(action)(_options(command))


def _items(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> str | None:
    return ",".join(value) or None


def _flag(name: str, help_text: str) -> Callable:
    return click.option(f"--{name}/--no-{name}", default=None, help=help_text)


_command(
    "refund",
    "Refund the whole order, chosen items, shipping only, or to store credit.",
    click.option(
        "--item", "items", multiple=True, callback=_items,
        help="POSITION[:QUANTITY] (or line id or SKU); repeat for more items.",
    ),
    _flag("shipping", "Refund shipping too (default: only for a whole order)."),
    click.option("--shipping-only", is_flag=True, default=None, help="Refund only shipping."),
    click.option("--store-credit", is_flag=True, default=None, help="As store credit."),
    _flag("restock", "Put refunded items back in stock (default: yes)."),
    _flag("notify", "Email the customer (default: no)."),
    click.option("--note", default=None, help="The refund's note."),
)  # fmt: skip
_command(
    "cancel",
    "Cancel the order; Shopify's cancel job is followed to its end.",
    click.option(
        "--reason", default="customer",
        type=click.Choice(["customer", "declined", "fraud", "inventory", "other", "staff"]),
    ),
    _flag("restock", "Put the items back in stock (default: yes)."),
    _flag("notify", "Email the customer (default: no)."),
    click.option(
        "--refund", default="original", type=click.Choice(["original", "store_credit", "none"]),
        help="Where the money goes.",
    ),
    click.option("--staff-note", default=None, help="A note for staff only."),
)  # fmt: skip
_command(
    "address",
    "Change the shipping address; fields not given stay as they are.",
    *(
        click.option(f"--{field.replace('_', '-')}", field, default=None)
        for field in (
            "first_name", "last_name", "company", "address1", "address2", "city", "province",
            "zip", "country", "phone",
        )
    ),
)  # fmt: skip
_command(
    "tracking",
    "Add or correct the tracking of the order's latest shipment.",
    # Not "number": that is the order's, the command's argument.
    click.option("--number", "tracking_number", required=True, help="The tracking number."),
    click.option("--carrier", default=None, help="The carrier, e.g. DHL."),
    click.option("--url", default=None, help="The tracking page."),
    _flag("notify", "Email the customer the new tracking (default: no)."),
    click.option("--fulfillment", default=None, help="Which shipment (default: the latest)."),
)
_command("note", "Add a line to the order's note.", click.option("--text", required=True))
_command("tag", "Tag the order.", click.option("--tags", required=True, help="a,b"))
_command(
    "replacement",
    "Create a draft order with the original's items at zero price.",
    click.option("--note", default=None, help="The draft's note."),
)
