"""The order view: the ticket's order in full, and the shop's actions on it.

An action asks for its parameters on one line (`items=1:1 restock=no`), asks the shop for its
preview on a worker, shows it for a yes, then runs through connector_calls on the job queue; the
outcome lands in the ticket's timeline. Nothing here waits on the network on the UI thread.
"""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static
from textual.worker import get_current_worker

from deskterm import connector_calls, order_text
from deskterm.connector import ConnectorError
from deskterm.domain import BuyerProfile, Order
from deskterm.keys import APP, ORDER
from deskterm.store import Store
from deskterm.store import orders as store_orders
from deskterm.sync.orders import refresh_customer
from deskterm.tui.bindings import bindings
from deskterm.tui.desk import DeskModal, DeskScreen
from deskterm.tui.jobs import Job
from deskterm.tui.screens.prompts import TextPrompt
from deskterm.tui.widgets.activity import ActivityLine
from deskterm.tui.widgets.footer import DeskFooter
from deskterm.tui.widgets.sidebar import ORDER_STYLES

# What each action asks, with a starting value and a hint of what it takes.
ASKS: dict[str, tuple[str, str]] = {
    "refund": (
        "items=1:1",
        "items=POS[:QTY],... (none: the whole order) shipping=yes shipping_only=yes"
        " store_credit=yes restock=no notify=yes note=...",
    ),
    "cancel": ("reason=customer refund=original", "reason=customer|declined|fraud|inventory|"
               "other|staff refund=original|store_credit|none restock=no notify=yes"),
    "address": ("address1=", "first_name last_name company address1 address2 city province zip"
                " country phone (NAME=VALUE, quote values with spaces)"),
    "tracking": ("number= carrier=", "number=... carrier=... url=... notify=yes"),
    "note": ("text=", "text=\"...\""),
    "tag": ("tags=", "tags=a,b"),
    "replacement": ("", "note=... (optional)"),
}  # fmt: skip


def parse_params(line: str) -> dict[str, str]:
    """`a=1 b="two words"` as {"a": "1", "b": "two words"}; ValueError says what is wrong."""
    params = {}
    for word in shlex.split(line):
        key, equals, value = word.partition("=")
        if not equals or not key:
            raise ValueError(f"{word!r} is not NAME=VALUE")
        params[key.strip()] = value
    return params


def order_text_of(order: Order, profile: BuyerProfile | None, zone) -> Text:
    return Text("\n").join(
        Text(line.text, style=ORDER_STYLES[line.style])
        for line in order_text.order_lines(order, profile, zone)
    )


class ConfirmPreview(DeskModal[bool]):
    """The shop's preview of an action; y or enter runs it, escape does not."""

    BINDINGS: ClassVar = [
        Binding("y,enter", "answer(True)", "Run it", id="order.confirm"),
        Binding("n,escape", "answer(False)", "Cancel", id="order.dismiss"),
    ]

    def __init__(self, title: str, preview: str) -> None:
        super().__init__()
        self.title_text, self.preview = title, preview

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Label(Text(self.title_text, style="bold"), classes="prompt-title")
            yield Static(Text(self.preview))
            yield Label(Text("y: run it in the shop · escape: do nothing", style="dim"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class OrderScreen(DeskScreen[None]):
    BINDINGS = bindings(ORDER)
    SCOPES = (APP, ORDER)

    def __init__(self, ticket_id: int, order_id: int) -> None:
        super().__init__()
        self.ticket_id, self.order_id = ticket_id, order_id
        self.order: Order | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="order-body"):
            yield Static(id="order-text")
        yield ActivityLine(id="activity")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="order", exit_on_error=False)
    def load(self) -> None:
        with self.desk.connection() as store:
            order = store_orders.order_by_id(store, self.order_id)
            profile = (
                store_orders.profile(store, order.account, order.customer_ref)
                if order and order.customer_ref
                else None
            )
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, order, profile)

    def _show(self, order: Order | None, profile: BuyerProfile | None) -> None:
        if order is None:
            self.notify("The order is no longer stored", severity="error")
            self.dismiss()
            return
        self.order = order
        self.query_one("#order-text", Static).update(order_text_of(order, profile, self.desk.zone))

    def action_back(self) -> None:
        self.dismiss()

    def action_order_action(self, action: str) -> None:
        if self.order is None:
            return
        start, hint = ASKS[action]
        title = f"{action} {self.order.number}"

        number = self.order.number

        def asked(line: str | None) -> None:
            if line is None:
                return
            try:
                params = {"order": number, **parse_params(line)}
            except ValueError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self.preview(action, params)

        self.app.push_screen(TextPrompt(title, value=start, hint=hint), asked)

    def _action_name(self, store: Store, action: str) -> str:
        from deskterm.store.accounts import account

        assert self.order is not None
        owner = account(store, self.order.account)
        return f"{owner.connector if owner else 'shopify'}.{action}"

    @work(thread=True, group="order-preview", exit_on_error=False)
    def preview(self, action: str, params: dict[str, str]) -> None:
        """Ask the shop what `action` would do (network: on this worker)."""
        with self.desk.connection() as store:
            name = self._action_name(store, action)
            try:
                text = connector_calls.preview(store, self.ticket_id, name, params)
            except (ConnectorError, connector_calls.CallError) as exc:
                self.app.call_from_thread(self._refused, str(exc))
                return
        self.app.call_from_thread(self._confirm, action, name, params, text or "")

    def _refused(self, why: str) -> None:
        self.notify(why, severity="error", markup=False, timeout=10)

    def _confirm(self, action: str, name: str, params: dict, text: str) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._run(action, name, params)

        title = f"{action} {params['order']} in the shop?"
        self.app.push_screen(ConfirmPreview(title, text or "(no preview)"), answered)

    def _run(self, action: str, name: str, params: dict) -> None:
        desk, ticket = self.desk, self.ticket_id
        agent, customer = desk.actor, self.order.customer_id if self.order else None

        def call(store: Store) -> connector_calls.Call | str:
            try:
                done = connector_calls.run(store, ticket, name, params, confirmed_by=agent)
            except connector_calls.CallError as exc:
                return str(exc)
            if customer is not None:
                # The shop changed the order: show it as the shop has it now.
                refresh_customer(store, customer, max_age=timedelta(0))
            return done

        def finished(done: connector_calls.Call | str) -> None:
            if isinstance(done, str):
                self._refused(done)
                return
            if done.status == "done":
                self.notify(f"done: {done.outcome}", markup=False)
            else:
                self.notify(f"{done.status}: {done.outcome}", severity="error", markup=False)
            self.load()

        desk.submit(Job(f"{action} {params['order']}", call, finished, self._refused))
