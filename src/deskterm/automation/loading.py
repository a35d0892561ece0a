"""Loading rules: TOML files from the stock examples and the user's rules folder, checked.

A rule that would run again on what it did itself (a time rule, or one that runs on
`ticket_updated`) must change something one of its `all` conditions tests, so that once it has
acted it no longer matches: Zendesk's nullifying condition. One without is refused here.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from deskterm import actions
from deskterm.automation.model import (
    ACTION_KINDS,
    EVENTS,
    FIELDS,
    NAME_RE,
    OPERATORS,
    ORDER_FIELDS,
    Action,
    Condition,
    Problem,
    Rule,
    RuleError,
    RuleSet,
)
from deskterm.config import config_dir
from deskterm.domain import Priority, Status
from deskterm.durations import DurationError, parse_duration
from deskterm.triage.labels import INTENTS, MOODS

TOML_KEYS = frozenset({"name", "description", "when", "if", "then", "order", "calendar", "open_on"})
# The extra keys an action may carry besides its own.
ACTION_EXTRAS = {
    "propose": {"params"},
    "auto_reply": {"per_ticket", "per_sender_per_day"},
    "notify": {"command"},
    "assign_round_robin": {"cap"},
    "assign_least_loaded": {"cap"},
}
NOTIFY_KINDS = ("bell", "desktop", "command")
SELF_TRIGGERED = ("schedule", "ticket_updated")


def user_rules_dir() -> Path:
    """The user's own rules: $DESKTERM_RULES, else "rules" in the deskterm config folder."""
    env = os.environ.get("DESKTERM_RULES")
    return Path(env).expanduser() if env else config_dir() / "rules"


def _suggest(word: str, known: Any) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# The values triage gives, so a rule testing `intent is "refnd"` is refused at load.
TRIAGE_VALUES = {
    "intent": tuple(INTENTS),
    "message_intent": tuple(INTENTS),
    "sentiment": tuple(MOODS),
}


def _parse_condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict) or "field" not in raw:
        raise RuleError(f'{where} must be a table like {{ field = "channel", is = "email" }}')
    name = raw["field"]
    if name not in FIELDS:
        raise RuleError(f"{where}: unknown field {name!r}{_suggest(str(name), FIELDS)}")
    allowed = OPERATORS[FIELDS[name]]
    ops = [k for k in raw if k != "field"]
    if len(ops) != 1 or ops[0] not in allowed:
        raise RuleError(f"{where}: {name} takes exactly one of {', '.join(allowed)}")
    op, value = ops[0], raw[ops[0]]
    kind = FIELDS[name]
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise RuleError(f"{where}: {name} {op} needs a number, not {value!r}")
    if kind == "bool" and not isinstance(value, bool):
        raise RuleError(f"{where}: {name} is true or false, not {value!r}")
    known = TRIAGE_VALUES.get(name)
    if known and op in ("is", "is_not", "in", "not_in"):
        for one in value if isinstance(value, list) else [value]:
            if one not in known:
                raise RuleError(f"{where}: {name} {one!r} is unknown; one of {', '.join(known)}")
    if op == "matches":
        try:
            re.compile(str(value))
        except re.error as exc:
            raise RuleError(f"{where}: {value!r} is not a regular expression: {exc}") from None
    return Condition(name, op, tuple(value) if isinstance(value, list) else value)


