"""The ticket screen: the thread, the context sidebar and the composer."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Static

from deskterm import actions, macros, mailbox
from deskterm.sla import clocks
from deskterm.store import drafts, queries
from deskterm.store import orders as store_orders
from deskterm.tui.bindings import bindings
from deskterm.tui.keymap import ACTIONS, APP, TICKET
from deskterm.tui.messages import DataChanged
from deskterm.tui.screens.macros import MacroPalette
from deskterm.tui.screens.ticket_actions import FINISHING, TicketActions
from deskterm.tui.widgets.composer import Composer
from deskterm.tui.widgets.queue_view import one_line
from deskterm.tui.widgets.sidebar import Sidebar
from deskterm.tui.widgets.sla import sla_text
from deskterm.tui.widgets.thread import Thread


def title_line(ticket: dict, now, draft_kinds: list[str]) -> Text:
    line = Text.assemble(
        (f"#{ticket['id']} ", "bold"),
        (one_line(ticket["subject"]) or "(no subject)", "bold"),
        (f"   {ticket['status']} · {ticket['priority']} · {ticket['channel']}", "dim"),
        (f" · {one_line(ticket['assignee'])}" if ticket["assignee"] else " · unassigned", "dim"),
        "   ",
        sla_text(ticket["sla_state"], ticket["next_deadline"], now),
    )
    if ticket["tags"]:
        line.append("   " + " ".join(ticket["tags"]), style="blue")
    if draft_kinds:
        line.append("   ✎ draft " + ", ".join(draft_kinds), style="yellow")
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


class TicketScreen(TicketActions):
    BINDINGS = bindings(TICKET, ACTIONS)
    SCOPES = (APP, TICKET, ACTIONS)

    def __init__(self, ticket_id: int, *, compose: str | None = None) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.start_composing = compose
        self.show_quoted = False
        self.ticket: dict | None = None
        self._shown: tuple[list[int], bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="ticket-title")
        with Horizontal(id="ticket-body"):
            yield Thread(id="thread")
            yield Sidebar(id="sidebar")
        yield Composer(self.ticket_id, id="composer")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        if self.ticket is not None:
            mailbox.mark_read(self.app.store, self.ticket_id, self.app.now())
        if self.start_composing:
            self.query_one(Composer).open(self.start_composing)
        else:
            self.set_focus(self.query_one(Thread))

    def load(self) -> None:
        """Read the ticket, its thread and its context from the store and show them."""
        store = self.app.store
        ticket = queries.ticket(store, self.ticket_id)
        if ticket is None:
            self.notify(f"Ticket #{self.ticket_id} no longer exists", severity="error")
            self.dismiss()
            return
        self.ticket = ticket
        now, zone = self.app.now(), self.app.zone
        thread = queries.messages(store, self.ticket_id)
        # A reply's delivery state counts too: "waiting in the outbox" must go once it has left.
        shown = ([(m["id"], m["delivery"]) for m in thread], self.show_quoted)
        if shown != self._shown:
            # Rebuilt only when it changed: a sync pass must not scroll away what is being read.
            self._shown = shown
            self.query_one(Thread).show(thread, show_quoted=self.show_quoted, zone=zone)
        context = {
            "ticket": ticket,
            "orders": store_orders.orders_for_customer(store, ticket["customer_id"]),
            "tickets": queries.customer_tickets(store, ticket["customer_id"]),
            "events": queries.events(store, self.ticket_id),
            "clocks": self._clocks(now),
        }
        self.query_one(Sidebar).show(context, now, zone)
        self.tick()

    def _clocks(self, now) -> list:
        evaluation = clocks.evaluate_ticket(self.app.store.conn, self.ticket_id, now)
        return evaluation.clocks if evaluation else []

    def tick(self) -> None:
        if self.ticket is not None:
            kinds = drafts.kinds_with_drafts(self.app.store, self.ticket_id)
            title = title_line(self.ticket, self.app.now(), kinds)
            # query(), not query_one(): the clock may tick before compose or after unmount.
            for widget in self.query("#ticket-title").results(Static):
                widget.update(title)

    @on(DataChanged)
    def data_changed(self) -> None:
        self.load()

    def current_ticket_id(self) -> int | None:
        return self.ticket_id

    def after_action(self, kind: str, ticket_id: int, after: str) -> None:
        if kind in FINISHING and after == "next":
            self.go(+1, finished=True)
        else:
            self.load()

    def go(self, step: int, *, finished: bool = False) -> None:
        """Open the ticket `step` places away in the queue (or leave when there is none)."""
        following = self.app.queue_screen.neighbour(self.ticket_id, step, finished=finished)
        if following is None:
            if finished:
                self.dismiss()
            else:
                self.notify("No more tickets in this direction", timeout=2)
            return
        self.app.switch_ticket(following)

    def action_back(self) -> None:
        self.dismiss()

    def action_next_ticket(self) -> None:
        self.go(+1)

    def action_previous_ticket(self) -> None:
        self.go(-1)

    def action_toggle_quotes(self) -> None:
        self.show_quoted = not self.show_quoted
        self.load()

    def action_reply(self) -> None:
        self.query_one(Composer).open("reply")

    def action_note(self) -> None:
        self.query_one(Composer).open("note")

    @on(Composer.Send)
    def _send(self, event: Composer.Send) -> None:
        store, who = self.app.store, {"actor": self.app.actor, "at": self.app.now()}
        composer = self.query_one(Composer)
        if event.kind == "reply":
            sent = self.act(
                "reply",
                lambda t: actions.reply(store, t, event.body, **who),
                "Reply to #{id} queued; it leaves with the next sync (u undoes it until then)",
                before=composer.sent,
            )
        else:
            sent = self.act(
                "note",
                lambda t: actions.note(store, t, event.body, **who),
                "Note added to #{id}",
                before=composer.sent,
            )
        if not sent:
            composer.area.focus()

    @on(Composer.InsertMacro)
    def _insert_macro(self) -> None:
        if not len(self.app.macros):
            self.notify("No macros are installed", severity="warning")
            return

        def chosen(name: str | None) -> None:
            if name is None:
                return
            shown = macros.preview(
                self.app.macros.get(name),
                self.app.store,
                self.ticket_id,
                self.app.config.agent,
                config=self.app.config,
                now=self.app.now(),
            )
            self.query_one(Composer).insert(shown.text)

        self.app.push_screen(MacroPalette(self.app.macros, self.ticket_id), chosen)

    @on(Composer.Closed)
    def _composer_closed(self) -> None:
        self.query_one(Thread).focus()
        self.tick()
