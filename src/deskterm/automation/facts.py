"""A ticket's facts as conditions read them: a store row turned into names and numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from deskterm.domain import from_iso
from deskterm.sla.rules import Calendar
from deskterm.store.automation import FACT_COLUMNS

HOUR = 3600.0
# Business days are counted this far back at most; an older order is simply "very late".
MAX_BUSINESS_DAYS = 90


def _hours(moment: str | None, now: datetime) -> float | None:
    return (now - from_iso(moment)).total_seconds() / HOUR if moment else None


def business_days(calendar: Calendar, start: datetime, now: datetime) -> int:
    """Whole business days of `calendar` after `start`'s day up to and including `now`'s day."""
    zone = calendar.zone
    first, last = start.astimezone(zone).date(), now.astimezone(zone).date()
    count, day = 0, first + timedelta(days=1)
    while day <= last and count < MAX_BUSINESS_DAYS:
        if calendar.spans(day) and not calendar.is_holiday(day):
            count += 1
        day += timedelta(days=1)
    return count


def facts_of(row: tuple, now: datetime) -> dict[str, Any]:
    """The facts of one FACT_COLUMNS row at `now`; `business_hours` and business days are added
    per rule, since they depend on its calendar."""
    raw = dict(zip(FACT_COLUMNS, row, strict=True))
    sender = (raw["sender"] or "").lower()
    delivered = raw["delivered_at"]
    return {
        "id": raw["id"],
        "channel": raw["channel"],
        "account": raw["account"],
        "sender": sender or None,
        "domain": sender.rpartition("@")[2] if "@" in sender else None,
        "subject": raw["subject"],
        "body": raw["body"],
        "tags": frozenset(raw["tags"].split()) if raw["tags"] else frozenset(),
        "status": raw["status"],
        "priority": raw["priority"],
        "assignee": raw["assignee"] or "",
        "sla_state": raw["sla_state"],
        "automatic": bool(raw["automatic"]),
        "customer_wrote": raw["customer_message_at"] is not None,
        "hours_since_created": _hours(raw["created_at"], now),
        "hours_since_customer_message": _hours(raw["customer_message_at"], now),
        "hours_since_reply": _hours(raw["reply_at"], now),
        "hours_since_status_change": _hours(raw["status_changed_at"] or raw["created_at"], now),
        "order_total": float(raw["order_total"]) if raw["order_total"] is not None else None,
        "order_currency": raw["order_currency"],
        "order_status": raw["order_status"],
        "order_financial_status": raw["order_financial_status"],
        "order_fulfillment_status": raw["order_fulfillment_status"],
        "order_placed_at": raw["order_placed_at"],
        "days_since_delivered": (now - from_iso(delivered)).days if delivered else None,
        "customer_orders": raw["customer_orders"],
        "customer_spend": raw["customer_spend"],
        "language": raw["lang"],
        "intent": raw["intent"],
        "sentiment": raw["mood"],
        "message_intent": raw["message_intent"],
    }


def with_calendar(
    facts: dict[str, Any], calendar: Calendar, now: datetime, fields: set[str]
) -> dict[str, Any]:
    """`facts` plus the calendar-dependent fields the rule uses."""
    extra: dict[str, Any] = {}
    if "business_hours" in fields:
        extra["business_hours"] = calendar.is_open(now)
    if "business_days_since_order" in fields:
        placed = facts["order_placed_at"]
        extra["business_days_since_order"] = (
            business_days(calendar, from_iso(placed), now) if placed else None
        )
    return {**facts, **extra} if extra else facts
