"""What a rule is: when it runs, the conditions it checks, the actions it takes, its order."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from deskterm.domain import Problem

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")

# The moments a rule can run at; `schedule` is the time pass, the others follow a write.
EVENTS = (
    "ticket_created",
    "customer_message",
    "reply_sent",
    "ticket_updated",
    "order_updated",
    "schedule",
)

# The fields about the ticket's order and its buyer: a rule that opens tickets for orders
# (`open_on`) must test one of them.
ORDER_FIELDS = (
    "order_total",
    "order_currency",
    "order_status",
    "order_financial_status",
    "order_fulfillment_status",
    "business_days_since_order",
    "days_since_delivered",
    "customer_orders",
    "customer_spend",
)
# Every field a condition can test, and what kind of value it holds.
FIELDS: dict[str, str] = {
    "channel": "text",
    "account": "text",
    "sender": "text",
    "domain": "text",
    "subject": "text",
    "body": "text",
    "tags": "tags",
    "status": "text",
    "priority": "text",
    "assignee": "text",
    "business_hours": "bool",
    "hours_since_created": "number",
    "hours_since_customer_message": "number",
    "hours_since_reply": "number",
    "hours_since_status_change": "number",
    "sla_state": "text",
    "order_total": "number",
    "order_currency": "text",
    "order_status": "text",
    "order_financial_status": "text",
    "order_fulfillment_status": "text",
    "business_days_since_order": "number",
    "days_since_delivered": "number",
    "customer_orders": "number",
    "customer_spend": "number",
    "automatic": "bool",
    "customer_wrote": "bool",
    # Offline triage (deskterm.triage): the ticket's language, what it is about, the customer's
    # latest mood, and the intent of their latest message alone ("thanks" after a refund).
    "language": "text",
    "intent": "text",
    "sentiment": "text",
    "message_intent": "text",
}

# Operators by the kind of field they apply to.
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("is", "is_not", "in", "not_in", "contains", "matches"),
    "tags": ("has", "lacks"),
    "bool": ("is",),
    "number": ("is", "gt", "gte", "lt", "lte"),
}

ACTION_KINDS = (
    "tag",
    "untag",
    "status",
    "priority",
    "assign",
    "assign_round_robin",
    "assign_least_loaded",
    "escalate",
    "snooze",
    "note",
    "macro",
    "auto_reply",
    "notify",
    "propose",
)

# A rule that set off a rule that set off a rule ... stops here.
MAX_DEPTH = 10


class RuleError(Exception):
    """A rule cannot be loaded or run; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One test of a ticket's field: `field op value`, as written in the rule."""

    field: str
    op: str
    value: Any

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.value!r}"


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a rule does when it fires, as written; `params` for propose and auto_reply."""

    kind: str
    value: Any
    params: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        extra = f" {self.params}" if self.params else ""
        return f"{self.kind} {self.value!r}{extra}"


@dataclass(frozen=True, slots=True)
class Rule:
    """A loaded rule; lower `order` runs first, then by name."""

    name: str
    when: tuple[str, ...]
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()
    then: tuple[Action, ...] = ()
    order: int = 100
    description: str = ""
    calendar: str = "business"
    origin: str = "user"
    source: str = ""
    # A time rule's account (or channel) for opening tickets for orders that have none.
    open_on: str = ""

    @property
    def actor(self) -> str:
        """The actor on every event the rule causes."""
        return f"rule:{self.name}"

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.all + self.any

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "when": list(self.when),
            "order": self.order,
            "all": [c.describe() for c in self.all],
            "any": [c.describe() for c in self.any],
            "then": [a.describe() for a in self.then],
            "open_on": self.open_on,
            "origin": self.origin,
            "source": self.source,
        }


@dataclass(slots=True)
class RuleSet:
    """Every usable rule by name and what went wrong loading the others."""

    rules: dict[str, Rule] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self.rules.values(), key=lambda r: (r.order, r.name)))

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.error]

    def on(self, event: str) -> list[Rule]:
        """The rules that run at `event`, in their order."""
        return [r for r in self if event in r.when]

    def get(self, name: str) -> Rule:
        try:
            return self.rules[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.rules), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise RuleError(f"there is no rule {name!r}{hint}") from None
