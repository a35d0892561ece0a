"""`deskterm show ID`: a ticket as a person reads it, or as a script takes it (--json).

The thread with each reply's delivery (waiting in the outbox, sent, or the channel's refusal), the
orders of its customer (the ticket's own first), and its SLA clocks as of now.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from deskterm.cli.common import State, db_option, echo, fail, json_option, print_json, state
from deskterm.cli.output import terminal_width

if TYPE_CHECKING:
    from deskterm.domain import Message, Order, Ticket
    from deskterm.sla.clocks import Evaluation
    from deskterm.store import Store

# How a reply stands with the channel, by outbox status; a reply the channel has is "sent".
DELIVERY_WORDS = {
    "queued": "waiting in the outbox",
    "sending": "sending",
    "sent": "sent",
    "failed": "NOT SENT",
    "team": "waiting for the team server",
    "cancelled": "cancelled",
}


@click.command()
@click.argument("ticket_id", metavar="ID", type=int)
@json_option
@db_option
def show(ticket_id: int, as_json: bool, db: Path | None) -> None:
    """Show a ticket: its messages (and each reply's delivery), its orders, SLA clocks and events."""
    from deskterm.store import orders as store_orders
    from deskterm.store import queries

    shared = state(db)
    store = shared.store(create=False)
    found = queries.ticket(store, ticket_id)
    if found is None:
        fail(f"there is no ticket #{ticket_id}")
    _remember_shown(store, ticket_id)
    thread = queries.messages(store, ticket_id)
    orders = sorted(
        store_orders.orders_of_customer_and_ticket(store, found.customer_id, found.order_id),
        key=lambda o: o.id != found.order_id,
    )
    evaluation = _evaluation(shared, ticket_id)
    if as_json:
        print_json(
            {
                "ticket": asdict(found),
                "messages": [asdict(m) for m in thread],
                "events": [asdict(e) for e in queries.events(store, ticket_id)],
                # The customer's orders, the ticket's own first, as `order show --json` has them.
                "orders": [
                    {**store_orders.as_json(o), "linked": o.id == found.order_id} for o in orders
                ],
                "sla": _sla_json(evaluation),
            }
        )
        return
    from deskterm import mailbox

    mailbox.mark_read(store, ticket_id)  # a person reads it (a script's --json does not count)
    echo(f"#{found.id} {found.subject}", style="bold")
    echo(
        f"{found.status} · {found.priority} · {found.channel} · "
        f"{found.customer_name} · assignee {found.assignee or '-'} · "
        f"tags {' '.join(found.tags) or '-'}"
    )
    for line in _order_lines(orders, found) + _sla_lines(evaluation):
        echo(line)
    width = terminal_width()
    for message in thread:
        title = f"── {_author(message)} · {message.sent_at}{_delivery(message)} "
        echo(title + "─" * max(width - len(title), 0))
        echo(message.text)


def _remember_shown(store: Store, ticket_id: int) -> None:
    """In a team replica, how far into the team's log this thread goes, read before the thread:
    a reply from the command line is judged against it (Traffic Cop; cli.common.seen_in_team)."""
    from deskterm.store import team as team_rows
    from deskterm.store import tickets

    if team_rows.meta_get(store.conn, team_rows.TEAM_URL) is not None:
        with store.tx() as conn:
            team_rows.remember_shown(conn, ticket_id, tickets.last_seq(conn, ticket_id))


def _evaluation(shared: State, ticket_id: int) -> Evaluation | None:
    from deskterm.domain import utcnow
    from deskterm.sla import clocks
    from deskterm.sla.settings import SLA

    conn = shared.store().conn
    return clocks.evaluate_ticket(
        conn, ticket_id, utcnow(), clocks.policies_for(conn, shared.config.get(SLA))
    )


def _sla_json(evaluation: Evaluation | None) -> dict[str, Any] | None:
    from deskterm.cli.sla import clock_json
    from deskterm.domain import to_iso

    if evaluation is None or evaluation.policy is None:
        return None
    summary = evaluation.summary
    return {
        "policy": evaluation.policy.name,
        "state": summary.state,
        "next_deadline": to_iso(summary.deadline) if summary.deadline else None,
        "clocks": [clock_json(c) for c in evaluation.clocks],
    }


def _sla_lines(evaluation: Evaluation | None) -> list[str]:
    """`SLA (email): first reply met (2h) · resolution running, 5h 10m left (24h)`."""
    from deskterm.cli.sla import CLOCK_NAMES
    from deskterm.domain import utcnow
    from deskterm.sla import rules

    if evaluation is None or evaluation.policy is None:
        return ["SLA: no policy matches this ticket"]
    now, parts = utcnow(), []
    for clock in evaluation.clocks:
        target = rules.format_duration(clock.target, days_unit=False)
        left = f", {rules.countdown(clock.due, now)}" if clock.due and clock.counting else ""
        parts.append(f"{CLOCK_NAMES[clock.kind]} {clock.state}{left} ({target})")
    return [f"SLA ({evaluation.policy.name}): " + (" · ".join(parts) or "no clock runs")]


def _order_lines(orders: list[Order], ticket: Ticket) -> list[str]:
    """The ticket's order (else the customer's newest) and the customer's others, a line each."""
    from deskterm import order_text

    if not orders:
        return ["order: none stored for this customer"]
    lines = []
    for n, order in enumerate(orders[:5]):
        which = "order" if order.id == ticket.order_id or not n else "other order"
        lines.append(f"{which}: {order_text.headline(order)}")
    if len(orders) > 5:
        lines.append(f"... and {len(orders) - 5} more orders of {ticket.customer_name}")
    return lines


def _author(message: Message) -> str:
    if message.direction == "in":
        return message.author_name or message.author_addr
    if message.direction == "note":
        return "note"
    return f"reply by {message.author_name}"


def _delivery(message: Message) -> str:
    """` · waiting in the outbox`, ` · NOT SENT: 550 no such user`; nothing for a customer's."""
    if message.delivery is None:
        return ""
    words = DELIVERY_WORDS.get(message.delivery, message.delivery)
    error = f": {message.delivery_error}" if message.delivery_error else ""
    return f" · {words}{error}"
