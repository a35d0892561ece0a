"""The ticket's context: the customer across channels, earlier tickets, orders, SLA and timeline."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskterm import order_text
from deskterm.content import sanitize
from deskterm.domain import BuyerProfile, Event, Order, Ticket, TicketLine, from_iso
from deskterm.sla import rules
from deskterm.tui import palette
from deskterm.tui.widgets.queue_view import MOOD_STYLES, age, one_line, queue_subject
from deskterm.tui.widgets.sla import STYLES, live_state, sla_text


def section(title: str, lines: list[Text]) -> Text:
    return Text("\n").join([Text(title, style="bold underline"), *lines, Text("")])


def fit(text: str, width: int) -> str:
    """`text` in at most `width` cells (0: no limit), cut with an ellipsis rather than wrapped
    mid-word; an address keeps its domain (ann…@example.com)."""
    if width <= 0 or cell_len(text) <= width:
        return text
    local, at, domain = text.rpartition("@")
    if at and local and cell_len(domain) + 3 <= width:
        return set_cell_size(local, width - cell_len(domain) - 2) + "…@" + domain
    return set_cell_size(text, max(width - 1, 0)) + "…"


def customer_lines(ticket: Ticket, width: int = 0) -> list[Text]:
    """The customer's name and every address and handle, each on one line of `width` cells."""
    lines = [Text(fit(one_line(ticket.customer_name) or "(no name)", width), style="bold")]
    for identity in ticket.identities:
        label = f"{identity.kind}: "
        value = fit(one_line(identity.value), width - len(label) if width else 0)
        lines.append(Text.assemble((label, "dim"), value))
    return lines


CLOCK_NAMES = {"first_reply": "first reply", "next_reply": "next reply", "resolution": "resolution"}


def sla_lines(
    ticket: Ticket, clocks: list[rules.Clock], now: datetime, zone: tzinfo, business: bool = False
) -> list[Text]:
    """The nearest deadline, then every clock: its target, state, due time and what moved it.

    Targets read as `deskterm sla explain` and the README say them: hours ("24h", never "1d"
    for three working days), and once which hours they count ("hours: business" or "24/7")."""
    state = live_state(ticket.sla_state, ticket.next_deadline, now) or "no clock"
    lines = [Text.assemble(("now: ", "dim"), state)]
    if ticket.next_deadline:
        lines.append(
            Text.assemble(
                ("nearest: ", "dim"),
                sla_text(ticket.sla_state, ticket.next_deadline, now),
            )
        )
    if clocks:
        lines.append(Text.assemble(("hours: ", "dim"), "business" if business else "24/7"))
    if ticket.snoozed_until:
        until = from_iso(ticket.snoozed_until).astimezone(zone).strftime("%a %d %b %H:%M")
        lines.append(Text.assemble(("snoozed until: ", "dim"), until))
    for clock in clocks:
        target = rules.format_duration(clock.target, days_unit=False)
        line = Text.assemble(
            (f"{CLOCK_NAMES.get(clock.kind, clock.kind)} ", "bold"),
            (f"({target}) ", "dim"),
            (clock.state, STYLES.get(clock.state, "")),
        )
        if clock.due is not None:
            line.append(" · " + clock.due.astimezone(zone).strftime("%a %d %b %H:%M"), style="dim")
        lines.append(line)
        for step in clock.steps[-3:]:
            when = step.at.astimezone(zone).strftime("%d %b %H:%M")
            lines.append(Text(f"  {when} {step.what}: {step.why}", style="dim"))
    return lines


def triage_lines(
    intent: str | None, lang: str | None, mood: str | None, suggested: list
) -> list[Text]:
    """What offline triage read (intent, language, mood) and the macros it suggests, with why."""
    if not intent:
        return [Text("not read yet (deskterm triage backfill)", style="dim")]
    mood = mood or "unknown"
    lines = [
        Text.assemble(
            (intent, "bold"),
            (" · ", "dim"),
            lang or "und",
            (" · ", "dim"),
            (mood, MOOD_STYLES.get(mood, "")),
        )
    ]
    for suggestion in suggested:
        lines.append(
            Text.assemble(
                ("macro ", "dim"), (suggestion.name, "cyan"), (f"  {suggestion.reason}", "dim")
            )
        )
    return lines


ORDER_STYLES = {"bold": "bold", "dim": "dim", "warn": "red", "link": "blue", "": ""}


def shown_order(orders: list[Order], linked: int | None) -> Order | None:
    """The order the ticket is about: the linked one, else the customer's latest."""
    return next((o for o in orders if o.id == linked), orders[0] if orders else None)


