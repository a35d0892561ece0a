"""Planning, applying and undoing a macro on one ticket."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from deskterm import actions, connector_calls
from deskterm.actions import ActionError, Done
from deskterm.config import Config, ConfigError, load_config
from deskterm.domain import AppliedEvent, Status, local_zone, utcnow
from deskterm.macros.model import Macro, MacroError, Step, describe_exception
from deskterm.macros.placeholders import placeholders
from deskterm.macros.steps import MacroContext, non_empty, resolve_step
from deskterm.macros.templates import TemplateProblem, render
from deskterm.store import Store
from deskterm.store import macros as reads


def _render_field(item: Macro, label: str, template: str, values: Mapping[str, Any]) -> str:
    try:
        return render(template, values)
    except TemplateProblem as exc:
        raise MacroError(f"macro {item.name} ({label}): {exc}") from None


def _plan_toml(item: Macro, values: Mapping[str, Any], now: datetime, zone: tzinfo) -> list[Step]:
    steps = []
    for kind in ("reply", "note"):
        template = getattr(item, kind)
        if template is not None:
            text = _render_field(item, kind, template, values)
            steps.append(Step(kind, non_empty(text, f"rendered {kind}")))
    for index, spec in enumerate(item.steps):
        label = f"actions[{index}] {spec.kind}"
        raw = spec.value if isinstance(spec.value, list) else [spec.value]
        params = {
            k: _render_field(item, f"{label} params.{k}", v, values) if isinstance(v, str) else v
            for k, v in spec.params.items()
        }
        for value in raw:
            rendered = (
                _render_field(item, label, value, values) if isinstance(value, str) else value
            )
            try:
                steps.append(resolve_step(spec.kind, rendered, params, now, zone))
            except MacroError as exc:
                raise MacroError(f"macro {item.name} ({label}): {exc}") from None
    return steps


def _plan_python(item: Macro, values: Mapping[str, Any], now: datetime, zone: tzinfo) -> list[Step]:
    assert item.function is not None
    context = MacroContext(values, now, zone)
    try:
        item.function(context)
    except MacroError as exc:
        raise MacroError(f"macro {item.name}: {exc}") from None
    except TemplateProblem as exc:
        raise MacroError(f"macro {item.name}: {exc}") from None
    # Whatever the user's code raises is reported, never allowed to take the workstation down.
    except Exception as exc:
        raise MacroError(f"macro {item.name} failed: {describe_exception(exc)}") from None
    if not context.steps:
        raise MacroError(f"macro {item.name} did nothing for ticket #{values['ticket'].id}")
    return context.steps


def mark_noops(steps: list[Step], state: Mapping[str, Any]) -> list[Step]:
    """Steps that would change nothing on a ticket in `state` are kept but marked skipped.

    `state` holds status, priority, assignee and tags; it is followed through the steps, so a
    reply that opens a new ticket is seen by a later status step.
    """
    status, priority = state["status"], state["priority"]
    assignee, tags = state["assignee"], set(state["tags"])
    marked = []
    for step in steps:
        skip = ""
        if step.kind == "reply" and status == Status.NEW:
            status = Status.OPEN.value
        elif step.kind == "status":
            skip, status = (f"already {status}" if step.value == status else ""), step.value
        elif step.kind == "priority":
            skip, priority = (f"already {priority}" if step.value == priority else ""), step.value
        elif step.kind == "assign":
            skip = "" if step.value != assignee else f"already {assignee or 'unassigned'}"
            assignee = step.value
        elif step.kind == "tag":
            skip = f"already tagged {step.value}" if step.value in tags else ""
            tags.add(step.value)
        elif step.kind == "untag":
            skip = f"not tagged {step.value}" if step.value not in tags else ""
            tags.discard(step.value)
        marked.append(Step(step.kind, step.value, step.params, skip))
    return marked


@dataclass(frozen=True, slots=True)
class Preview:
    """What applying a macro to one ticket would do: the rendered text and every step."""

    macro: Macro
    ticket_id: int
    agent: str
    text: str
    steps: tuple[Step, ...]

    @property
    def needs_confirmation(self) -> bool:
        return any(s.needs_confirmation for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "macro": self.macro.name,
            "ticket": self.ticket_id,
            "agent": self.agent,
            "text": self.text,
            "after": self.macro.after,
            "needs_confirmation": self.needs_confirmation,
            "steps": [s.to_dict() for s in self.steps],
        }


def _config(config: Config | None) -> Config:
    if config is not None:
        return config
    try:
        return load_config()
    except ConfigError as exc:
        raise MacroError(str(exc)) from None


def _plan(
    item: Macro,
    store: Store,
    ticket_id: int,
    agent: str | None,
    config: Config,
    now: datetime,
    zone: tzinfo,
) -> tuple[str, list[Step]]:
    values = placeholders(store, ticket_id, agent=agent, config=config)
    ticket = values["ticket"]
    if item.channels and ticket.channel not in item.channels:
        raise MacroError(
            f"macro {item.name} is for {', '.join(item.channels)} tickets; "
            f"ticket #{ticket_id} is {ticket.channel}"
        )
    planner = _plan_python if item.function else _plan_toml
    steps = planner(item, values, now, zone)
    state = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.get("assignee"),
        "tags": ticket.tags,
    }
    return values["agent"].name, mark_noops(steps, state)


def preview(
    item: Macro,
    store: Store,
    ticket_id: int,
    agent: str | None = None,
    *,
    config: Config | None = None,
    now: datetime | None = None,
    zone: tzinfo | None = None,
) -> Preview:
    """Render `item` for one ticket without changing anything; MacroError names what is missing.

    Snooze moments ("tomorrow 10:00") are read in `zone`, the agent's (default: this machine's).
    """
    agent_name, steps = _plan(
        item, store, ticket_id, agent, _config(config), now or utcnow(), zone or local_zone()
    )
    text = next((s.value for s in steps if s.kind == "reply"), None)
    text = text or next((s.value for s in steps if s.kind == "note"), "")
    return Preview(item, ticket_id, agent_name, text, tuple(steps))


# --- apply ---------------------------------------------------------------------------------

# Steps that are one action on the ticket, taking the step's value as is.
TICKET_STEPS: dict[str, Callable[..., Done]] = {
    "note": actions.note,
    "status": actions.set_status,
    "priority": actions.set_priority,
    "tag": actions.tag,
    "untag": actions.untag,
    "assign": actions.assign,
    "snooze": actions.snooze,
}


def _execute(
    store: Store,
    ticket_id: int,
    step: Step,
    actor: str,
    at: datetime,
    levels: tuple[str, ...],
    seen: int | None,
) -> Done:
    if step.kind == "escalate":
        return actions.escalate(store, ticket_id, step.value, actor=actor, levels=levels, at=at)
    if step.kind == "reply":
        return actions.reply(store, ticket_id, step.value, actor=actor, at=at, seen=seen)
    return TICKET_STEPS[step.kind](store, ticket_id, step.value, actor=actor, at=at)


def _run_connector(
    store: Store, item: Macro, ticket_id: int, step: Step, agent: str, at: datetime
) -> list[Done]:
    """Run one confirmed connector step outside any transaction; MacroError unless it is done."""
    try:
        call = connector_calls.run(
            store,
            ticket_id,
            step.value,
            step.params,
            confirmed_by=f"agent:{agent}",
            actor=item.actor,
            at=at,
        )
    except connector_calls.CallError as exc:
        raise MacroError(f"macro {item.name}: {exc}; nothing was changed") from None
    if call.status != "done":
        raise MacroError(
            f"{step.value} {call.status}: {call.outcome}; "
            f"the other steps of macro {item.name} were not applied"
        )
    return [Done(event_id) for event_id in connector_calls.event_ids(store, call)]


def apply(
    item: Macro,
    store: Store,
    ticket_id: int,
    agent: str | None = None,
    *,
    confirm: bool = False,
    config: Config | None = None,
    at: datetime | None = None,
    zone: tzinfo | None = None,
    seen: int | None = None,
) -> list[Done]:
    """Apply `item` to one ticket; snooze moments are read in `zone` as for `preview`. Its reply
    is written against the thread as far as `seen` went in a team (actions.reply).

    Connector actions need `confirm=True` (a person said yes) and run first, each through
    deskterm.connector_calls: never inside a transaction, each step in the ticket's timeline.
    If one does not end done, the macro stops: a reply saying "refunded" must not follow a failed
    refund. The other steps then run in one transaction, all or nothing, planned again inside it
    so they act on the ticket as it is now.
    """
    config = _config(config)
    at = at or utcnow()
    zone = zone or local_zone()
    agent_name, steps = _plan(item, store, ticket_id, agent, config, at, zone)
    pending = [s for s in steps if s.needs_confirmation]
    if pending and not confirm:
        raise MacroError(
            f"macro {item.name} runs {', '.join(s.value for s in pending)}, which must be "
            "confirmed; nothing was changed"
        )
    # Its events name the agent who applied it (a rule's macro is applied elsewhere, by nobody).
    with actions.applied_by(agent_name):
        done: list[Done] = []
        for step in pending:
            done.extend(_run_connector(store, item, ticket_id, step, agent_name, at))
        with store.tx():
            _, steps = _plan(item, store, ticket_id, agent, config, at, zone)
            ticket_steps = [s for s in steps if s.kind != "connector"]
            for number, step in enumerate(ticket_steps, start=1):
                if step.skip:
                    continue
                try:
                    done.append(
                        _execute(
                            store, ticket_id, step, item.actor, at, config.escalation_levels, seen
                        )
                    )
                except ActionError as exc:
                    raise MacroError(
                        f"macro {item.name} stopped at step {number} ({step.describe()}): {exc}; "
                        "nothing was changed"
                    ) from None
        return done


def applied_events(store: Store, done: list[Done]) -> list[AppliedEvent]:
    """The events an application wrote, with the outbox row of each reply, for display."""
    return [reads.event(store, item.event_id, item.outbox_id) for item in done]


# --- undo ------------------------------------------------------------------------------------


def last_application(store: Store, name: str) -> list[int]:
    """The event ids of macro `name`'s most recent application that is not undone, oldest first.

    One application's events share the actor, the ticket and the moment. Other actors' events
    (an SLA breach recorded on the way) may sit between them and are not part of it.
    """
    ids: list[int] = []
    head: tuple[int, str] | None = None
    for event_id, ticket_id, at, kind, undone_by in reads.history(store, f"macro:{name}"):
        if kind == "undo" or undone_by is not None:
            continue
        if head not in (None, (ticket_id, at)):
            break
        head = (ticket_id, at)
        ids.append(event_id)
    return sorted(ids)


def undo_macro(store: Store, name: str, *, at: datetime | None = None) -> list[Done]:
    """Revert macro `name`'s most recent application on its ticket, all of it or none of it.

    A reply that has started to leave cannot be taken back, and neither can a connector action;
    either makes the whole undo refuse.
    """
    actor = f"macro:{name}"
    with store.tx():
        ids = last_application(store, name)
        if not ids:
            raise MacroError(f"macro {name} has nothing to undo")
        started = reads.connector_actions(store, ids)
        if started:
            raise MacroError(
                f"macro {name} ran a connector action ({started[0]}); "
                "that cannot be undone here, so nothing was undone"
            )
        try:
            return [actions.undo(store, actor=actor, at=at) for _ in ids]
        except ActionError as exc:
            raise MacroError(f"cannot undo macro {name}: {exc}; nothing was undone") from None
