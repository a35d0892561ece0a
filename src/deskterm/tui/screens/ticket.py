"""The ticket screen: the thread, the context sidebar and the composer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static
from textual.worker import get_current_worker

from deskterm import actions, mailbox
from deskterm.domain import Message, Order, Ticket
from deskterm.kb import KbError
from deskterm.kb.insert import check_audience, link_text, resolver, section_text
from deskterm.keys import ACTIONS, APP, TICKET, display_key
from deskterm.sla import clocks, rules
from deskterm.store import Store, drafts, queries
from deskterm.store import orders as store_orders
from deskterm.store import tickets as store_tickets
from deskterm.store.team import held_reason
from deskterm.sync.orders import refresh_customer
from deskterm.triage.suggest import Suggestion, suggest
from deskterm.tui import palette
from deskterm.tui.bindings import bindings
from deskterm.tui.messages import DataChanged, PresenceChanged
from deskterm.tui.screens.macros import Chosen, MacroPalette
from deskterm.tui.screens.order import OrderScreen
from deskterm.tui.screens.prompts import ChoicePrompt
from deskterm.tui.screens.ticket_actions import FINISHING, TicketActions
from deskterm.tui.widgets.activity import ActivityLine
from deskterm.tui.widgets.composer import Composer
from deskterm.tui.widgets.footer import DeskFooter
from deskterm.tui.widgets.knowledge import KnowledgePanel
from deskterm.tui.widgets.queue_view import PRESENCE_MARKS, one_line, queue_subject
from deskterm.tui.widgets.sidebar import Sidebar, earlier_choice, shown_order
from deskterm.tui.widgets.sla import sla_text
from deskterm.tui.widgets.thread import Thread

# The subject keeps at least this much of a narrow header; what does not fit after it goes,
# last first (draft mark, tags, assignee, channel). Status, priority and SLA always stay.
MIN_SUBJECT = 24

# The section choice that means the whole article (an anchor never holds a #).
WHOLE = "#whole"

# What the agent may do with a reply the team server held (Traffic Cop).
HELD_CHOICES = [
    ("Send it anyway", "send"),
    ("Edit it (back into the reply draft)", "edit"),
    ("Drop it (its text stays in the timeline)", "drop"),
]


def held_replies(thread: Sequence[Message]) -> list[tuple[int, str]]:
    """(outbox item, the server's reason) of each reply of `thread` held for its author."""
    held = []
    for message in thread:
        reason = held_reason(message.delivery_error) if message.delivery == "failed" else None
        if reason is not None and message.outbox_id is not None:
            held.append((message.outbox_id, reason))
    return held


def held_line(held: Sequence[tuple[int, str]], key: str) -> Text:
    """The banner over a thread whose reply waits for its author to decide; the keys come
    first, so a narrow screen cuts the reason, not what to do."""
    _, reason = held[-1]
    more = f" (and {len(held) - 1} more)" if len(held) > 1 else ""
    line = Text.assemble(
        (f"⚠ Reply held ({key}: send anyway, edit, drop): ", "bold"), one_line(reason), more
    )
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


def presence_text(present: Sequence[tuple[str, str]], *, short: bool = False) -> Text:
    """'   anna is writing, ben is viewing' (short: '   ✎anna ◉ben'): the other agents who have
    the ticket open, writers first."""
    line = Text()
    for n, (agent, doing) in enumerate(sorted(present, key=lambda p: (p[1] != "writing", p[0]))):
        line.append("   " if n == 0 else (" " if short else ", "))
        style = "bold yellow" if doing == "writing" else "cyan"
        mark = PRESENCE_MARKS.get(doing, PRESENCE_MARKS["viewing"])[0]
        words = f"{mark}{one_line(agent)}" if short else f"{one_line(agent)} is {one_line(doing)}"
        line.append(words, style=style)
    return line


def title_line(
    ticket: Ticket,
    now: datetime,
    draft_kinds: list[str],
    width: int = 0,
    present: Sequence[tuple[str, str]] = (),
) -> Text:
    """The ticket's header in `width` cells (0: no limit), the subject cut to make room; who
    else has it open (`present`) goes last when it is narrow."""
    assignee = one_line(ticket.assignee) if ticket.assignee else "unassigned"
    # In the order they go when the header is narrow, last first.
    extras = [
        presence_text(present),
        Text(f" · {ticket.channel}", style="dim"),
        Text(f" · {assignee}", style="dim"),
        Text("   " + " ".join(ticket.tags), style="blue") if ticket.tags else Text(),
        Text("   ✎ draft " + ", ".join(draft_kinds), style="yellow") if draft_kinds else Text(),
    ]
    head = Text(f"#{ticket.id} ", style="bold")
    state = Text(f"   {ticket.status} · {ticket.priority}", style="dim")
    sla = Text("   ").append_text(sla_text(ticket.sla_state, ticket.next_deadline, now))
    subject = Text(one_line(ticket.subject) or "(no subject)", style="bold")
    if width > 0:
        room = width - head.cell_len - state.cell_len - sla.cell_len
        wanted = min(MIN_SUBJECT, subject.cell_len)
        shortened = False
        while room - sum(e.cell_len for e in extras) < wanted and any(extras):
            last = max(i for i, e in enumerate(extras) if e)
            if last == 0 and not shortened:  # who else is here: in short before not at all
                extras[0], shortened = presence_text(present, short=True), True
            else:
                extras[last] = Text()
        room = max(room - sum(e.cell_len for e in extras), 1)
        if subject.cell_len > room:  # the channel's boilerplate goes first, as in the queue
            subject.plain = queue_subject(ticket.subject)
        subject.truncate(room, overflow="ellipsis")
    others, channel, who, tags, draft = extras
    line = Text.assemble(head, subject, state, channel, who, sla, others, tags, draft)
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


@dataclass(frozen=True, slots=True)
class Shown:
    """Everything the ticket screen shows, read in one go (in a worker)."""

    ticket: Ticket
    thread: list[Message]
    context: dict
    draft_kinds: list[str]
    # How far into a team's log this thread goes (None: not shared): a reply written against it
    # names what its writer saw, not what the replica pulled since (Traffic Cop).
    seen: int | None = None


def read_ticket(
    store: Store, ticket_id: int, now: datetime, macros: Sequence[tuple[str, str]] = ()
) -> Shown | None:
    """The ticket, its thread and its context, with which of `macros` (name, description) to
    suggest; None when the ticket is gone."""
    # Read before the thread: an event pulled in between counts as not seen, never the reverse.
    seen = store_tickets.last_seq(store.conn, ticket_id)
    ticket = queries.ticket(store, ticket_id)
    if ticket is None:
        return None
    evaluation = clocks.evaluate_ticket(store.conn, ticket_id, now)
    ticket_clocks: list[rules.Clock] = evaluation.clocks if evaluation else []
    orders = store_orders.orders_of_customer_and_ticket(store, ticket.customer_id, ticket.order_id)
    order = shown_order(orders, ticket.order_id)
    context = {
        "ticket": ticket,
        "orders": orders,
        "profile": (
            store_orders.profile(store, order.account, order.customer_ref)
            if order and order.customer_ref
            else None
        ),
        "tickets": queries.customer_tickets(store, ticket.customer_id),
        "events": queries.events(store, ticket_id),
        "clocks": ticket_clocks,
        "suggested": suggest(store, ticket_id, ticket.intent, macros),
        "business": bool(
            evaluation and evaluation.policy and not evaluation.policy.calendar.always_open
        ),
    }
    thread = queries.messages(store, ticket_id)
    return Shown(ticket, thread, context, drafts.kinds_with_drafts(store, ticket_id), seen)


class TicketScreen(TicketActions):
    BINDINGS = bindings(TICKET, ACTIONS)
    SCOPES = (APP, TICKET, ACTIONS)

    def __init__(self, ticket_id: int, *, compose: str | None = None) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.start_composing = compose
        self.show_quoted = False
        self.ticket: Ticket | None = None
        self.draft_kinds: list[str] = []
        self.orders: list[Order] = []
        self.suggested: list[Suggestion] = []
        self._shown: tuple[list[tuple[int, str | None]], bool] | None = None
        self.held: list[tuple[int, str]] = []
        self.seen: int | None = None  # Shown.seen of the thread the reply is written against
        self.shown_seen: int | None = None  # Shown.seen of the thread on the screen now

    def compose(self) -> ComposeResult:
        yield Static(id="ticket-title")
        yield Static(id="ticket-held")
        with Horizontal(id="ticket-body"):
            yield Thread(id="thread")
            yield Sidebar(id="sidebar")
            yield KnowledgePanel(self.ticket_id, id="knowledge")
        yield Composer(self.ticket_id, id="composer")
        yield ActivityLine(id="activity")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.desk.handling.start(self.ticket_id)
        self.desk.here(self.ticket_id)
        if self.start_composing:
            self.query_one(Composer).open(self.start_composing)
        else:
            self.set_focus(self.query_one(Thread))
        self.load(opened=True)

    def on_unmount(self) -> None:
        self.desk.handling.stop(self.ticket_id)
        self.desk.gone(self.ticket_id)

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def load(self, *, opened: bool = False) -> None:
        """Read the ticket, its thread and its context from the store, then show them.

        Opening a ticket marks its mail read on the channel, for accounts that want that.
        """
        desk = self.desk
        now = desk.now()
        with desk.connection() as store:
            offered = [(m.name, m.description) for m in desk.macros]
            shown = read_ticket(store, self.ticket_id, now, offered)
            if shown is not None and opened:
                mailbox.mark_read(store, self.ticket_id, now)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, shown)
        if shown is not None and opened and desk.sync_enabled:
            self.app.call_from_thread(self.refresh_orders, shown.ticket.customer_id)

    @work(thread=True, exclusive=True, group="orders", exit_on_error=False)
    def refresh_orders(self, customer_id: int) -> None:
        """Ask the shops for this customer's orders when the stored ones are stale (network)."""
        with self.desk.connection() as store:
            asked = refresh_customer(store, customer_id, now=self.desk.now())
        if asked and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.load)

    def action_order(self) -> None:
        """The order view of the ticket's order (the linked one, else the latest)."""
        order = shown_order(self.orders, self.ticket.order_id if self.ticket else None)
        if order is None:
            self.notify("No order is stored for this customer", severity="warning")
            return

        def closed(_: None) -> None:
            self.load()

        self.app.push_screen(OrderScreen(self.ticket_id, order.id), closed)

    def _show(self, shown: Shown | None) -> None:
        if shown is None:
            self.notify(f"Ticket #{self.ticket_id} no longer exists", severity="error")
            self.dismiss()
            return
        self.ticket, self.draft_kinds = shown.ticket, shown.draft_kinds
        # A reply is written against the thread shown when its writer started it: what reaches
        # the screen while the composer is open is news to them (the server holds the reply).
        if self.seen is None or not self.query_one(Composer).is_open:
            self.seen = shown.seen
        self.shown_seen = shown.seen  # what a macro's reply is written against
        self.orders = shown.context["orders"]
        self.suggested = shown.context["suggested"]
        # A reply's delivery state counts too: "waiting in the outbox" must go once it has left.
        key = ([(m.id, m.delivery) for m in shown.thread], self.show_quoted)
        if key != self._shown:
            # Rebuilt only when it changed: a sync pass must not scroll away what is being read.
            self._shown = key
            zone = self.desk.zone
            self.query_one(Thread).show(shown.thread, show_quoted=self.show_quoted, zone=zone)
        self.query_one(Sidebar).show(shown.context, self.desk.now(), self.desk.zone)
        self.held = held_replies(shown.thread)
        banner = self.query_one("#ticket-held", Static)
        banner.display = bool(self.held)
        if self.held:
            hint = display_key(self.desk.user_keymap.get("held", "")) or "ctrl+p"
            banner.update(held_line(self.held, hint))
        panel = self.query_one(KnowledgePanel)
        if panel.is_open:
            panel.load()
        self.tick()

    def tick(self) -> None:
        if self.ticket is not None:
            # query(), not query_one(): the clock may tick before compose or after unmount.
            for widget in self.query("#ticket-title").results(Static):
                width = widget.content_region.width
                present = self.desk.others.get(self.ticket_id, ())
                line = title_line(self.ticket, self.desk.now(), self.draft_kinds, width, present)
                widget.update(palette.recolour(line, self.app.current_theme.dark))

    def on_resize(self) -> None:
        self.tick()

    @on(DataChanged)
    def data_changed(self) -> None:
        self.load()

    @on(PresenceChanged)
    def presence_changed(self) -> None:
        self.tick()

    def current_ticket_id(self) -> int | None:
        return self.ticket_id

    def merged_into(self, target: int) -> None:
        if self.is_active:
            self.desk.switch_ticket(target)

    def suggested_macros(self) -> list[Suggestion]:
        return self.suggested

    def thread_seen(self, ticket_id: int) -> int | None:
        return self.shown_seen if ticket_id == self.ticket_id else None

    def after_action(self, kind: str, ticket_id: int, after: str) -> None:
        if kind in FINISHING and after == "next":
            self.go(+1, finished=True)
        else:
            self.load()

    def go(self, step: int, *, finished: bool = False) -> None:
        """Open the ticket `step` places away in the queue (or leave when there is none)."""
        following = self.desk.queue_screen.neighbour(self.ticket_id, step, finished=finished)
        if following is None:
            if finished:
                self.dismiss()
            else:
                self.notify("No more tickets in this direction", timeout=2)
            return
        self.desk.switch_ticket(following)

    def action_back(self) -> None:
        panel = self.query_one(KnowledgePanel)
        if panel.is_open:
            panel.action_close()
        else:
            self.dismiss()

    def action_knowledge(self) -> None:
        """Open the knowledge panel beside the thread, in place of the sidebar; b again closes it."""
        panel = self.query_one(KnowledgePanel)
        if panel.is_open:
            panel.action_close()
            return
        self.query_one(Sidebar).display = False
        panel.open()

    @on(KnowledgePanel.Closed)
    def _knowledge_closed(self) -> None:
        self.query_one(Sidebar).display = True
        self.query_one(Thread).focus()

    def action_next_ticket(self) -> None:
        self.go(+1)

    def action_previous_ticket(self) -> None:
        self.go(-1)

    def action_held(self) -> None:
        """The newest reply the team server held: send it anyway, edit it or drop it."""
        if not self.held:
            self.notify(f"No reply of #{self.ticket_id} is held", timeout=3)
            return
        item, reason = self.held[-1]
        who = self._who()

        def chosen(choice: str | None) -> None:
            if choice == "send":
                self.act(
                    "resend",
                    lambda store, _: actions.retry_send(store, item, **who),
                    "Your held reply on #{id} leaves with the next sync",
                    after="stay",
                )
            elif choice is not None:
                edit = choice == "edit"
                self.act(
                    "edit held" if edit else "drop held",
                    lambda store, _: actions.cancel_send(store, item, to_draft=edit, **who),
                    "The held reply of #{id} is in the draft again"
                    if edit
                    else "Dropped the held reply of #{id}; its text stays in the timeline",
                    before=(lambda: self.query_one(Composer).open("reply")) if edit else None,
                    after="stay",
                )

        self.app.push_screen(ChoicePrompt(f"Held: {one_line(reason)}", HELD_CHOICES), chosen)

    def action_message(self, step: int) -> None:
        self.query_one(Thread).move(step)

    def action_split(self) -> None:
        """Move the chosen message (j, k) into a ticket of its own."""
        message = self.query_one(Thread).current
        if message is None:
            return
        who = self._who()

        def split(store: Store, _ticket_id: int) -> int:
            done = actions.split(store, message.id, **who)
            return queries.event_ticket(store, done.event_id)

        self.act(
            "split",
            split,
            lambda new: f"The message is now ticket #{new} (u puts it back)",
            after="stay",
        )

    def action_earlier(self) -> None:
        """Pick one of the customer's other tickets (the sidebar lists them) and open it."""
        shown = self.query_one(Sidebar).shown
        others = [t for t in shown[0]["tickets"] if t.id != self.ticket_id] if shown else []
        if not others:
            self.notify("This customer has no other tickets", timeout=2)
            return
        choices = [(earlier_choice(t, self.desk.now()), str(t.id)) for t in others]

        def chosen(value: str | None) -> None:
            if value is not None:
                self.desk.switch_ticket(int(value))

        self.app.push_screen(ChoicePrompt("Open the customer's ticket", choices), chosen)

    def action_toggle_quotes(self) -> None:
        self.show_quoted = not self.show_quoted
        self.load()

    def action_reply(self) -> None:
        self.query_one(Composer).open("reply")

    def action_note(self) -> None:
        self.query_one(Composer).open("note")

    @on(Composer.Send)
    def _send(self, event: Composer.Send) -> None:
        who = self._who()
        composer = self.query_one(Composer)
        kind, body, cc, files = event.kind, event.body, event.cc, event.attachments
        # What the agent saw of the thread: the team server holds the reply when someone else
        # wrote after that, even when this replica had pulled it already.
        seen, shown_id = self.seen, self.ticket_id

        def send(store: Store, ticket_id: int) -> None:
            if kind == "reply":
                saw = seen if ticket_id == shown_id else None
                actions.reply(store, ticket_id, body, cc=cc, attachments=files, seen=saw, **who)
            else:
                actions.note(store, ticket_id, body, **who)
            drafts.discard(store, ticket_id, kind)

        self.act(
            kind,
            send,
            "Reply to #{id} queued; it leaves with the next sync (u undoes it until then)"
            if kind == "reply"
            else "Note added to #{id}",
            before=composer.sent,
            refused=composer.focus_area,
        )

    @on(Composer.InsertMacro)
    def _insert_macro(self) -> None:
        if not len(self.desk.macros):
            self.notify("No macros are installed", severity="warning")
            return

        def chosen(choice: Chosen | None) -> None:
            if choice is not None:
                self.query_one(Composer).insert(choice.text)

        palette = MacroPalette(self.desk.macros, self.ticket_id, suggested=self.suggested)
        self.app.push_screen(palette, chosen)

    @on(KnowledgePanel.Tick)
    def _tick_step(self, event: KnowledgePanel.Tick) -> None:
        who = self._who()
        sop, step, text, done = event.sop, event.step, event.text, event.done
        change = actions.tick_step if done else actions.untick_step
        word = "Ticked" if done else "Unticked"
        self.act(
            "tick" if done else "untick",
            lambda store, ticket_id: change(store, ticket_id, sop, step, text, **who),
            f"{word} step {step} of {sop} on #{{id}} (u undoes it)",
            refused=self.query_one(KnowledgePanel).reload,
            after="stay",
        )

    @on(KnowledgePanel.Insert)
    def _insert_article(self, event: KnowledgePanel.Insert) -> None:
        """A customer article's link, or a section, into the open message (a new reply if none)."""
        composer = self.query_one(Composer)
        into = composer.kind if composer.is_open else "reply"
        article, shop_url = event.article, self.desk.config.shop.url
        try:
            if not event.section:
                self._put(composer, into, link_text(article, into=into, shop_url=shop_url))
                return
            check_audience(article, into)
        except KbError as exc:
            self.notify(str(exc), severity="warning")
            return

        def chosen(anchor: str | None) -> None:
            if anchor is None:
                return
            resolve = resolver(self.desk.store, shop_url)
            part = None if anchor == WHOLE else anchor
            try:
                text = section_text(article, part, into=into, shop_url=shop_url, resolve=resolve)
            except KbError as exc:
                self.notify(str(exc), severity="warning")
                return
            self._put(composer, into, text + "\n")

        choices = [("  " * max(s.level - 2, 0) + s.heading, s.anchor) for s in article.sections]
        self.app.push_screen(
            ChoicePrompt(f"Insert from: {article.title}", [*choices, ("The whole article", WHOLE)]),
            chosen,
        )

    def _put(self, composer: Composer, into: str, text: str) -> None:
        if not composer.is_open:
            composer.open(into)
        composer.insert(text)

    @on(Composer.Closed)
    def _composer_closed(self) -> None:
        self.desk.here(self.ticket_id)
        self.query_one(Thread).focus()
        self.load()
