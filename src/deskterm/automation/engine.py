"""Running rules: event rules inside the transaction of the write that set them off, time rules
in a pass over the tickets, each firing once per ticket until a change re-arms it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deskterm import actions, connector_calls
from deskterm.automation import acting, opening, waiting
from deskterm.automation.conditions import (
    Test,
    Verdict,
    compile_rule,
    gate,
    judge,
    words_present,
)
from deskterm.automation.facts import facts_of, with_calendar
from deskterm.automation.loading import active_rules
from deskterm.automation.model import MAX_DEPTH, Rule, RuleError, RuleSet
from deskterm.config import Config, ConfigError, load_config
from deskterm.sla import clocks
from deskterm.sla.rules import Calendar
from deskterm.store import Store
from deskterm.store import automation as reads
from deskterm.team.roster import TEAM

CALENDAR_FIELDS = {"business_hours", "business_days_since_order"}
# Tickets whose facts the time pass reads at once.
CHUNK = 2000


def _narrowing(rule: Rule, now: datetime) -> list[tuple[str, list]]:
    """The SQL tests of the rule's `all` conditions that the ticket's columns can answer."""
    tests = (reads.narrowing(c.field, c.op, c.value, now) for c in rule.all)
    return [t for t in tests if t is not None]


@dataclass(frozen=True, slots=True)
class Fired:
    """One rule that fired on one ticket, with what each of its actions did."""

    rule: str
    ticket_id: int
    outcomes: tuple[acting.Outcome, ...]
    depth: int = 0


@dataclass(slots=True)
class Engine:
    """Rules with what running them needs: calendars, templates, macros and a notifier."""

    store: Store
    rules: RuleSet
    notify: Callable[[str, str], None] = acting.desktop_notify
    config: Config | None = None
    fired: list[Fired] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)
    # (ticket, depth, rule): within one cascade a rule acts once per depth at most; the depth
    # guard does the rest.
    _acted: set[tuple[int, int, str]] = field(default_factory=set)
    _calendars: dict[str, Calendar] | None = None
    # By rule: the fields of its conditions that depend on its calendar, worked out once.
    _calendar_fields: dict[str, set[str]] = field(default_factory=dict)
    # By rule: its conditions as one function (conditions.compile_rule), made once.
    _tests: dict[str, Test] = field(default_factory=dict)

    def test(self, rule: Rule) -> Test:
        """The rule's conditions as one function (conditions.compile_rule), made once."""
        test = self._tests.get(rule.name)
        if test is None:
            test = self._tests[rule.name] = compile_rule(rule)
        return test

    def matches(self, rule: Rule, facts: dict[str, Any]) -> bool:
        return self.test(rule)(facts)

    def calendar(self, rule: Rule) -> Calendar:
        if self._calendars is None:
            # In a team replica the team's SLA calendars, as its deadlines (team.policy).
            self._calendars = clocks.policies_for(self.store.conn).calendars
        calendars = self._calendars
        if rule.calendar not in calendars:
            raise RuleError(f"rule {rule.name}: unknown calendar {rule.calendar!r}")
        return calendars[rule.calendar]

    def calendar_fields(self, rule: Rule) -> set[str]:
        """The fields of the rule's conditions that depend on its calendar, worked out once."""
        used = self._calendar_fields.get(rule.name)
        if used is None:
            used = {c.field for c in rule.conditions} & CALENDAR_FIELDS
            self._calendar_fields[rule.name] = used
        return used

    def facts(self, rule: Rule, base: dict[str, Any], now: datetime) -> dict[str, Any]:
        used = self.calendar_fields(rule)
        return with_calendar(base, self.calendar(rule), now, used) if used else base

    def _config(self) -> Config:
        if self.config is None:
            try:
                self.config = load_config()
            except ConfigError as exc:
                raise actions.ActionError(str(exc)) from None
        return self.config

    def render(self, template: str, ticket_id: int, extra: dict[str, Any]) -> str:
        from deskterm.macros.placeholders import placeholders
        from deskterm.macros.templates import TemplateProblem, render

        values = placeholders(self.store, ticket_id, agent=None, config=self._config())
        try:
            return render(template, {**values, **extra})
        except TemplateProblem as exc:
            raise actions.ActionError(f"template: {exc}") from None

    def apply_macro(self, name: str, ticket_id: int, actor: str, at: datetime) -> list[int]:
        """The macro's steps with the rule as actor; its connector steps are only proposed."""
        from deskterm import macros

        config = self._config()
        try:
            item = macros.load_macros(reserved=set()).get(name)
            steps = macros.preview(item, self.store, ticket_id, config=config, now=at).steps
        except macros.MacroError as exc:
            raise actions.ActionError(str(exc)) from None
        events = []
        for step in steps:
            if step.skip:
                continue
            if step.kind == "connector":
                connector_calls.propose(
                    self.store, ticket_id, step.value, step.params, actor=actor, at=at
                )
                continue
            done = _STEP_ACTIONS[step.kind](self.store, ticket_id, step.value, actor=actor, at=at)
            events.append(done.event_id)
        return events

    def context(self, rule: Rule, now: datetime) -> acting.Context:
        return acting.Context(
            now,
            lambda: self.calendar(rule),
            self.render,
            self.apply_macro,
            self.notify,
            lambda: self._config().get(TEAM),
        )

    def fire(
        self, rule: Rule, ticket_id: int, facts: dict[str, Any], now: datetime, depth: int
    ) -> Fired:
        ctx = self.context(rule, now)
        outcomes = tuple(acting.act(self.store, rule, a, ticket_id, facts, ctx) for a in rule.then)
        skips = [(o.action.kind, o.skipped) for o in outcomes if o.skipped]
        if skips:
            reads.record_skips(self.store.conn, rule.name, ticket_id, skips, now)
        fired = Fired(rule.name, ticket_id, outcomes, depth)
        self.fired.append(fired)
        self._acted.add((ticket_id, depth, rule.name))
        return fired

    def _plan(self, rules: list[Rule]) -> list[tuple[Rule, Test, bool, frozenset | None]]:
        """Each rule with its test, whether it reads its calendar, and the words one of which a
        ticket's texts must hold for it to match (conditions.gate), worked out once."""
        return [
            (rule, self.test(rule), bool(self.calendar_fields(rule)), gate(rule)) for rule in rules
        ]

    def on_event(
        self, event: str, ticket_ids: Iterable[int], now: datetime, depth: int = 0
    ) -> None:
        """Run the rules of `event` on the tickets, then `ticket_updated` on those they changed,
        at most MAX_DEPTH deep: two rules undoing each other stop there."""
        rules = self.rules.on(event)
        ids = list(dict.fromkeys(ticket_ids))
        if not rules or not ids:
            return
        if depth >= MAX_DEPTH:
            self.stopped.extend(ids)
            return
        changed: list[int] = []
        plan = self._plan(rules)
        wanted: dict[str, frozenset[str]] = {}
        for _, _, _, words in plan:
            for field_name, word in words or ():
                wanted[field_name] = wanted.get(field_name, frozenset()) | {word}
        with self.store.tx() as conn:
            for row in reads.fact_rows(conn, ids):
                base = facts_of(row, now)
                present = words_present(base, wanted)
                for rule, test, dated, words in plan:
                    if words is not None and words.isdisjoint(present):
                        continue
                    facts = self.facts(rule, base, now) if dated else base
                    if not test(facts) or (row[0], depth, rule.name) in self._acted:
                        continue
                    fired = self.fire(rule, row[0], facts, now, depth)
                    if any(o.event_id for o in fired.outcomes):
                        changed.append(row[0])
                        base = _after(fired, base) or facts_of(
                            reads.fact_rows(conn, [row[0]])[0], now
                        )
            if changed:
                self.on_event("ticket_updated", changed, now, depth + 1)

    def on_schedule(self, now: datetime) -> list[Fired]:
        """The time pass: every time rule on every ticket it matches and has not fired on."""
        rules = self.rules.on("schedule")
        if not rules:
            return []
        start = len(self.fired)
        with self.store.tx() as conn, actions.clocks_deferred() as acted_on:
            for rule in rules:
                if rule.open_on:
                    opening.open_for_orders(self, conn, rule, now)
            due: dict[int, list[Rule]] = {}
            for rule in rules:
                done = reads.fired(conn, rule.name)
                for ticket_id in reads.candidates(conn, _narrowing(rule, now)):
                    if ticket_id not in done:
                        due.setdefault(ticket_id, []).append(rule)
            ids = sorted(due)
            for at in range(0, len(ids), CHUNK):
                for row in reads.fact_rows(conn, ids[at : at + CHUNK]):
                    base = facts_of(row, now)
                    for rule in due[row[0]]:
                        facts = self.facts(rule, base, now)
                        if not self.matches(rule, facts):
                            continue
                        fired = self.fire(rule, row[0], facts, now, 0)
                        reads.record_firing(conn, rule.name, row[0], now)
                        # The next rule sees what this one did (a tag that stops it, say).
                        if any(o.event_id for o in fired.outcomes):
                            base = facts_of(reads.fact_rows(conn, [row[0]])[0], now)
            clocks.refresh(conn, sorted(acted_on), now)
            reads.note_time_pass(conn, now)
        return self.fired[start:]

    def explain(self, ticket_id: int, now: datetime) -> list[tuple[Rule, Verdict, str]]:
        """Each rule's verdict on the ticket with each condition's value, and for time rules
        whether they already fired and wait for a change to re-arm."""
        rows = reads.fact_rows(self.store.conn, [ticket_id])
        if not rows:
            raise RuleError(f"there is no ticket #{ticket_id}")
        base = facts_of(rows[0], now)
        firings = reads.firings(self.store.conn, ticket_id)
        acted: dict[str, list[str]] = {}
        for _, at, actor, kind in reads.rule_events(self.store.conn, ticket_id):
            acted.setdefault(actor, []).append(f"{kind} at {at}")
        skipped = reads.rule_skips(self.store.conn, ticket_id)
        last_pass = reads.last_time_pass(self.store.conn)
        out = []
        for rule in self.rules:
            facts = self.facts(rule, base, now)
            verdict = judge(rule, facts)
            did = acted.get(rule.actor)
            note = f"acted: {', '.join(did)}" if did else "has not acted on this ticket"
            kinds = [a.kind for a in rule.then]
            for action, reason, at in sorted(
                skipped.get(rule.name, ()),
                key=lambda s: kinds.index(s[0]) if s[0] in kinds else len(kinds),
            ):
                note += f"; {action} skipped at {at}: {reason}"
            if "schedule" in rule.when:
                waits = ticket_id in reads.fired(self.store.conn, rule.name)
                if rule.name in firings:
                    note += f"; fired at {firings[rule.name]}, " + (
                        "waits for a change to re-arm" if waits else "re-armed by a later change"
                    )
                if not waits:
                    later = waiting.matched_note(last_pass) if verdict.matched else None
                    later = later or waiting.waits_for(rule, facts)
                    note += f"; {later}" if later else ""
            out.append((rule, verdict, note))
        return out


