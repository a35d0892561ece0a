"""Step values resolved and checked the way the actions will check them, snooze moments, and
the context a Python macro records its steps on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from deskterm import actions
from deskterm.domain import Priority, Status, from_iso, to_iso
from deskterm.durations import WhenError, parse_when
from deskterm.macros.model import MacroError, Step
from deskterm.macros.templates import Record, render


def snooze_until(value: Any, now: datetime, zone: tzinfo) -> datetime:
    """When a snooze step wakes the ticket: a duration or a moment in deskterm.durations' grammar
    ("2d", "1h30m", "tomorrow 10:00", "2026-12-01 09:00"), read in the agent's `zone`."""
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
    elif isinstance(value, str):
        try:
            moment = parse_when(value, now, zone)
        except WhenError as exc:
            raise MacroError(f"snooze: {exc}") from None
    else:
        raise MacroError(f"snooze needs a duration or a moment, not {type(value).__name__}")
    return from_iso(to_iso(moment))


class MacroContext:
    """What a Python macro gets: the ticket's placeholders, and the actions, recorded as steps."""

    def __init__(self, values: Mapping[str, Any], now: datetime, zone: tzinfo) -> None:
        self.values = values
        self.now = now
        self.zone = zone
        self.steps: list[Step] = []
        self.ticket: Record = values["ticket"]
        self.customer: Record = values["customer"]
        self.order: Record | None = values.get("order")
        self.orders: list[Record] = values["orders"]
        self.agent: Record = values["agent"]
        self.shop: Record = values["shop"]

    def render(self, template: str) -> str:
        """Render a template with this ticket's placeholders, exactly as a TOML macro would."""
        return render(template, self.values)

    def reply(self, text: str) -> None:
        self.steps.append(Step("reply", non_empty(text, "reply")))

    def note(self, text: str) -> None:
        self.steps.append(Step("note", non_empty(text, "note")))

    def set_status(self, status: Status | str) -> None:
        self.steps.append(resolve_step("status", str(status), {}, self.now, self.zone))

    def set_priority(self, priority: Priority | str) -> None:
        self.steps.append(resolve_step("priority", str(priority), {}, self.now, self.zone))

    def tag(self, *names: str) -> None:
        self.steps.extend(resolve_step("tag", n, {}, self.now, self.zone) for n in names)

    def untag(self, *names: str) -> None:
        self.steps.extend(resolve_step("untag", n, {}, self.now, self.zone) for n in names)

    def assign(self, name: str | None) -> None:
        self.steps.append(resolve_step("assign", name or "", {}, self.now, self.zone))

    def escalate(self, reason: str) -> None:
        self.steps.append(resolve_step("escalate", reason, {}, self.now, self.zone))

    def snooze(self, until: timedelta | datetime | str) -> None:
        """Snooze for a duration (timedelta or "2d") or until a moment with a time zone."""
        self.steps.append(resolve_step("snooze", until, {}, self.now, self.zone))

    def connector(self, name: str, **params: Any) -> None:
        """A connector action such as "shopify.refund"; applying it needs a person's confirmation."""
        self.steps.append(resolve_step("connector", name, params, self.now, self.zone))


def non_empty(text: str, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise MacroError(f"the {what} is empty")
    return text.strip()


def resolve_step(
    kind: str, value: Any, params: Mapping[str, Any], now: datetime, zone: tzinfo
) -> Step:
    """A step with its final value, checked the way the action will check it."""
    if kind == "status" and value not in {s.value for s in Status}:
        raise MacroError(f"unknown status {value!r}")
    if kind == "priority" and value not in {p.value for p in Priority}:
        raise MacroError(f"unknown priority {value!r}")
    if kind in ("tag", "untag"):
        value = value.strip().lower()
        if not actions.TAG_RE.match(value):
            raise MacroError(f"tag {value!r} must be letters, digits and - . / : _")
    if kind == "assign":
        value = value.strip() or None
    if kind == "escalate":
        value = non_empty(value, "escalation reason")
    if kind == "snooze":
        value = snooze_until(value, now, zone)
    if kind == "connector" and not re.match(r"^[\w-]+\.[\w-]+$", str(value)):
        raise MacroError(f"connector action {value!r} must look like 'shopify.refund'")
    return Step(kind, value, dict(params))