def _check_action_value(kind: str, value: Any) -> None:
    if kind in ("assign_round_robin", "assign_least_loaded"):
        if isinstance(value, str) and value.strip():
            return  # a group of [team] groups, looked up when the rule acts
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise RuleError(f"{kind} needs a list of agent names or a group's name")
        return
    if kind == "assign" and isinstance(value, str):
        return
    if not isinstance(value, str) or (kind != "assign" and not value.strip()):
        raise RuleError(f"{kind} needs text, not {value!r}")
    if kind in ("tag", "untag") and not actions.TAG_RE.match(value.strip().lower()):
        raise RuleError(f"tag {value!r} must be letters, digits and - . / : _")
    if kind == "status" and value not in {s.value for s in Status}:
        raise RuleError(f"unknown status {value!r}; one of: {', '.join(s.value for s in Status)}")
    if kind == "priority" and value not in {p.value for p in Priority}:
        raise RuleError(
            f"unknown priority {value!r}; one of: {', '.join(p.value for p in Priority)}"
        )
    if kind == "snooze":
        try:
            parse_duration(value)
        except DurationError as exc:
            raise RuleError(f"snooze: {exc}") from None
    if kind == "notify" and value not in NOTIFY_KINDS:
        raise RuleError(f"notify is one of {', '.join(NOTIFY_KINDS)}, not {value!r}")
    if kind == "propose" and not re.match(r"^[\w-]+\.[\w-]+$", value):
        raise RuleError(f"connector action {value!r} must look like 'shopify.refund'")


def _parse_action(raw: Any, where: str) -> Action:
    if not isinstance(raw, dict):
        raise RuleError(f'{where} must be a table like {{ tag = "vip" }}')
    kinds = [k for k in raw if k in ACTION_KINDS]
    if len(kinds) != 1:
        unknown = sorted(set(raw) - set(ACTION_KINDS))
        hint = f"; unknown {unknown[0]!r}{_suggest(unknown[0], ACTION_KINDS)}" if unknown else ""
        raise RuleError(f"{where} must name exactly one action{hint}")
    kind = kinds[0]
    extra = set(raw) - {kind} - ACTION_EXTRAS.get(kind, set())
    if extra:
        raise RuleError(f"{where}: {kind} does not take {sorted(extra)[0]!r}")
    try:
        _check_action_value(kind, raw[kind])
    except RuleError as exc:
        raise RuleError(f"{where}: {exc}") from None
    cap = raw.get("cap")
    if "cap" in raw and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise RuleError(f"{where}: cap is a whole number of open tickets, 1 or more")
    if kind == "notify" and (raw[kind] == "command") != ("command" in raw):
        raise RuleError(f'{where}: notify = "command" goes with command = "..." and only it')
    params = {k: v for k, v in raw.items() if k != kind}
    return Action(kind, raw[kind], params)


def undoes(action: Action, condition: Condition) -> bool:
    """Whether taking `action` makes `condition` false: the rule cannot match again after it."""
    field, op, value = condition.field, condition.op, condition.value
    targets = {
        "tag": "tags",
        "untag": "tags",
        "status": "status",
        "priority": "priority",
        "assign": "assignee",
        "assign_round_robin": "assignee",
        "assign_least_loaded": "assignee",
    }
    if targets.get(action.kind) != field:
        return False
    wanted = {str(v).lower() for v in (value if isinstance(value, list | tuple) else [value])}
    if action.kind == "tag":
        return op == "lacks" and action.value.lower() in wanted
    if action.kind == "untag":
        return op == "has" and wanted == {action.value.lower()}
    given = {
        str(v).lower() for v in (action.value if isinstance(action.value, list) else [action.value])
    }
    if op in ("is", "in"):
        return not given & wanted
    if op in ("is_not", "not_in"):
        return given <= wanted
    return False


def _check_loops(rule: Rule) -> None:
    self_triggered = [e for e in rule.when if e in SELF_TRIGGERED]
    if not self_triggered:
        return
    if any(undoes(a, c) for a in rule.then for c in rule.all):
        return
    raise RuleError(
        f"rule {rule.name} runs on {self_triggered[0]} but none of its actions makes one of its "
        "`all` conditions false, so it would fire again on what it did; add a condition its "
        'actions undo (for example { field = "tags", lacks = "reminded" } with { tag = "reminded" })'
    )


def _check_opening(rule: Rule) -> None:
    """A rule that opens tickets for orders runs in the time pass and names the orders."""
    if not rule.open_on:
        return
    if rule.when != ("schedule",):
        raise RuleError('open_on is for time rules (when = "schedule"): the time pass opens them')
    if not any(c.field in ORDER_FIELDS for c in rule.all):
        raise RuleError(
            "open_on needs a condition on the order in if.all (say"
            ' { field = "business_days_since_order", gte = 3 }), or every order would get a ticket'
        )


