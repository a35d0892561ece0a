"""What a rule does when it fires: each action through deskterm.actions with the rule as actor.

Connector actions that move money are only proposed (deskterm.connector_calls.propose) for a
person to confirm; a rule never runs them. Auto-replies keep RFC 3834's loop guards.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from deskterm import actions, connector_calls
from deskterm.automation.model import Action, Rule
from deskterm.durations import parse_duration
from deskterm.sla.rules import Calendar
from deskterm.store import Store
from deskterm.store import automation as reads
from deskterm.team import roster

# Senders nobody reads: answering them only feeds a loop or a bounce (RFC 3834 section 2).
NOREPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]daemon|postmaster|bounces?|notifications?)"
    r"([-+_.].*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one action of a fired rule did: an event, or why it did nothing (`skipped`); `said`
    is what an action that writes no event did (proposed a call, notified)."""

    action: Action
    event_id: int | None = None
    skipped: str = ""
    said: str = ""


class Skip(Exception):
    """The action does nothing on this ticket; the message says why (a cap, a loop guard)."""


@dataclass(slots=True)
class Context:
    """What actions need besides the ticket: the moment, the rule's calendar, the macros, and
    how to notify and render."""

    now: datetime
    # The rule's calendar, looked up when an action needs it: building the SLA calendars costs
    # more than a tag, and most rules only tag.
    calendar: Callable[[], Calendar]
    render: Callable[[str, int, dict[str, Any]], str]
    apply_macro: Callable[[str, int, str, datetime], list[int]]
    notify: Callable[[str, str], None]
    # The [team] settings (groups, cap), read when an assignment needs them.
    team: Callable[[], roster.TeamSettings] = roster.TeamSettings


def reply_guard(facts: dict[str, Any]) -> str:
    """Why an automatic answer must not go to this ticket's last sender, or ""."""
    if facts["automatic"]:
        return "the last message was sent by a machine (automatic, bulk, list or bounce)"
    sender = facts["sender"] or ""
    if NOREPLY.match(sender.partition("@")[0]):
        return f"{sender} is a no-reply address"
    return ""


def _auto_reply(
    store: Store, rule: Rule, action: Action, tid: int, facts: dict, ctx: Context
) -> int:
    guard = reply_guard(facts)
    if guard:
        raise Skip(guard)
    per_ticket = action.params.get("per_ticket", 1)
    per_sender = action.params.get("per_sender_per_day", 3)
    on_ticket, to_sender = reads.auto_replies(
        store.conn, tid, facts["sender"] or "", ctx.now - timedelta(days=1)
    )
    if on_ticket >= per_ticket:
        raise Skip(f"already {on_ticket} automatic repl{'y' if on_ticket == 1 else 'ies'} here")
    if to_sender >= per_sender:
        many = "y" if to_sender == 1 else "ies"
        raise Skip(f"already {to_sender} automatic repl{many} to {facts['sender']} today")
    calendar = ctx.calendar()
    opens = calendar.add(ctx.now, timedelta(minutes=1)) - timedelta(minutes=1)
    body = ctx.render(action.value, tid, {"opens_at": opens.astimezone(calendar.zone)})
    return actions.reply(store, tid, body, actor=rule.actor, at=ctx.now, automatic=True).event_id


def _assign_from(store: Store, rule: Rule, action: Action, ctx: Context) -> str:
    """Round-robin or least-loaded over the action's agents or [team] group, passing over
    whoever is offline (team mode) or holds the cap of open tickets."""
    settings = ctx.team()
    agents: list[str] | tuple[str, ...] = action.value
    if isinstance(action.value, str):
        if action.value not in settings.groups:
            raise Skip(f"there is no group {action.value!r} in [team] groups")
        agents = settings.groups[action.value]
    cap = action.params.get("cap", settings.cap)
    how = "least_loaded" if action.kind == "assign_least_loaded" else "round_robin"
    last = reads.last_assigned(store.conn, rule.name) if how == "round_robin" else None
    online = roster.online(store, ctx.now)
    load = reads.open_load(store.conn, agents)
    chosen = roster.choose(agents, how, load=load, last=last, online=online, cap=cap)
    if chosen is None:
        who = f"group {action.value}" if isinstance(action.value, str) else ", ".join(agents)
        limits = ["online"] if online is not None else []
        limits += [f"under the cap of {cap} open tickets"] if cap else []
        raise Skip(f"nobody of {who} is {' and '.join(limits)}")
    return chosen


def _notify(rule: Rule, action: Action, tid: int, ctx: Context) -> None:
    text = f"rule {rule.name} fired on ticket #{tid}"
    if action.value == "command":
        ctx.notify("command", action.params["command"].replace("{ticket}", str(tid)))
    else:
        ctx.notify(action.value, text)


def act(store: Store, rule: Rule, action: Action, tid: int, facts: dict, ctx: Context) -> Outcome:
    """Take one action on ticket `tid`; a refusal (already tagged, a cap) is an outcome too."""
    actor, at = rule.actor, ctx.now
    kind, value = action.kind, action.value
    try:
        if kind == "auto_reply":
            return Outcome(action, _auto_reply(store, rule, action, tid, facts, ctx))
        if kind == "propose":
            call = connector_calls.propose(
                store, tid, value, action.params.get("params", {}), actor=actor, at=at
            )
            return Outcome(action, said=f"proposed as call {call.id}, waiting for a person")
        if kind == "macro":
            events = ctx.apply_macro(value, tid, actor, at)
            return Outcome(action, events[0] if events else None)
        if kind == "notify":
            _notify(rule, action, tid, ctx)
            return Outcome(action, said="notified")
        return Outcome(action, _field_action(store, rule, action, tid, ctx).event_id)
    except Skip as exc:
        return Outcome(action, skipped=str(exc))
    except (actions.ActionError, connector_calls.CallError) as exc:
        return Outcome(action, skipped=str(exc))


def _field_action(store: Store, rule: Rule, action: Action, tid: int, ctx: Context) -> actions.Done:
    actor, at, value = rule.actor, ctx.now, action.value
    match action.kind:
        case "tag":
            return actions.tag(store, tid, value, actor=actor, at=at)
        case "untag":
            return actions.untag(store, tid, value, actor=actor, at=at)
        case "status":
            return actions.set_status(store, tid, value, actor=actor, at=at)
        case "priority":
            return actions.set_priority(store, tid, value, actor=actor, at=at)
        case "assign":
            return actions.assign(store, tid, value, actor=actor, at=at)
        case "assign_round_robin" | "assign_least_loaded":
            chosen = _assign_from(store, rule, action, ctx)
            return actions.assign(store, tid, chosen, actor=actor, at=at)
        case "escalate":
            return actions.escalate(store, tid, value, actor=actor, at=at)
        case "snooze":
            return actions.snooze(store, tid, at + parse_duration(value), actor=actor, at=at)
        case _:
            return actions.note(store, tid, ctx.render(value, tid, {}), actor=actor, at=at)


def desktop_notify(kind: str, text: str) -> None:
    """Tell the person at the machine: a bell, a desktop notification, or the user's command."""
    if kind == "bell":
        sys.stderr.write("\a")
        sys.stderr.flush()
        return
    command: str | list[str] = ["notify-send", "deskterm", text] if kind == "desktop" else text
    try:
        subprocess.run(
            command, shell=kind == "command", check=False, capture_output=True, timeout=10
        )
    # A missing notifier or a hanging command must not stop the rules that follow.
    except (OSError, subprocess.TimeoutExpired):
        return