def _after(fired: Fired, facts: dict[str, Any]) -> dict[str, Any] | None:
    """The ticket's facts after the rule's tags and priority, worked out without reading the
    ticket again; None when it did more than that (the caller reads the ticket)."""
    tags, priority = set(facts["tags"]), facts["priority"]
    for outcome in fired.outcomes:
        kind, value = outcome.action.kind, outcome.action.value
        if outcome.event_id is None:
            continue
        if kind == "tag":
            tags.add(value.strip().lower())
        elif kind == "untag":
            tags.discard(value.strip().lower())
        elif kind == "priority":
            priority = value
        else:
            return None
    return {**facts, "tags": frozenset(tags), "priority": priority}


_STEP_ACTIONS: dict[str, Callable[..., actions.Done]] = {
    "reply": lambda store, tid, body, *, actor, at: actions.reply(
        store, tid, body, actor=actor, at=at, automatic=True
    ),
    "note": actions.note,
    "status": actions.set_status,
    "priority": actions.set_priority,
    "tag": actions.tag,
    "untag": actions.untag,
    "assign": actions.assign,
    "snooze": actions.snooze,
    "escalate": actions.escalate,
}


# The time pass runs at most this often, however often the caller's clock ticks.
SCHEDULE_EVERY = 60.0
_last_pass: dict[str, datetime] = {}


def tick(store: Store, now: datetime) -> list[Fired]:
    """The time pass of the user's rules, when the last one on this database is a minute old;
    `sync --watch` and the TUI's background worker call it with their SLA tick."""
    key = str(store.path)
    last = _last_pass.get(key)
    if last is not None and (now - last).total_seconds() < SCHEDULE_EVERY:
        return []
    _last_pass[key] = now
    rules = active_rules()
    if not rules.on("schedule"):
        return []
    return Engine(store, rules).on_schedule(now)
