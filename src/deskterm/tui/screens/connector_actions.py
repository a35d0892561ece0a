"""Channel actions on a ticket's order (Amazon buyer messages, review requests, ...): pick one the
channel offers now, fill in its fields, read the channel's preview, then confirm.

Everything that asks the channel (which actions it offers for the order, the preview) runs in a
thread worker; the screen only shows answers. Running the confirmed action is the caller's job
(the ticket screens queue it like any other action).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskterm.content import sanitize
from deskterm.tui.desk import DeskModal

if TYPE_CHECKING:  # the services load in the workers that use them
    from deskterm.connector_offers import Offer


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The action a person confirmed after its preview, with the values to run it with."""

    name: str
    description: str
    params: dict[str, Any]


@cache
def palette_entries(db_path: Path) -> tuple[tuple[str, str], ...]:
    """(name, description) of every action of the enabled accounts, for the command palette.

    Asks no channel (connectors list their actions without the network); read once per run.
    """
    from deskterm.connector import ConnectorError, connector_for
    from deskterm.store import open_store, queries

    store = open_store(db_path)
    try:
        accounts = queries.enabled_accounts(store)
    finally:
        store.close()
    found: dict[str, str] = {}
    for account in accounts:
        try:
            connector = connector_for(account)
        except ConnectorError:
            continue
        try:
            for action in connector.actions():
                found.setdefault(f"{account.connector}.{action.name}", action.description)
        finally:
            connector.close()
    return tuple(found.items())


class ConnectorActions(DeskModal[Confirmed | None]):
    """The actions the ticket's order offers; enter picks, ctrl+s previews, ctrl+s again runs."""

    BINDINGS: ClassVar = [
        Binding("escape", "back", "Back", id="connector_actions.back"),
        Binding("ctrl+s", "next", "Preview, then run", id="connector_actions.next"),
    ]

    def __init__(self, ticket_id: int, *, chosen: str | None = None) -> None:
        super().__init__()
        self.ticket_id, self.chosen = ticket_id, chosen
        self.offers: list[Offer] = []
        self.offer: Offer | None = None
        self.params: dict[str, Any] = {}
        self.stage = "list"  # list, form, preview
        self.previewed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt connector-actions"):
            yield Label(Text(f"Channel actions for #{self.ticket_id}", style="bold"))
            yield OptionList(id="action-list")
            yield Vertical(id="action-form")
            with VerticalScroll(id="action-preview"):
                yield Static(id="action-preview-text")
            yield Label(Text("Asking the channel what this order allows…", style="dim"), id="hint")

    def on_mount(self) -> None:
        self.query_one("#action-form").display = False
        self.query_one("#action-preview").display = False
        self.load_offers()

    def _hint(self, text: str) -> None:
        self.query_one("#hint", Label).update(Text(text, style="dim"))

    @work(thread=True, exclusive=True, group="connector-offers", exit_on_error=False)
    def load_offers(self) -> None:
        from deskterm.connector_offers import offers

        with self.desk.connection() as store:
            found = offers(store, self.ticket_id)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_offers, found)

    def _show_offers(self, found: list[Offer]) -> None:
        self.offers = found
        options = self.query_one(OptionList)
        options.clear_options()
        for offer in found:
            label = Text(offer.description, style="" if offer.available else "dim")
            if not offer.available:
                label.append(f"\n  not offered: {sanitize(offer.reason)}", style="dim italic")
            options.add_option(Option(label, id=offer.name, disabled=not offer.available))
        if not found:
            self._hint("This ticket has no order of an account with channel actions. esc closes")
            return
        self._hint("enter picks an action · esc closes")
        names = [o.name for o in found]
        if self.chosen in names:
            options.highlighted = names.index(self.chosen)
            if found[names.index(self.chosen)].available:
                self._pick(found[names.index(self.chosen)])
                return
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        offer = next(o for o in self.offers if o.name == event.option.id)
        if offer.available:
            self._pick(offer)

    def _pick(self, offer: Offer) -> None:
        self.offer = offer
        if not offer.fields:
            self.params = dict(offer.params)
            self._preview()
            return
        form = self.query_one("#action-form", Vertical)
        form.remove_children()
        for field in offer.fields:
            form.mount(Label(Text(field.help)))
            form.mount(TextArea(id=f"field-{field.key}", soft_wrap=True))
        self._show("form")
        self._hint(f"{offer.description} · ctrl+s previews · esc goes back")
        self.call_after_refresh(lambda: form.query(TextArea).first().focus())

    def _show(self, stage: str) -> None:
        self.stage = stage
        self.query_one(OptionList).display = stage == "list"
        self.query_one("#action-form").display = stage == "form"
        self.query_one("#action-preview").display = stage == "preview"

    def action_next(self) -> None:
        offer = self.offer
        if offer is None or self.stage == "list":
            return
        if self.stage == "form":
            values = {
                f.key: self.query_one(f"#field-{f.key}", TextArea).text.strip()
                for f in offer.fields
            }
            empty = [f.help for f in offer.fields if not values[f.key]]
            if empty:
                self.notify(f"Fill in: {empty[0]}", severity="warning")
                return
            self.params = {**offer.params, **values}
            self._preview()
        elif self.previewed:
            self.dismiss(Confirmed(offer.name, offer.description, self.params))

    def _preview(self) -> None:
        self.previewed = False
        self._show("preview")
        self.query_one("#action-preview-text", Static).update(
            Text("Asking the channel for a preview…", style="dim")
        )
        self._hint("esc goes back")
        assert self.offer is not None
        self.render_preview(self.offer.name, dict(self.params))

    @work(thread=True, exclusive=True, group="connector-preview", exit_on_error=False)
    def render_preview(self, name: str, params: dict[str, Any]) -> None:
        from deskterm import connector_calls
        from deskterm.connector import ConnectorError

        with self.desk.connection() as store:
            try:
                shown = connector_calls.preview(store, self.ticket_id, name, params)
                failed = False
            except (ConnectorError, connector_calls.CallError) as exc:
                shown, failed = str(exc), True
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_preview, shown, failed)

    def _show_preview(self, shown: str | None, failed: bool) -> None:
        text = self.query_one("#action-preview-text", Static)
        if failed:
            text.update(Text(sanitize(shown or ""), style="bold red"))
            self._hint("The channel refused it · esc goes back")
            return
        text.update(Text(sanitize(shown or "(the channel gives no preview)")))
        self.previewed = True
        self._hint("ctrl+s runs it · esc goes back")

    def action_back(self) -> None:
        offer = self.offer
        if self.stage == "preview" and offer is not None and offer.fields:
            self._show("form")
            self._hint(f"{offer.description} · ctrl+s previews · esc goes back")
        elif self.stage in ("form", "preview"):
            self._show("list")
            self._hint("enter picks an action · esc closes")
            self.query_one(OptionList).focus()
        else:
            self.dismiss(None)