def _list(data: dict, key: str, where: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise RuleError(f"{where} must be a list")
    return value


def _open_on(value: Any) -> str:
    if not isinstance(value, str):
        raise RuleError(f'open_on names an account or a channel, like "email", not {value!r}')
    return value.strip()


def parse_rule(text: str, *, source: str = "", origin: str = "user", stem: str = "") -> Rule:
    """One TOML rule from its text, checked; RuleError says what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - TOML_KEYS)
    if unknown:
        raise RuleError(f"unknown field {unknown[0]!r}{_suggest(unknown[0], TOML_KEYS)}")
    name = data.get("name", stem)
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise RuleError(f"name {name!r} must be lower-case letters, digits, - and _ (at most 48)")
    when = data.get("when")
    if isinstance(when, str):
        when = [when]
    if not isinstance(when, list) or not when or any(e not in EVENTS for e in when):
        raise RuleError(f"when must name one or more of: {', '.join(EVENTS)}")
    conditions = data.get("if", {})
    if not isinstance(conditions, dict) or set(conditions) - {"all", "any"}:
        raise RuleError("if must be a table with `all` and/or `any` lists")
    parsed = {
        key: tuple(
            _parse_condition(raw, f"if.{key}[{i}]")
            for i, raw in enumerate(_list(conditions, key, f"if.{key}"))
        )
        for key in ("all", "any")
    }
    then = tuple(
        _parse_action(raw, f"then[{i}]") for i, raw in enumerate(_list(data, "then", "then"))
    )
    if not then:
        raise RuleError("a rule needs at least one action in `then`")
    order = data.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int):
        raise RuleError(f"order must be a whole number, not {order!r}")
    rule = Rule(
        name=name,
        when=tuple(when),
        all=parsed["all"],
        any=parsed["any"],
        then=then,
        order=order,
        description=str(data.get("description", "")),
        calendar=str(data.get("calendar", "business")),
        origin=origin,
        source=source,
        open_on=_open_on(data.get("open_on", "")),
    )
    _check_loops(rule)
    _check_opening(rule)
    return rule


def _stock_files() -> list[tuple[str, str]]:
    folder = resources.files("deskterm.stock_rules")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def _add(result: RuleSet, text: str, source: str, origin: str, stem: str) -> None:
    try:
        rule = parse_rule(text, source=source, origin=origin, stem=stem)
    except RuleError as exc:
        result.problems.append(Problem(source, str(exc)))
        return
    if rule.name in result.rules and result.rules[rule.name].origin == origin:
        result.problems.append(
            Problem(source, f"rule {rule.name} is also defined in {result.rules[rule.name].source}")
        )
        return
    result.rules[rule.name] = rule


def load_rules(folder: Path | None = None, *, stock: bool = False) -> RuleSet:
    """The user's rules (and, with `stock`, the shipped examples, which theirs override by name);
    problems are collected, not raised. Only the user's folder runs unless asked otherwise."""
    result = load_stock_rules() if stock else RuleSet()
    folder = folder if folder is not None else user_rules_dir()
    if not folder.is_dir():
        return result
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == ".toml")
    except OSError as exc:
        result.problems.append(Problem(str(folder), f"cannot be read: {exc}"))
        return result
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(Problem(str(path), f"cannot be read: {exc}"))
            continue
        _add(result, text, str(path), "user", path.stem)
    return result


def load_stock_rules() -> RuleSet:
    """The shipped example rules alone (the demo runs some of them)."""
    result = RuleSet()
    for filename, text in _stock_files():
        _add(result, text, f"stock:{filename}", "stock", filename[:-5])
    return result


_active: dict[Path, tuple[tuple, RuleSet]] = {}


def _stamp(folder: Path) -> tuple:
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.toml")))
    except OSError:
        return ()


def active_rules(folder: Path | None = None) -> RuleSet:
    """The user's rules as they are on disk now, read again only when a file changed."""
    folder = folder if folder is not None else user_rules_dir()
    stamp = _stamp(folder)
    cached = _active.get(folder)
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_rules(folder))
        _active[folder] = cached
    return cached[1]
