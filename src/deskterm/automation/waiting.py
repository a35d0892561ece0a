"""Why a time rule has not fired on a ticket yet, in words a person can act on: it matches and
waits for the next pass (and when the last one ran), or an age it tests has not grown enough yet
(and when it will have, if nothing else changes). The fix for the rule engines whose users cannot
tell why a time rule stayed silent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from deskterm.automation.conditions import check
from deskterm.automation.model import Rule
from deskterm.sla.rules import format_duration

# Facts that only grow while nothing happens to the ticket, with the hours one unit takes at least.
GROWING = {
    "hours_since_created": 1.0,
    "hours_since_customer_message": 1.0,
    "hours_since_reply": 1.0,
    "hours_since_status_change": 1.0,
    "days_since_delivered": 24.0,
    # A business day takes a calendar day at least; weekends and holidays make it longer.
    "business_days_since_order": 24.0,
}
PASSES = "time passes run once a minute in `deskterm sync --watch` and in the TUI"


def matched_note(last_pass: datetime | None) -> str:
    """A time rule that matches now and has not fired: it waits for the next pass."""
    if last_pass is None:
        return f"matches now: no time pass has run on this database yet ({PASSES})"
    return (
        f"matches now: fires at the next time pass (the last ran at"
        f" {last_pass.strftime('%Y-%m-%d %H:%M:%S')}Z; {PASSES})"
    )


def waits_for(rule: Rule, facts: Mapping[str, Any]) -> str | None:
    """When the rule will match if nothing else changes, or None when more than time is missing
    (a status, a tag, a `none` of its `any` conditions)."""
    longest: tuple[timedelta, str] | None = None
    for condition in rule.all:
        if check(condition, facts).held:
            continue
        wait = _wait(condition.field, condition.op, condition.value, facts.get(condition.field))
        if wait is None:
            return None
        if longest is None or wait > longest[0]:
            longest = (wait, f"{condition.field} reaches {condition.value}")
    if rule.any and not any(check(c, facts).held for c in rule.any):
        return None
    if longest is None:
        return None
    return f"would match in about {format_duration(longest[0])} (when {longest[1]}), if nothing else changes"


def _wait(field: str, op: str, expected: Any, actual: Any) -> timedelta | None:
    if field not in GROWING or op not in ("gte", "gt") or actual is None:
        return None
    missing = float(expected) - float(actual)
    if op == "gt":
        missing += 1 / 60 if GROWING[field] == 1.0 else 1
    return timedelta(hours=max(missing, 0) * GROWING[field])