def order_section(
    orders: list[Order], linked: int | None, profile: BuyerProfile | None, zone
) -> Text:
    """The ticket's order in full (deskterm.order_text), then the customer's other orders."""
    order = shown_order(orders, linked)
    if order is None:
        return section("Order", [Text("no orders stored", style="dim")])
    lines = [
        Text(one_line(line.text), style=ORDER_STYLES[line.style])
        for line in order_text.order_lines(order, profile, zone)
    ]
    if order.id == linked:
        lines[0].stylize("yellow", 0, len(order.number))
    others = [
        Text("  " + one_line(order_text.headline(o)), style="dim") for o in orders if o is not order
    ]
    parts = [section("Order", lines)]
    if others:
        parts.append(section("Other orders", others[:8]))
    return Text("\n").join(parts)


def earlier_lines(tickets: list[TicketLine], current: int, now: datetime) -> list[Text]:
    others = [t for t in tickets if t.id != current]
    if not others:
        return [Text("first ticket from this customer", style="dim")]
    lines = [
        Text.assemble(
            (f"#{t.id} ", "bold"),
            one_line(t.subject)[:40],
            (f"  {t.status} · {t.channel} · {age(t.created_at, now)}", "dim"),
        )
        for t in others[:10]
    ]
    return [*lines, Text("enter opens one", style="dim")]


def earlier_choice(ticket: TicketLine, now: datetime) -> str:
    """One of the customer's tickets as a line of the pick-list enter opens."""
    when = age(ticket.created_at, now)
    subject = queue_subject(ticket.subject)[:32]
    return f"#{ticket.id} {subject}  {ticket.status} · {when}"


def describe_event(event: Event) -> str:
    text = _describe(event)
    over = event.overrode
    if over:
        # Two agents changed one field unseen by each other: the server's later one stands.
        value = over["value"]
        held = ("tag" if value else "untag") if isinstance(value, bool) else (value or "—")
        return f"{text} · won over {over['actor'].partition(':')[2]}'s {held}"
    return text


def _describe(event: Event) -> str:
    data, kind = event.data, event.kind
    if "before" in data:
        return f"{kind} {data['before'] or '—'} → {data['after'] or '—'}" + (
            f": {data['reason']}" if data.get("reason") else ""
        )
    if kind in ("tag", "untag"):
        return f"{kind} {data['tag']}"
    if kind.startswith("connector_"):
        # A channel action's steps: what it was, and the channel's words on how it went.
        text = f"{data.get('action', '')} {kind.removeprefix('connector_')}"
        return text + (f": {data['text']}" if data.get("text") else "")
    if kind in ("sop_tick", "sop_untick"):
        mark = "ticked" if kind == "sop_tick" else "unticked"
        return f"{mark} {data['sop']} step {data['step']}: {data['text']}"
    if kind == "sla_breach":
        clock = data.get("clock", "")
        return f"SLA breach: {CLOCK_NAMES.get(clock, clock)}"
    if kind == "renumbered":  # team mode: the server gave this ticket another number
        return f"renumbered: #{data['was']} is the team's #{data['now']}"
    if kind == "rating":
        text = f"rated {data['survey'].upper()} {data['score']}"
        return text + (f": {data['comment']}" if data.get("comment") else "")
    return kind.replace("_", " ")


# Records of time spent on the ticket (metrics): every visit writes one, and they would push the
# ticket's changes out of the timeline's last 15 lines.
UNLISTED = frozenset({"handled"})


def timeline_lines(events: list[Event], zone: tzinfo) -> list[Text]:
    lines = []
    for event in [e for e in events if e.kind not in UNLISTED][-15:]:
        when = from_iso(event.at).astimezone(zone).strftime("%d %b %H:%M")
        line = Text.assemble(
            (when + " ", "dim"),
            (one_line(event.actor.partition(":")[2]) + " ", "cyan"),
            sanitize(describe_event(event)),
        )
        if event.undone_by:
            line.stylize("strike dim")
        lines.append(line)
    return lines


class Sidebar(VerticalScroll):
    shown: tuple[dict, datetime, tzinfo] | None = None

    def on_resize(self) -> None:
        if self.shown:
            self.show(*self.shown)

    def show(self, context: dict, now: datetime, zone: tzinfo) -> None:
        self.shown = context, now, zone
        ticket = context["ticket"]
        # Room is kept for the scroll bar, which comes and goes with the content.
        width = max(self.content_region.width - self.styles.scrollbar_size_vertical, 0)
        text = Text("\n").join(
            [
                section("Customer", customer_lines(ticket, width)),
                section(
                    "Triage",
                    triage_lines(
                        ticket.intent, ticket.lang, ticket.mood, context.get("suggested", [])
                    ),
                ),
                section(
                    "SLA",
                    sla_lines(ticket, context["clocks"], now, zone, context.get("business", False)),
                ),
                order_section(context["orders"], ticket.order_id, context.get("profile"), zone),
                section("Earlier tickets", earlier_lines(context["tickets"], ticket.id, now)),
                section("Timeline", timeline_lines(context["events"], zone)),
            ]
        )
        text = palette.recolour(text, self.app.current_theme.dark)
        body = self.query("#sidebar-body")
        if body:
            body.first(Static).update(text)
        else:
            self.mount(Static(text, id="sidebar-body"))
