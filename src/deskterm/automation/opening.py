"""Proactive order messages for orders nobody has written about yet: a time rule with `open_on`
also looks at orders that have no ticket, and opens one for each order whose fresh ticket the rule
would match, so the message it sends has a conversation to live in.

The ticket is opened on the rule's `open_on` account (an account's name, or a channel such as
"email" for the first enabled account of it) by the rule itself (actions.open_for_order), linked
to the order and its buyer; the same time pass then runs the rule on it as on any ticket. Only
orders placed in the last ORDER_WINDOW are looked at, as the facts count business days that far.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deskterm import actions
from deskterm.automation.facts import MAX_BUSINESS_DAYS, facts_of
from deskterm.automation.model import Rule
from deskterm.domain import to_iso
from deskterm.store import automation as reads

if TYPE_CHECKING:
    from deskterm.automation.engine import Engine


def _fresh_ticket(order: dict[str, Any], account: str, channel: str, now: datetime) -> tuple:
    """The facts row of the ticket the order would get, as reads.fact_rows gives one."""
    row: dict[str, Any] = dict.fromkeys(reads.FACT_COLUMNS)
    row.update(
        id=0,
        channel=channel,
        account=account,
        subject=subject_of(order),
        status="new",
        priority="normal",
        sla_state="",
        created_at=to_iso(now),
        automatic=0,
        **{f"order_{k}": order[k] for k in reads.ORDER_FACTS},
        delivered_at=order["delivered_at"],
        customer_orders=order["customer_orders"],
        customer_spend=order["customer_spend"],
    )
    return tuple(row[c] for c in reads.FACT_COLUMNS)


def subject_of(order: dict[str, Any]) -> str:
    return f"Your order {order['number']}"


def open_for_orders(engine: Engine, conn: sqlite3.Connection, rule: Rule, now: datetime) -> None:
    """Open a ticket for each order without one that the rule would match."""
    target = reads.opening_account(conn, rule.open_on)
    if target is None:
        return
    account, channel = target
    for order in reads.orders_without_ticket(conn, now, MAX_BUSINESS_DAYS):
        facts = engine.facts(rule, facts_of(_fresh_ticket(order, account, channel, now), now), now)
        if not engine.matches(rule, facts):
            continue
        actions.open_for_order(
            engine.store, order["id"], account, subject_of(order), actor=rule.actor, at=now
        )
